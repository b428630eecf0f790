/* One finding of the HTML report: the same story as the text report (and
 * in its words: render_text.c), laid out for a browser: heading, the
 * picture of the cycle, the orders (or the stuck threads) with both
 * stacks, where the threads came from, what happened, and the fix. */
#include <string.h>

#include "html.h"
#include "markup.h"
#include "render_util.h"
#include "svg_graph.h"
#include "trace_format.h"

static const char *plural(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* " (read)" / " (write)" after an rwlock's name; nothing for other locks. */
static const char *mode_note(const struct lg_flock *l, uint8_t mode)
{
	if (strcmp(l->kind, "rwlock") != 0)
		return "";
	return mode == LG_MODE_SHARED ? " (read)" : " (write)";
}

static void header(FILE *out, const struct lg_finding *fi, size_t rank)
{
	fprintf(out, "<h2><a class=\"rank\" href=\"#finding-%zu\">#%zu</a> ", rank, rank);
	if (fi->kind == LG_FINDING_ACTUAL && fi->broken_by_timeout)
		fprintf(out,
		        "Deadlock broken by a timeout, %zu time%s in %.1f s: %zu threads "
		        "waited for each other until a timed lock gave up",
		        fi->occurrences, plural(fi->occurrences, "", "s"),
		        (double)(fi->last_wall_ns - fi->first_wall_ns) / 1e9, fi->nthreads);
	else if (fi->kind == LG_FINDING_ACTUAL)
		fprintf(out, "DEADLOCK: %zu thread%s stuck%s", fi->nthreads,
		        plural(fi->nthreads, " is", "s are"),
		        fi->nthreads == 1 ? " on a lock it holds itself"
		                          : ", each waiting for a lock another one holds");
	else if (fi->latent)
		fprintf(out, "Latent lock-order inversion between %zu locks (%s)", fi->ncycle_locks,
		        fi->latent_reason == LG_LATENT_NO_OVERLAP ? "threads never overlapped"
		                                                  : "seen in one thread only");
	else if (fi->within_class)
		fputs("Potential deadlock: two locks of one class taken in opposite orders", out);
	else
		fprintf(out, "Potential deadlock: lock-order inversion between %zu locks",
		        fi->ncycle_locks);
	fputs("</h2>\n", out);
	if (fi->latent && fi->latent_reason == LG_LATENT_NO_OVERLAP)
		fputs("<p class=\"why\">The threads that took them in opposite orders never ran at "
		      "the same time: it can not deadlock as it ran, but will once they do.</p>\n",
		      out);
	else if (fi->latent)
		fputs("<p class=\"why\">One thread took them in both orders: it can not "
		      "deadlock as it ran, but will once these paths run in different "
		      "threads.</p>\n",
		      out);
	else if (fi->within_class)
		fputs("<p class=\"why\">One path takes two objects of this class in address "
		      "order, the other in the opposite order; they took different objects in "
		      "this run, but when both take the same two, each waits for the "
		      "other.</p>\n",
		      out);
}

static void cycle(FILE *out, const struct lg_finding *fi, size_t rank)
{
	char id[32];
	snprintf(id, sizeof(id), "cycle-%zu", rank);
	fputs("<figure class=\"graph\">\n", out);
	lg_svg_cycle(out, fi, id, lg_html_colour(fi));
	fputs("<figcaption>cycle: ", out);
	for (size_t i = 0; i < fi->ncycle_locks; i++) {
		lg_html_lock(out, fi, i);
		fputs(" → ", out);
	}
	lg_html_lock(out, fi, 0);
	fputs("</figcaption>\n</figure>\n", out);
}

/* The order inversion: every edge, each with both stacks. */
static void orders(FILE *out, const struct lg_finding *fi)
{
	for (size_t i = 0; i < fi->nedges; i++) {
		const struct lg_fedge *e = &fi->edges[i];
		fputs("<div class=\"edge\"><h3>", out);
		lg_html_thread(out, &fi->threads[e->thread]);
		fputs(" took ", out);
		lg_html_lock(out, fi, e->to);
		fprintf(out, "%s%s while holding ", mode_note(&fi->locks[e->to], e->to_mode),
		        e->flags & LG_ACQ_TIMED ? " (timed lock)" : "");
		lg_html_lock(out, fi, e->from);
		fprintf(out, "%s:</h3>\n", mode_note(&fi->locks[e->from], e->from_mode));
		lg_html_stack(out, &e->acquire);
		fputs("<p>", out);
		lg_html_lock(out, fi, e->from);
		fputs(" was taken at:</p>\n", out);
		lg_html_stack(out, &e->held);
		fputs("</div>\n", out);
	}
}

/* Stuck threads: who waits for what, held by whom; each one's wait and
 * holdings with their stacks. Thread i holds edge i's `from` and waits
 * for its `to` (deadlock_findings.c). */
static void stuck(FILE *out, const struct lg_finding *fi)
{
	fputs("<ul class=\"waits\">\n", out);
	for (size_t i = 0; i < fi->nthreads && i < fi->nedges; i++) {
		const struct lg_fthread *th = &fi->threads[i];
		const struct lg_fthread *holder = &fi->threads[(i + 1) % fi->nthreads];
		const struct lg_fedge *has = &fi->edges[(i + 1) % fi->nedges];
		size_t lock = th->waiting_for >= 0 ? (size_t)th->waiting_for : fi->edges[i].to;
		fputs("<li>", out);
		lg_html_thread(out, th);
		fputs(" waits for ", out);
		lg_html_lock(out, fi, lock);
		fprintf(out, "%s%s, ", mode_note(&fi->locks[lock], fi->edges[i].to_mode),
		        th->timed_wait ? " (timed)" : "");
		if (holder == th) {
			fprintf(out, "which it holds itself%s</li>\n",
			        mode_note(&fi->locks[lock], has->from_mode));
			continue;
		}
		fputs("held by ", out);
		lg_html_thread(out, holder);
		fprintf(out, "%s</li>\n", mode_note(&fi->locks[lock], has->from_mode));
	}
	fputs("</ul>\n", out);
	for (size_t i = 0; i < fi->nthreads; i++) {
		const struct lg_fthread *th = &fi->threads[i];
		if (th->waiting_for < 0)
			continue;
		fputs("<div class=\"edge\"><h3>", out);
		lg_html_thread(out, th);
		fputs(" waits for ", out);
		lg_html_lock(out, fi, (size_t)th->waiting_for);
		fputs(" at:</h3>\n", out);
		lg_html_stack(out, &th->wait_stack);
		for (size_t k = 0; k < th->nholding; k++) {
			fputs("<p>holding ", out);
			lg_html_lock(out, fi, th->holding[k].lock);
			fputs(", taken at:</p>\n", out);
			lg_html_stack(out, &th->holding[k].stack);
		}
		fputs("</div>\n", out);
	}
}

static void threads_created(FILE *out, const struct lg_finding *fi)
{
	fputs("<h3>Threads</h3>\n<ul class=\"threads\">\n", out);
	for (size_t i = 0; i < fi->nthreads; i++) {
		const struct lg_fthread *th = &fi->threads[i];
		fputs("<li>", out);
		lg_html_thread(out, th);
		if (!th->main_thread) {
			fputs(" created at ", out);
			lg_html_at(out, &th->created_at);
		}
		fputs("</li>\n", out);
	}
	fputs("</ul>\n", out);
}

/* For an actual deadlock: what lockgraph saw and did. */
static void outcome(FILE *out, const struct lg_finding *fi)
{
	if (fi->broken_by_timeout) {
		if (fi->occurrences > 1)
			fputs("<p class=\"outcome\">It keeps coming back: after each timeout the "
			      "threads retry in the same order and collide again.</p>\n",
			      out);
		return;
	}
	fprintf(out,
	        "<p class=\"outcome\">lockgraph confirmed it %.1f ms after the last of these "
	        "waits began",
	        (double)fi->detected_after_ns / 1e6);
	if (fi->action == LG_ACTION_EXIT)
		fputs(" and ended the process (<code>on_deadlock=exit</code>)", out);
	else if (fi->action == LG_ACTION_ABORT)
		fputs(" and aborted the process (<code>on_deadlock=abort</code>)", out);
	else if (fi->action == LG_ACTION_WAIT)
		fputs(" and left it stuck (<code>on_deadlock=wait</code>)", out);
	fputs(".", out);
	if (fi->also_potential)
		fputs(" The same locks were also taken in opposite orders (the "
		      "lock-order inversion behind it).",
		      out);
	fputs("</p>\n", out);
}

static void fix_order(FILE *out, const struct lg_finding *fi)
{
	const struct lg_fedge *rev = &fi->edges[fi->reversing_edge];
	size_t n = fi->ncycle_locks;
	fputs("<p>Take these locks in one order on every path. ", out);
	if (fi->kind == LG_FINDING_ACTUAL)
		fputs("For example ", out);
	for (size_t i = 1; i <= n; i++) {
		lg_html_lock(out, fi, (rev->to + i - 1) % n);
		if (i < n)
			fputs(" → ", out);
	}
	fputs(fi->kind == LG_FINDING_ACTUAL ? "; it is reversed at "
	                                    : " was seen first; it is reversed at ",
	      out);
	lg_html_at(out, &rev->acquire);
	fputs(": take ", out);
	lg_html_lock(out, fi, rev->to);
	fputs(" before ", out);
	lg_html_lock(out, fi, rev->from);
	fputs(" there, or release ", out);
	lg_html_lock(out, fi, rev->from);
	fputs(" before taking ", out);
	lg_html_lock(out, fi, rev->to);
	fputs(".", out);
	if (fi->broken_by_timeout)
		fputs(" (Then the timeout is never needed; if a retry stays, back off with random "
		      "jitter.)",
		      out);
	fputs("</p>\n", out);
}

static void fix_relock(FILE *out, const struct lg_finding *fi)
{
	const struct lg_fthread *th = &fi->threads[0];
	size_t lock = th->waiting_for >= 0 ? (size_t)th->waiting_for : fi->edges[0].to;
	fputs("<p>Do not take ", out);
	lg_html_lock(out, fi, lock);
	fputs(" again at ", out);
	lg_html_at(out, &th->wait_stack);
	fputs(" while it is held (taken at ", out);
	lg_html_at(out, &fi->edges[0].held);
	fputs("): pass the locked state down, or split the function into a locking and a "
	      "lock-free part.</p>\n",
	      out);
}

static void seen(FILE *out, const struct lg_finding *fi)
{
	fprintf(out, "<p class=\"seen\">Seen %zu time%s in %zu process%s: ", fi->occurrences,
	        plural(fi->occurrences, "", "s"), fi->nprocs, plural(fi->nprocs, "", "es"));
	for (size_t i = 0; i < fi->nprocs; i++) {
		fputs(i ? ", " : "", out);
		fputs("<code>", out);
		lg_markup_text(out, fi->procs[i].exe);
		fprintf(out, "</code> (pid %u", fi->procs[i].pid);
		if (fi->procs[i].host) {
			fputs(" on ", out);
			lg_markup_text(out, fi->procs[i].host);
		}
		fputs(")", out);
	}
	char first[32], last[32];
	if (fi->nocc) {
		lg_render_time(first, sizeof(first), fi->occ[0].wall_ns);
		lg_render_time(last, sizeof(last), fi->occ[fi->nocc - 1].wall_ns);
		if (*first)
			fprintf(out, "; first <time>%s</time>", first);
		if (fi->nocc > 1 && *last)
			fprintf(out, ", last <time>%s</time>", last);
	}
	fputs(". Signature <code>", out);
	lg_markup_text(out, fi->signature);
	fputs("</code>.</p>\n", out);
}

void lg_html_finding(FILE *out, const struct lg_finding *fi, size_t rank)
{
	fprintf(out, "<section class=\"finding %s\" id=\"finding-%zu\">\n", lg_html_class(fi),
	        rank);
	header(out, fi, rank);
	cycle(out, fi, rank);
	if (fi->kind == LG_FINDING_ACTUAL)
		stuck(out, fi);
	else
		orders(out, fi);
	threads_created(out, fi);
	if (fi->kind == LG_FINDING_ACTUAL)
		outcome(out, fi);
	if (fi->undecided)
		fputs("<p class=\"note\">The search for a schedule that deadlocks ran out of "
		      "budget; shown as potential.</p>\n",
		      out);
	fputs("<div class=\"fix\"><h3>Fix</h3>\n", out);
	if (fi->nedges && fi->kind == LG_FINDING_ACTUAL && fi->nthreads == 1)
		fix_relock(out, fi);
	else if (fi->nedges)
		fix_order(out, fi);
	fputs("</div>\n", out);
	seen(out, fi);
	fputs("</section>\n", out);
}
