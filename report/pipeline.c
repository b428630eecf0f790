/* See pipeline.h. Traces are read one at a time and freed after analysis,
 * so memory follows the findings, not the number of traces. */
#include "pipeline.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baseline.h"
#include "cycles.h"
#include "error.h"
#include "findings.h"
#include "render.h"
#include "suppressions.h"
#include "trace.h"

static void analyze(const struct lg_report_options *o, char *const *paths, size_t npaths,
                    struct lg_findings *f, struct lg_pipeline_result *r)
{
	for (size_t i = 0; i < npaths; i++) {
		char err[256];
		struct lg_trace *t = lg_trace_read(paths[i], err, sizeof(err));
		if (!t) {
			lg_error("cannot use trace '%s': %s", paths[i], err);
			r->bad_inputs++;
			continue;
		}
		if (o->run_id && strcmp(t->run, o->run_id) != 0) {
			lg_trace_free(t);
			continue;
		}
		if (t->truncated)
			lg_note("trace '%s' was cut short at byte %llu (process killed while "
			        "writing?); using its first %zu records",
			        paths[i], (unsigned long long)t->truncated_at, t->records);
		lg_findings_add_trace(f, t, &lg_cycle_default_limits);
		lg_trace_free(t);
		r->traces++;
	}
}

/* Takes out what the suppressions and the baseline say to leave out. */
static void leave_out(const struct lg_report_options *o, struct lg_findings *f)
{
	for (size_t i = 0; i < f->n;) {
		const struct lg_finding *fi = f->v[i];
		const char *rule = lg_suppressions_match(o->suppressions, fi);
		if (rule)
			lg_findings_leave_out(f, i, rule);
		else if (o->baseline && lg_baseline_has(o->baseline, fi->signature))
			lg_findings_leave_out(f, i, NULL);
		else
			i++;
	}
}

static void render(const struct lg_report_options *o, const struct lg_findings *f,
                   struct lg_pipeline_result *r)
{
	FILE *out = o->stream;
	if (o->output) {
		out = fopen(o->output, "w");
		if (!out) {
			lg_error("cannot write report '%s': %s", o->output, strerror(errno));
			r->output_failed = true;
			return;
		}
	}
	switch (o->format) {
	case LG_FORMAT_TEXT:
		lg_render_text(out, f);
		break;
	case LG_FORMAT_JSON:
		lg_render_json(out, f);
		break;
	case LG_FORMAT_CSV:
		lg_render_csv(out, f);
		break;
	case LG_FORMAT_SARIF:
		lg_render_sarif(out, f);
		break;
	case LG_FORMAT_DOT:
		lg_render_dot(out, f);
		break;
	case LG_FORMAT_SVG:
		if (lg_render_svg(out, f) != 0)
			r->output_failed = true;
		break;
	case LG_FORMAT_HTML:
		lg_render_html(out, f);
		break;
	}
	if (o->output) {
		if (fclose(out) != 0) {
			lg_error("cannot write report '%s': %s", o->output, strerror(errno));
			r->output_failed = true;
		}
	} else {
		fflush(out);
	}
}

void lg_pipeline_run(const struct lg_report_options *o, char *const *paths, size_t npaths,
                     struct lg_pipeline_result *r)
{
	memset(r, 0, sizeof(*r));
	/* debuginfod is asked only with --debuginfod, and then only by the
	 * symbolizer, last, for modules no local file has (symbolize.h). libdw
	 * would otherwise ask the servers in DEBUGINFOD_URLS on its own for
	 * every module without local debug info: slow, and a report must never
	 * wait on the network unasked. (--debuginfod copied the servers; the
	 * program lockgraph run started has already exited.) */
	unsetenv("DEBUGINFOD_URLS");
	struct lg_findings f;
	lg_findings_init(&f);
	f.classes = o->classes;
	f.source_root = o->source_root;
	lg_symbolizer_set_search(f.sym, o->debug_dirs, o->ndebug_dirs, o->debuginfod_urls);
	analyze(o, paths, npaths, &f, r);
	lg_findings_rank(&f);
	lg_profile_sort(&f.profile, (enum lg_profile_sort)o->sort);
	f.profile.top = o->top;
	leave_out(o, &f);
	r->suppressed = f.suppressed;
	r->known = f.known;
	r->actual = lg_findings_count(&f, LG_FINDING_ACTUAL, false);
	r->potential = lg_findings_count(&f, LG_FINDING_POTENTIAL, false);
	r->latent = lg_findings_count(&f, LG_FINDING_POTENTIAL, true);
	render(o, &f, r);
	lg_findings_free(&f);
}

bool lg_pipeline_failed(const struct lg_report_options *o, const struct lg_pipeline_result *r)
{
	switch (o->fail_on) {
	case LG_FAIL_ON_LATENT:
		return r->actual || r->potential || r->latent;
	case LG_FAIL_ON_POTENTIAL:
		return r->actual || r->potential;
	case LG_FAIL_ON_ACTUAL:
		return r->actual;
	case LG_FAIL_ON_NONE:
		break;
	}
	return false;
}
