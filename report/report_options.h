/* Options shared by `lockgraph run` and `lockgraph report`, and the report
 * they produce (pipeline.c). */
#ifndef LOCKGRAPH_REPORT_OPTIONS_H
#define LOCKGRAPH_REPORT_OPTIONS_H

#include <stdbool.h>
#include <stdio.h>

/* In the order of lg_format_names. */
enum lg_format {
	LG_FORMAT_TEXT,
	LG_FORMAT_JSON,
	LG_FORMAT_CSV,
	LG_FORMAT_SARIF,
	LG_FORMAT_DOT,
	LG_FORMAT_SVG,
	LG_FORMAT_HTML,
};

/* Which findings make the command exit with `exitcode`: each level
 * includes the ones above it. */
enum lg_fail_on {
	LG_FAIL_ON_ACTUAL,    /* threads really got stuck */
	LG_FAIL_ON_POTENTIAL, /* ... or could (the default) */
	LG_FAIL_ON_LATENT,    /* ... or would on more threads */
	LG_FAIL_ON_NONE,      /* never */
};

struct lg_suppressions;
struct lg_baseline;

struct lg_report_options {
	enum lg_format format;
	enum lg_fail_on fail_on;
	const char *output; /* file to write the report to; NULL: the default stream */
	int exitcode;       /* status when a deadlock is found */
	const char *run_id; /* only traces of this run (set by `lockgraph run`) */
	FILE *stream;       /* default stream: stdout for report, stderr for run */
	/* Loaded when the option is parsed, so a bad file stops `lockgraph run`
	 * before the program runs. */
	struct lg_suppressions *suppressions; /* --suppressions FILE (repeatable) */
	struct lg_baseline *baseline;         /* --baseline FILE */
	/* --debug-dir DIR (repeatable): .build-id trees searched for modules
	 * and their debug info, in order, before /usr/lib/debug. */
	const char **debug_dirs;
	size_t ndebug_dirs, debug_dirs_cap;
	/* --debuginfod: the servers to ask for what no local file has, copied
	 * from DEBUGINFOD_URLS when the option is parsed; NULL without it (a
	 * report never uses the network unasked). */
	char *debuginfod_urls;
	/* --source-root DIR, made absolute: SARIF locations under it are
	 * relative to it (uriBaseId SRCROOT). NULL: every path absolute. */
	char *source_root;
	/* The lock profile's tables (lock_profile.h): rows shown, order. */
	size_t top;
	int sort;    /* enum lg_profile_sort */
	int classes; /* enum lg_class_mode */
};

void lg_report_options_free(struct lg_report_options *o);

/* Defaults, then fail_on from LOCKGRAPH_OPTIONS if it says so (an invalid
 * value there is an error: returns -1 after printing it). */
int lg_report_options_init(struct lg_report_options *o, FILE *stream);

/* Applies --format, --output, --exitcode, --fail-on, --suppressions,
 * --baseline, --debug-dir, --source-root or --debuginfod (name without
 * dashes; value NULL for --debuginfod, which takes none). Returns 0, or -1 after printing an
 * error. */
int lg_report_options_set(struct lg_report_options *o, const char *name, const char *value);

/* The help lines for these options. */
extern const char lg_report_options_help[];

/* An option a command adds to the shared ones: --name VALUE sets *value,
 * or, for a flag (value NULL), --name sets *flag. */
struct lg_command_option {
	const char *name;
	const char **value;
	bool *flag;
};

/* Parses the options of `lockgraph COMMAND` (argv[0] is COMMAND): the
 * shared report options, -h/--help (prints usage to stdout) and the
 * command's own (extra, ending with a NULL name). With operands_first
 * (`run`), parsing stops at the first operand or "--" (the program and its
 * own options); otherwise options and operands may mix (`report DIR
 * --format json`), and argv is reordered so that operands come last.
 * Returns the index of the first operand, or -1 after --help, or -2 after
 * printing an error. */
int lg_report_options_parse(struct lg_report_options *o, int argc, char **argv,
                            const struct lg_command_option *extra, bool stop_at_operand,
                            void (*usage)(FILE *));

#endif
