/* See report_options.h. */
#include "report_options.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "baseline.h"
#include "error.h"
#include "lock_classes.h"
#include "lock_profile.h"
#include "options.h"
#include "render.h"
#include "suppressions.h"
#include "symbolize.h"

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
        "                       report) does not have; only those set the exit status\n"
        "  --debug-dir DIR      also look for the programs' and libraries' files and\n"
        "                       debug info by build-id in DIR/.build-id (repeatable;\n"
        "                       searched in order, before /usr/lib/debug)\n"
        "  --debuginfod         ask the debuginfod servers in DEBUGINFOD_URLS for what\n"
        "                       no local file has (never without this option)\n"
        "  --source-root DIR    in SARIF, name source files under DIR relative to it\n"
        "                       (uriBaseId SRCROOT), as code scanning services expect\n"
        "  --classes MODE       init-site (the default): also report cycles between lock\n"
        "                       classes (the locks one init call creates, an array's\n"
        "                       elements), which different objects close; off: objects\n"
        "                       only\n"
        "  --sort KEY           order of the lock profile's tables: wait (total wait,\n"
        "                       the default), hold, contended, acquisitions, max-wait\n"
        "  --top N              rows of the lock profile shown in text and HTML\n"
        "                       (default 10; JSON has them all)\n";

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

/* Is dir, the value of --option, an existing directory? Checked when the
 * option is parsed, like every file an option names: a typo would only
 * show as missing symbols or paths, long after `lockgraph run` started. */
static int check_dir(const char *option, const char *dir)
{
	struct stat st;
	if (!*dir)
		return lg_error("--%s needs a directory", option);
	if (stat(dir, &st) != 0)
		return lg_error("--%s '%s': no such directory", option, dir);
	if (!S_ISDIR(st.st_mode))
		return lg_error("--%s '%s' is not a directory", option, dir);
	return 0;
}

/* The source root as a canonical absolute path: DWARF names files by the
 * compiler's working directory, which getcwd() gave it with symbolic links
 * resolved, so realpath() makes the two comparable. */
static int set_source_root(struct lg_report_options *o, const char *dir)
{
	if (check_dir("source-root", dir) != 0)
		return -1;
	char *root = realpath(dir, NULL);
	if (!root)
		return lg_error("--source-root '%s': %s", dir, strerror(errno));
	free(o->source_root);
	o->source_root = root;
	return 0;
}

static int add_debug_dir(struct lg_report_options *o, const char *dir)
{
	if (check_dir("debug-dir", dir) != 0)
		return -1;
	const char *slash = strrchr(dir, '/');
	if (strcmp(slash ? slash + 1 : dir, ".build-id") == 0)
		return lg_error("--debug-dir '%s': give the directory that holds .build-id", dir);
	lg_grow(&o->debug_dirs, &o->debug_dirs_cap, o->ndebug_dirs, sizeof(*o->debug_dirs));
	o->debug_dirs[o->ndebug_dirs++] = dir;
	return 0;
}

/* The servers are elfutils' own setting (DEBUGINFOD_URLS, shared with gdb
 * and eu-stack); the option only allows lockgraph to use them. */
static int set_debuginfod(struct lg_report_options *o)
{
	const char *urls = getenv("DEBUGINFOD_URLS");
	if (!urls || !*urls)
		return lg_error("--debuginfod needs the servers to ask in DEBUGINFOD_URLS "
		                "(e.g. DEBUGINFOD_URLS=https://debuginfod.debian.net)");
	if (!lg_symbolizer_debuginfod_available())
		return lg_error("--debuginfod needs elfutils' libdebuginfod.so.1 (Debian: apt-get "
		                "install libdebuginfod1)");
	free(o->debuginfod_urls);
	o->debuginfod_urls = lg_xstrdup(urls);
	return 0;
}

static int set_classes(struct lg_report_options *o, const char *value, size_t len,
                       const char *where)
{
	int mode = lg_class_mode_parse(value, len);
	if (mode < 0)
		return lg_error("unknown classes mode '%.*s'%s (expected init-site or off)",
		                (int)len, value, where);
	o->classes = mode;
	return 0;
}

