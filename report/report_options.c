/* See report_options.h. */
#include "report_options.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"

const char lg_report_options_help[] =
        "  --format text|json   report format (default: text)\n"
        "  --output FILE        write the report to FILE instead of the terminal\n"
        "  --exitcode N         exit status when a deadlock is found (default: 66)\n";

void lg_report_options_init(struct lg_report_options *o, FILE *stream)
{
	*o = (struct lg_report_options){
	        .format = LG_FORMAT_TEXT,
	        .exitcode = LG_EXIT_FOUND,
	        .stream = stream,
	};
}

int lg_report_options_set(struct lg_report_options *o, const char *name, const char *value)
{
	if (strcmp(name, "format") == 0) {
		if (strcmp(value, "text") == 0)
			o->format = LG_FORMAT_TEXT;
		else if (strcmp(value, "json") == 0)
			o->format = LG_FORMAT_JSON;
		else
			return lg_error("unknown report format '%s' (expected text or json)",
			                value);
		return 0;
	}
	if (strcmp(name, "output") == 0) {
		if (!*value)
			return lg_error("--output needs a file name");
		o->output = value;
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
