/* The HTML report: one self-contained page (inline CSS and SVG, no
 * scripts, nothing fetched), to attach to a CI run or mail around. Title
 * and summary, the ranked table (fix the top first), one section per
 * finding (html_finding.c), then the long waits and holds and the notes.
 * Every string from a trace is escaped (markup.h). */
#include <string.h>

#include "html.h"
#include "markup.h"
#include "render.h"
#include "render_profile.h"
#include "render_util.h"

#ifndef LG_VERSION
#define LG_VERSION "unknown"
#endif

static const char style[] =
        "body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;"
        "color:#1d1d1f;background:#fafafa;margin:0 auto;max-width:72rem;padding:1rem 2rem}"
        "h1{font-size:1.6rem;margin:.5rem 0}"
        "h2{font-size:1.2rem;margin:0 0 .5rem}"
        "h3{font-size:1rem;margin:1rem 0 .3rem}"
        "code,.stack{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em}"
        "table{border-collapse:collapse;width:100%;background:#fff}"
        "th,td{border-bottom:1px solid #ddd;padding:.35rem .6rem;text-align:left;"
        "vertical-align:top}"
        "th{background:#f0f0f0}"
        "td.num{text-align:right}"
        ".badge{display:inline-block;border-radius:.3rem;padding:0 .4rem;color:#fff;"
        "font-size:.85em;white-space:nowrap}"
        ".badge.actual{background:#d62728}.badge.potential{background:#e8710a}"
        ".badge.latent{background:#7f7f7f}"
        "section{background:#fff;border:1px solid #ddd;border-left:6px solid #999;"
        "border-radius:.4rem;margin:1.2rem 0;padding:1rem 1.2rem}"
        "section.actual{border-left-color:#d62728}"
        "section.potential{border-left-color:#ff7f0e}"
        "section.latent{border-left-color:#7f7f7f}"
        "a.rank{color:inherit;text-decoration:none}"
        "figure.graph{margin:.5rem 0;overflow-x:auto}"
        "figure.graph svg{max-width:100%;height:auto}"
        "figcaption{color:#555;font-size:.9em}"
        "ol.stack{margin:.2rem 0 .6rem;padding-left:2.5rem}"
        "ol.stack li::marker{color:#888}"
        ".loc{color:#555}.inl{color:#888;font-style:italic}"
        ".missing{color:#888;font-style:italic}"
        ".why,.outcome,.seen{color:#333}"
        ".fix{background:#f3f8f0;border-radius:.3rem;padding:.1rem .8rem;margin-top:.8rem}"
        ".note{color:#555}"
        "footer{color:#888;font-size:.85em;margin:2rem 0 1rem}";

const char *lg_html_class(const struct lg_finding *fi)
{
	if (fi->kind == LG_FINDING_ACTUAL)
		return "actual";
	return fi->latent ? "latent" : "potential";
}

const char *lg_html_colour(const struct lg_finding *fi)
{
	if (fi->kind == LG_FINDING_ACTUAL)
		return "#d62728";
	return fi->latent ? "#7f7f7f" : "#e8710a";
}

static void location(FILE *out, const struct lg_frame *fr)
{
	fputs("<span class=\"loc\">", out);
	if (fr->file && fr->line)
		lg_markup_printf(out, "%s:%d", fr->file, fr->line);
	else if (fr->module)
		lg_markup_printf(out, "(%s)", fr->module);
	else
		fputs("(unknown module)", out);
	fputs("</span>", out);
}

void lg_html_stack(FILE *out, const struct lg_fstack *s)
{
	if (s->missing || s->n == 0) {
		fputs("<p class=\"missing\">(stack unavailable)</p>\n", out);
		return;
	}
	size_t n = lg_render_frames(s);
	fputs("<ol class=\"stack\" start=\"0\">\n", out);
	for (size_t i = 0; i < n; i++) {
		const struct lg_frame *fr = &s->frames[i];
		fputs("<li><code>", out);
		lg_markup_text(out, fr->function ? fr->function : "??");
		fputs("</code> ", out);
		location(out, fr);
		if (fr->inlined)
			fputs(" <span class=\"inl\">(inlined)</span>", out);
		fputs("</li>\n", out);
	}
	fputs("</ol>\n", out);
	if (s->call_site_only)
		fputs("<p class=\"missing\">(only the call site was recorded for this lock)</p>\n",
		      out);
}

