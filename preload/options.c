/* Parsing of LOCKGRAPH_OPTIONS. Runs in the constructor, before the trace is
 * open, so problems are kept here and written later. No malloc. */
#include "options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace_format.h"

struct lg_options lg_opts;

#define MAX_PROBLEMS 4
static char problems[MAX_PROBLEMS][160];
static int nproblems;

enum opt_type { OPT_STRING, OPT_INT, OPT_CHOICE };

struct opt_def {
	const char *name;
	enum opt_type type;
	void *value;
	size_t size;                /* OPT_STRING: buffer size */
	int min, max;               /* OPT_INT: accepted range */
	const char *const *choices; /* OPT_CHOICE: names of values 1, 2, ... (NULL-ended) */
};

/* enum lg_deadlock_action, from 1 */
static const char *const deadlock_actions[] = {"exit", "abort", "wait", NULL};
/* Read by the lockgraph command, not here; known so it is not "unknown". */
static const char *const fail_on_levels[] = {"actual", "potential", "latent", "none", NULL};
static const char *const class_modes[] = {"init-site", "off", NULL};

static const struct opt_def opt_table[] = {
        {"out", OPT_STRING, lg_opts.out, sizeof(lg_opts.out), 0, 0, NULL},
        {"run", OPT_STRING, lg_opts.run, sizeof(lg_opts.run), 0, 0, NULL},
        {"max_frames", OPT_INT, &lg_opts.max_frames, 0, 1, LG_TRACE_MAX_FRAMES, NULL},
        {"verbosity", OPT_INT, &lg_opts.verbosity, 0, 0, 2, NULL},
        {"on_deadlock", OPT_CHOICE, &lg_opts.on_deadlock, 0, 0, 0, deadlock_actions},
        {"exitcode", OPT_INT, &lg_opts.exitcode, 0, 1, 255, NULL},
        {"wait_warn_ms", OPT_INT, &lg_opts.wait_warn_ms, 0, 0, 86400000, NULL},
        {"hold_warn_ms", OPT_INT, &lg_opts.hold_warn_ms, 0, 0, 86400000, NULL},
        {"fail_on", OPT_CHOICE, &lg_opts.fail_on, 0, 0, 0, fail_on_levels},
        {"classes", OPT_CHOICE, &lg_opts.classes, 0, 0, 0, class_modes},
        {"max_locks", OPT_INT, &lg_opts.max_locks, 0, 1, 1 << 30, NULL},
        {"max_edges", OPT_INT, &lg_opts.max_edges, 0, 1, 1 << 30, NULL},
        {"max_stacks", OPT_INT, &lg_opts.max_stacks, 0, 1, 1 << 30, NULL},
        {"profile", OPT_INT, &lg_opts.profile, 0, 0, 1, NULL},
};

static void problem(const char *fmt, const char *a, int alen)
{
	if (nproblems < MAX_PROBLEMS)
		snprintf(problems[nproblems++], sizeof(problems[0]), fmt, alen, a);
}

static void set_option(const char *key, size_t klen, const char *val, size_t vlen)
{
	for (size_t i = 0; i < sizeof(opt_table) / sizeof(opt_table[0]); i++) {
		const struct opt_def *d = &opt_table[i];
		if (strlen(d->name) != klen || memcmp(d->name, key, klen) != 0)
			continue;
		if (d->type == OPT_STRING) {
			if (vlen == 0 || vlen >= d->size) {
				problem("ignoring '%.*s' in LOCKGRAPH_OPTIONS: empty or too long",
				        key, (int)(klen + 1 + vlen));
				return;
			}
			memcpy(d->value, val, vlen);
			((char *)d->value)[vlen] = 0;
			return;
		}
		if (d->type == OPT_CHOICE) {
			for (int c = 0; d->choices[c]; c++) {
				if (strlen(d->choices[c]) == vlen &&
				    memcmp(d->choices[c], val, vlen) == 0) {
					*(int *)d->value = c + 1;
					return;
				}
			}
			problem("ignoring '%.*s' in LOCKGRAPH_OPTIONS: not one of the choices", key,
			        (int)(klen + 1 + vlen));
			return;
		}
		char buf[24];
		char *end;
		if (vlen == 0 || vlen >= sizeof(buf))
			goto bad_int;
		memcpy(buf, val, vlen);
		buf[vlen] = 0;
		long v = strtol(buf, &end, 10);
		if (*end || v < d->min || v > d->max)
			goto bad_int;
		*(int *)d->value = (int)v;
		return;
	bad_int:
		problem("ignoring '%.*s' in LOCKGRAPH_OPTIONS: not a number in range", key,
		        (int)(klen + 1 + vlen));
		return;
	}
	problem("ignoring unknown option '%.*s' in LOCKGRAPH_OPTIONS", key, (int)klen);
}

void lg_options_parse(const char *spec)
{
	memset(&lg_opts, 0, sizeof(lg_opts));
	strcpy(lg_opts.out, "lockgraph-out");
	lg_opts.max_frames = 32;
	lg_opts.on_deadlock = LG_ACTION_EXIT;
	lg_opts.exitcode = 66;
	lg_opts.max_locks = 4000000;
	lg_opts.max_edges = 4000000;
	lg_opts.max_stacks = 1000000;
	nproblems = 0;
	while (spec && *spec) {
		size_t len = strcspn(spec, LG_OPTIONS_SEPARATORS);
		const char *eq = memchr(spec, '=', len);
		if (len == 0) {
			/* empty entry ("a=1::b=2"): nothing to do */
		} else if (!eq) {
			problem("ignoring '%.*s' in LOCKGRAPH_OPTIONS: expected key=value", spec,
			        (int)len);
		} else {
			set_option(spec, (size_t)(eq - spec), eq + 1,
			           len - (size_t)(eq - spec) - 1);
		}
		spec += len;
		if (*spec)
			spec++; /* the separator */
	}
	lg_opts.timing = lg_opts.hold_warn_ms > 0 || lg_opts.profile;
}

int lg_options_problem_count(void)
{
	return nproblems;
}

const char *lg_options_problem(int i)
{
	return problems[i];
}
