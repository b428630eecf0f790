/* `lockgraph report [options] TRACE|DIR...`: report on traces from earlier
 * runs (one process or a whole CI job's worth). */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "error.h"
#include "pipeline.h"
#include "report_options.h"
#include "trace_paths.h"

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: lockgraph report [options] TRACE|DIR...\n"
	        "\n"
	        "Reports lock-order problems found in lockgraph traces (*.lgt files, or\n"
	        "directories holding them, searched recursively), merging all processes.\n"
	        "\n"
	        "options:\n"
	        "%s"
	        "  -h, --help           show this help\n"
	        "\n"
	        "exit status: 0 nothing found, 66 (--exitcode) a deadlock was found,\n"
	        "2 bad usage or an unusable trace (named on stderr; the others are still\n"
	        "reported)\n",
	        lg_report_options_help);
}

int lg_cmd_report(int argc, char **argv)
{
	struct lg_report_options o;
	if (lg_report_options_init(&o, stdout) != 0)
		return LG_EXIT_USAGE;
	int first = lg_report_options_parse(&o, argc, argv, NULL, false, usage);
	if (first < 0) {
		lg_report_options_free(&o);
		return first == -1 ? 0 : LG_EXIT_USAGE;
	}
	if (first == argc) {
		lg_error("no traces given (usage: lockgraph report [options] TRACE|DIR...)");
		lg_report_options_free(&o);
		return LG_EXIT_USAGE;
	}
	struct lg_path_list paths = {0};
	int bad = 0;
	for (int i = first; i < argc; i++) {
		size_t before = paths.n;
		if (lg_trace_paths_add(&paths, argv[i]) != 0) {
			bad++;
		} else if (paths.n == before) {
			lg_error("no lockgraph traces (*.lgt) in '%s'", argv[i]);
			bad++;
		}
	}
	struct lg_pipeline_result r;
	lg_pipeline_run(&o, paths.paths, paths.n, &r);
	lg_trace_paths_free(&paths);
	/* (With findings left out, the text report itself says so.) */
	if (r.traces && !r.actual && !r.potential && !r.latent && !r.suppressed && !r.known &&
	    o.format == LG_FORMAT_TEXT)
		fprintf(stderr, "lockgraph: no lock-order problems found in %zu trace%s\n",
		        r.traces, r.traces == 1 ? "" : "s");
	int status = lg_pipeline_failed(&o, &r) ? o.exitcode : LG_EXIT_CLEAN;
	if (bad || r.bad_inputs || r.output_failed)
		status = LG_EXIT_USAGE;
	lg_report_options_free(&o);
	return status;
}