void lg_html_at(FILE *out, const struct lg_fstack *s)
{
	const struct lg_frame *fr = lg_fstack_top(s);
	if (!fr) {
		fputs("(unknown)", out);
		return;
	}
	fputs("<code>", out);
	lg_markup_text(out, fr->function ? fr->function : "??");
	fputs("</code> (", out);
	location(out, fr);
	fputs(")", out);
}

void lg_html_lock(FILE *out, const struct lg_finding *fi, size_t i)
{
	fputs("<code>", out);
	lg_markup_text(out, i < fi->nlocks ? fi->locks[i].description : "?");
	fputs("</code>", out);
}

void lg_html_thread(FILE *out, const struct lg_fthread *t)
{
	struct lg_strbuf b = {0};
	lg_render_thread(&b, t);
	lg_markup_text(out, lg_strbuf_str(&b));
	lg_strbuf_free(&b);
}

static const char *plural(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

static void summary(FILE *out, const struct lg_findings *f)
{
	size_t actual = lg_findings_count(f, LG_FINDING_ACTUAL, false);
	size_t potential = lg_findings_count(f, LG_FINDING_POTENTIAL, false);
	size_t latent = lg_findings_count(f, LG_FINDING_POTENTIAL, true);
	fputs("<p class=\"summary\">", out);
	if (f->n == 0) {
		fprintf(out, "No lock-order problems found in %zu trace%s.</p>\n", f->traces,
		        plural(f->traces, "", "s"));
		return;
	}
	if (actual)
		fprintf(out, "%zu deadlock%s, ", actual, plural(actual, "", "s"));
	fprintf(out, "%zu potential deadlock%s, %zu latent lock-order inversion%s in %zu trace%s",
	        potential, plural(potential, "", "s"), latent, plural(latent, "", "s"), f->traces,
	        plural(f->traces, "", "s"));
	fputs("; most important first.</p>\n", out);
}

static void ranked_table(FILE *out, const struct lg_findings *f)
{
	if (f->n == 0)
		return;
	fputs("<table class=\"ranked\">\n<thead><tr><th>#</th><th>kind</th><th>times</th>"
	      "<th>processes</th><th>locks</th><th>where the order is reversed</th></tr></thead>\n"
	      "<tbody>\n",
	      out);
	for (size_t i = 0; i < f->n; i++) {
		const struct lg_finding *fi = f->v[i];
		fprintf(out,
		        "<tr><td><a href=\"#finding-%zu\">%zu</a></td>"
		        "<td><span class=\"badge %s\">%s</span></td>"
		        "<td class=\"num\">%zu</td><td class=\"num\">%zu</td><td>",
		        i + 1, i + 1, lg_html_class(fi), lg_render_kind_title(fi), fi->occurrences,
		        fi->nprocs);
		for (size_t k = 0; k < fi->ncycle_locks; k++) {
			fputs(k ? ", " : "", out);
			lg_html_lock(out, fi, k);
		}
		fputs("</td><td>", out);
		if (fi->nedges)
			lg_html_at(out, &fi->edges[fi->reversing_edge].acquire);
		fputs("</td></tr>\n", out);
	}
	fputs("</tbody>\n</table>\n", out);
}

static void named(FILE *out, const char *name, uint32_t tid)
{
	if (name)
		lg_markup_printf(out, "'%s' (tid %u)", name, tid);
	else if (tid)
		fprintf(out, "tid %u", tid);
	else
		fputs("an unknown thread", out);
}

/* A long wait or hold: not a deadlock, but what stands behind a stall. */
static void stall(FILE *out, const struct lg_stall *s)
{
	fprintf(out,
	        "<div class=\"edge\"><h3>Long %s: ", s->kind == LG_STALL_HOLD ? "hold" : "wait");
	named(out, s->thread_name, s->tid);
	double ms = (double)s->longest_ns / 1e6;
	if (s->kind == LG_STALL_HOLD)
		fputs(" held ", out);
	else
		fprintf(out, " waited %.0f ms for ", ms);
	fputs("<code>", out);
	lg_markup_text(out, s->lock.description);
	fputs("</code>", out);
	if (s->kind == LG_STALL_HOLD)
		fprintf(out, " for %.0f ms", ms);
	fputs(" (", out);
	lg_markup_text(out, s->exe);
	fprintf(out, " pid %u", s->pid);
	if (s->count > 1)
		fprintf(out, "; %zu times here, this the longest", s->count);
	fprintf(out, ")</h3>\n<p>%s at:</p>\n", s->kind == LG_STALL_HOLD ? "Taken" : "Waiting");
	lg_html_stack(out, &s->stack);
	if (s->kind == LG_STALL_HOLD) {
		fputs("<p>Released at:</p>\n", out);
		lg_html_stack(out, &s->other_stack);
	} else {
		fputs("<p>Held by ", out);
		named(out, s->other_name, s->other_tid);
		if (s->other_stack.missing) {
			fputs(" (where it took the lock is known only when it waits too).</p>\n",
			      out);
		} else {
			fputs(", taken at:</p>\n", out);
			lg_html_stack(out, &s->other_stack);
		}
	}
	fputs("</div>\n", out);
}

static void stalls(FILE *out, const struct lg_findings *f)
{
	if (f->nstalls == 0)
		return;
	fputs("<section class=\"stalls\" id=\"stalls\">\n<h2>Long waits and holds</h2>\n"
	      "<p class=\"why\">Not deadlocks, but often what stands behind a stall.</p>\n",
	      out);
	for (size_t i = 0; i < f->nstalls; i++)
		stall(out, &f->stalls[i]);
	fputs("</section>\n", out);
}

static void notes(FILE *out, const struct lg_findings *f)
{
	if (!f->nnotes && !f->unfinished && !f->truncated && !f->components_cut)
		return;
	fputs("<section class=\"notes\" id=\"notes\">\n<h2>Notes</h2>\n<ul>\n", out);
	for (size_t i = 0; i < f->nnotes; i++) {
		fputs("<li>", out);
		lg_markup_text(out, f->notes[i]);
		fputs("</li>\n", out);
	}
	if (f->unfinished) {
		fprintf(out, "<li>%zu process%s ended without exiting (killed or crashed): ",
		        f->unfinished, plural(f->unfinished, "", "es"));
		for (size_t i = 0; i < f->nunfinished_names; i++) {
			fputs(i ? ", " : "", out);
			lg_markup_text(out, f->unfinished_names[i]);
		}
		fprintf(out, "%s; what they recorded is reported</li>\n",
		        f->unfinished > f->nunfinished_names ? ", ..." : "");
	}
	if (f->truncated)
		fprintf(out, "<li>%zu trace%s cut short (process killed while writing)</li>\n",
		        f->truncated, plural(f->truncated, " was", "s were"));
	if (f->components_cut)
		fprintf(out,
		        "<li>the cycle search reached its bounds in %zu group%s of locks; "
		        "longer or further cycles there were not examined</li>\n",
		        f->components_cut, plural(f->components_cut, "", "s"));
	fputs("</ul>\n</section>\n", out);
}

void lg_render_html(FILE *out, const struct lg_findings *f)
{
	fprintf(out,
	        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	        "<meta name=\"generator\" content=\"lockgraph %s\">\n"
	        "<title>lockgraph report: %zu finding%s</title>\n<style>%s</style>\n</head>\n"
	        "<body>\n<h1>lockgraph report</h1>\n",
	        LG_VERSION, f->n, plural(f->n, "", "s"), style);
	summary(out, f);
	ranked_table(out, f);
	for (size_t i = 0; i < f->n; i++)
		lg_html_finding(out, f->v[i], i + 1);
	stalls(out, f);
	lg_render_profile_html(out, &f->profile);
	notes(out, f);
	fputs("<footer>Made by lockgraph " LG_VERSION ". Paths are as the debug information names "
	      "them.</footer>\n</body>\n</html>\n",
	      out);
}