int lg_report_options_init(struct lg_report_options *o, FILE *stream)
{
	*o = (struct lg_report_options){
	        .format = LG_FORMAT_TEXT,
	        .fail_on = LG_FAIL_ON_POTENTIAL,
	        .exitcode = LG_EXIT_FOUND,
	        .stream = stream,
	        .top = 10,
	        .sort = LG_PROFILE_BY_WAIT,
	};
	/* The LOCKGRAPH_OPTIONS entries that are about reporting. */
	const char *env = getenv("LOCKGRAPH_OPTIONS");
	for (const char *p = env; p && *p;) {
		size_t len = strcspn(p, LG_OPTIONS_SEPARATORS);
		if (len > 8 && strncmp(p, "fail_on=", 8) == 0 &&
		    set_fail_on(o, p + 8, len - 8, " in LOCKGRAPH_OPTIONS") != 0)
			return -1;
		if (len > 8 && strncmp(p, "classes=", 8) == 0 &&
		    set_classes(o, p + 8, len - 8, " in LOCKGRAPH_OPTIONS") != 0)
			return -1;
		p += len + (p[len] != 0);
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
	if (strcmp(name, "classes") == 0)
		return set_classes(o, value, strlen(value), "");
	if (strcmp(name, "sort") == 0) {
		int by = lg_profile_sort_parse(value);
		if (by < 0)
			return lg_error("unknown sort key '%s' (expected wait, hold, contended, "
			                "acquisitions or max-wait)",
			                value);
		o->sort = by;
		return 0;
	}
	if (strcmp(name, "top") == 0) {
		char *end;
		long v = strtol(value, &end, 10);
		if (!*value || *end || v < 1 || v > 1000000)
			return lg_error("--top '%s' is not a number from 1 to 1000000", value);
		o->top = (size_t)v;
		return 0;
	}
	if (strcmp(name, "suppressions") == 0)
		return lg_suppressions_load(&o->suppressions, value) ? 0 : -1;
	if (strcmp(name, "debug-dir") == 0)
		return add_debug_dir(o, value);
	if (strcmp(name, "source-root") == 0)
		return set_source_root(o, value);
	if (strcmp(name, "debuginfod") == 0)
		return set_debuginfod(o);
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
	free(o->debug_dirs);
	free(o->debuginfod_urls);
	free(o->source_root);
	o->source_root = NULL;
	o->suppressions = NULL;
	o->baseline = NULL;
	o->debug_dirs = NULL;
	o->ndebug_dirs = o->debug_dirs_cap = 0;
	o->debuginfod_urls = NULL;
}

int lg_report_options_parse(struct lg_report_options *o, int argc, char **argv,
                            const struct lg_command_option *extra, bool stop_at_operand,
                            void (*usage)(FILE *))
{
	static const char *const shared[] = {"format",       "output",   "exitcode",   "fail-on",
	                                     "suppressions", "baseline", "sort",       "top",
	                                     "debug-dir",    "classes",  "source-root"};
	static const char *const shared_flags[] = {"debuginfod"};
	struct option longopts[24];
	size_t n = 0;
	for (size_t i = 0; i < sizeof(shared) / sizeof(shared[0]); i++)
		longopts[n++] = (struct option){shared[i], required_argument, NULL, 0};
	for (size_t i = 0; i < sizeof(shared_flags) / sizeof(shared_flags[0]); i++)
		longopts[n++] = (struct option){shared_flags[i], no_argument, NULL, 0};
	size_t first_extra = n;
	for (size_t i = 0; extra && extra[i].name && n < 22; i++)
		longopts[n++] = (struct option){
		        extra[i].name, extra[i].value ? required_argument : no_argument, NULL, 0};
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
			const struct lg_command_option *own = &extra[index - first_extra];
			if (own->value)
				*own->value = optarg;
			else
				*own->flag = true;
			continue;
		}
		if (lg_report_options_set(o, longopts[index].name, optarg) != 0)
			return -2;
	}
	return optind;
}
