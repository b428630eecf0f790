/* See report_options.h. */
#include "report_options.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "baseline.h"
#include "error.h"
#include "render.h"
#include "suppressions.h"

const char lg_report_options_help[] =
        "  --format FORMAT      report format: text (the default), json, csv (a row per\n"
        "                       occurrence), sarif, dot, svg (needs Graphviz) or html\n"
        "  --output FILE        write the report to FILE instead of the terminal\n"
        "  --exitcode N         exit status when a deadlock is found (default: 66)\n"
        "  --fail-on LEVEL      what makes that status: actual (stuck threads), potential\n"
        "                       (and inversions that could deadlock: the default), latent\n"
        "                       (and inversions that would on more threads), or none\n"
        "  --suppressions FILE  leave out findings matching FILE's rules (signature,\n"
        "                       function, file or lock patterns; repeatable); they are\n"
        "                       counted in the summary\n"
        "  --baseline FILE      show only findings that FILE (an earlier --format json\n"
        "                       report) does not have; only those set the exit status\n";

/* Indexed by enum lg_format. */
static const char *const format_names[] = {"text", "json", "csv",  "sarif",
                                           "dot",  "svg",  "html", NULL};

static int set_format(struct lg_report_options *o, const char *value)
{
	for (int i = 0; format_names[i]; i++) {
		if (strcmp(format_names[i], value) != 0)
			continue;
		/* Checked now, so `lockgraph run` fails before the program runs,
		 * not after. */
		char dot[4096];
		if (i == LG_FORMAT_SVG && !lg_render_svg_available(dot, sizeof(dot)))
			return lg_error("--format svg needs Graphviz's 'dot' (apt-get install "
			                "graphviz)");
		o->format = (enum lg_format)i;
		return 0;
	}
	return lg_error("unknown report format '%s' (expected text, json, csv, sarif, dot, svg or "
	                "html)",
	                value);
}

static const char *const fail_on_names[] = {"actual", "potential", "latent", "none", NULL};

static int set_fail_on(struct lg_report_options *o, const char *value, size_t len,
                       const char *where)
{
	for (int i = 0; fail_on_names[i]; i++) {
		if (strlen(fail_on_names[i]) == len && strncmp(fail_on_names[i], value, len) == 0) {
			o->fail_on = (enum lg_fail_on)i;
			return 0;
		}
	}
	return lg_error("unknown fail-on level '%.*s'%s (expected actual, potential, latent or "
	                "none)",
	                (int)len, value, where);
}

int lg_report_options_init(struct lg_report_options *o, FILE *stream)
{
	*o = (struct lg_report_options){
	        .format = LG_FORMAT_TEXT,
	        .fail_on = LG_FAIL_ON_POTENTIAL,
	        .exitcode = LG_EXIT_FOUND,
	        .stream = stream,
	};
	/* The one LOCKGRAPH_OPTIONS entry that is about reporting. */
	const char *env = getenv("LOCKGRAPH_OPTIONS");
	for (const char *p = env; p && *p;) {
		size_t len = strcspn(p, ":");
		if (len > 8 && strncmp(p, "fail_on=", 8) == 0 &&
		    set_fail_on(o, p + 8, len - 8, " in LOCKGRAPH_OPTIONS") != 0)
			return -1;
		p += len + (p[len] == ':');
	}
	return 0;
}

int lg_report_options_set(struct lg_report_options *o, const char *name, const char *value)
{
	if (strcmp(name, "format") == 0)
		return set_format(o, value);
	if (strcmp(name, "output") == 0) {
		if (!*value)
			return lg_error("--output needs a file name");
		o->output = value;
		return 0;
	}
	if (strcmp(name, "fail-on") == 0)
		return set_fail_on(o, value, strlen(value), "");
	if (strcmp(name, "suppressions") == 0)
		return lg_suppressions_load(&o->suppressions, value) ? 0 : -1;
	if (strcmp(name, "baseline") == 0) {
		struct lg_baseline *b = lg_baseline_load(value);
		if (!b)
			return -1;
		lg_baseline_free(o->baseline); /* the last one given counts */
		o->baseline = b;
		return 0;
	}
	if (strcmp(name, "exitcode") == 0) {
		char *end;
		long v = strtol(value, &end, 10);
		if (!*value || *end || v < 1 || v > 255)
			return lg_error("--exitcode '%s' is not a number from 1 to 255", value);
		o->exitcode = (int)v;
		return 0;
	}
	return lg_error("unknown report option '--%s'", name);
}

void lg_report_options_free(struct lg_report_options *o)
{
	lg_suppressions_free(o->suppressions);
	lg_baseline_free(o->baseline);
	o->suppressions = NULL;
	o->baseline = NULL;
}

int lg_report_options_parse(struct lg_report_options *o, int argc, char **argv,
                            const struct lg_command_option *extra, bool stop_at_operand,
                            void (*usage)(FILE *))
{
	static const char *const shared[] = {"format",  "output",       "exitcode",
	                                     "fail-on", "suppressions", "baseline"};
	struct option longopts[16];
	size_t n = 0;
	for (size_t i = 0; i < sizeof(shared) / sizeof(shared[0]); i++)
		longopts[n++] = (struct option){shared[i], required_argument, NULL, 0};
	size_t first_extra = n;
	for (size_t i = 0; extra && extra[i].name && n < 14; i++)
		longopts[n++] = (struct option){extra[i].name, required_argument, NULL, 0};
	longopts[n++] = (struct option){"help", no_argument, NULL, 'h'};
	longopts[n] = (struct option){NULL, 0, NULL, 0};

	opterr = 0;
	optind = 1;
	int c, index;
	/* "+": stop at the program's name (otherwise getopt moves operands to
	 * the end); ":": report a missing value as ':'. */
	const char *shortopts = stop_at_operand ? "+:h" : ":h";
	while ((c = getopt_long(argc, argv, shortopts, longopts, &index)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return -1;
		}
		if (c == ':') {
			lg_error("option '%s' needs a value", argv[optind - 1]);
			return -2;
		}
		if (c == '?') {
			lg_error("unknown option '%s' (see 'lockgraph %s --help')",
			         argv[optind - 1], argv[0]);
			return -2;
		}
		if ((size_t)index >= first_extra) {
			*extra[index - first_extra].value = optarg;
			continue;
		}
		if (lg_report_options_set(o, longopts[index].name, optarg) != 0)
			return -2;
	}
	return optind;
}
