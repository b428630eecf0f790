/* From trace files to a rendered report: read each trace (bad ones are
 * named and skipped), analyze, merge, rank, render. */
#ifndef LOCKGRAPH_PIPELINE_H
#define LOCKGRAPH_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>

#include "report_options.h"

struct lg_pipeline_result {
	size_t traces;     /* traces used */
	size_t bad_inputs; /* files that could not be used (errors printed) */
	size_t actual;     /* actual deadlocks (stuck, or broken by a timeout) */
	size_t potential;  /* potential deadlocks (not latent) */
	size_t latent;
	size_t suppressed;  /* findings left out by --suppressions */
	size_t known;       /* findings left out because --baseline has them */
	bool output_failed; /* the report could not be written (error printed) */
};

/* Does the result fail under o->fail_on (so the command exits with
 * o->exitcode)? */
bool lg_pipeline_failed(const struct lg_report_options *o, const struct lg_pipeline_result *r);

/* Reports on the given trace files (already expanded from directories). */
void lg_pipeline_run(const struct lg_report_options *o, char *const *paths, size_t npaths,
                     struct lg_pipeline_result *result);

#endif
