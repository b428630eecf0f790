/* The text report, written for an engineer who did not write the code:
 * what can deadlock, which threads took which locks in which order (both
 * stacks, file:line), where the threads came from, and the one change that
 * removes it. Ends with one SUMMARY line. */
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "render.h"
#include "render_profile.h"
#include "render_util.h"
#include "source_lines.h"
#include "trace_format.h"

/* Frames shown per stack; the JSON report has all of them. */
#define TEXT_FRAMES 8

struct text {
	FILE *out;
	char cwd[PATH_MAX];
	size_t cwd_len;
	bool color; /* a terminal, and NO_COLOR unset */
	struct lg_source_lines *src;
};

/* ANSI colours, only when writing to a terminal (https://no-color.org). */
enum color { RED, YELLOW, GREEN, CYAN, BOLD };

static void paint(const struct text *t, enum color c)
{
	static const char *const codes[] = {"\033[1;31m", "\033[1;33m", "\033[32m", "\033[36m",
	                                    "\033[1m"};
	if (t->color)
		fputs(codes[c], t->out);
}

static void plain(const struct text *t)
{
	if (t->color)
		fputs("\033[0m", t->out);
}

static bool wants_color(FILE *out)
{
	const char *no = getenv("NO_COLOR"), *term = getenv("TERM");
	return isatty(fileno(out)) && !(no && *no) && !(term && strcmp(term, "dumb") == 0);
}

/* Paths under the current directory are shown relative to it. */
static const char *show_path(const struct text *t, const char *path)
{
	if (path && t->cwd_len && strncmp(path, t->cwd, t->cwd_len) == 0 && path[t->cwd_len] == '/')
		return path + t->cwd_len + 1;
	return path;
}

static const char *base_name(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;
	return slash ? slash + 1 : path;
}

static void frame_location(const struct text *t, const struct lg_frame *fr)
{
	if (fr->file && fr->line) {
		paint(t, CYAN);
		fprintf(t->out, "%s:%d", show_path(t, fr->file), fr->line);
		plain(t);
	} else if (fr->module && !fr->function)
		/* no symbols: where in which file, stable across runs */
		fprintf(t->out, "(%s+0x%llx)", base_name(fr->module),
		        (unsigned long long)fr->offset);
	else if (fr->module)
		fprintf(t->out, "(%s)", base_name(fr->module));
	else
		fprintf(t->out, "(unknown module)");
}

static void print_stack(const struct text *t, const struct lg_fstack *s, const char *indent)
{
	if (s->missing) {
		fprintf(t->out, "%s(stack unavailable)\n", indent);
		return;
	}
	size_t width = 0;
	size_t n = lg_render_frames(s);
	size_t shown = n < TEXT_FRAMES ? n : TEXT_FRAMES;
	for (size_t i = 0; i < shown; i++) {
		const char *fn = s->frames[i].function ? s->frames[i].function : "??";
		if (strlen(fn) > width)
			width = strlen(fn);
	}
	const struct lg_frame *top = lg_fstack_top(s);
	for (size_t i = 0; i < shown; i++) {
		const struct lg_frame *fr = &s->frames[i];
		fprintf(t->out, "%s#%zu %-*s  ", indent, i, (int)width,
		        fr->function ? fr->function : "??");
		frame_location(t, fr);
		fprintf(t->out, "%s\n", fr->inlined ? " (inlined)" : "");
		/* The line that takes the lock, as the source says it. */
		const char *code = fr == top ? lg_source_line(t->src, fr->file, fr->line) : NULL;
		if (code)
			fprintf(t->out, "%s   %6d | %s\n", indent, fr->line, code);
	}
	if (n > shown)
		fprintf(t->out, "%s... %zu more frames (--format json has them all)\n", indent,
		        n - shown);
	if (s->call_site_only)
		fprintf(t->out, "%s(only the call site was recorded for this lock)\n", indent);
}

static void thread_name(const struct text *t, const struct lg_fthread *th)
{
	fprintf(t->out, "%s", th->label);
	if (th->name)
		fprintf(t->out, " '%s'", th->name);
	if (th->main_thread)
		fprintf(t->out, " (main thread)");
}

/* "function (file:line)" for the frame a stack is best cited by. */
static void at(const struct text *t, const struct lg_fstack *s)
{
	const struct lg_frame *fr = lg_fstack_top(s);
	if (!fr) {
		fprintf(t->out, "(unknown)");
		return;
	}
	fprintf(t->out, "%s", fr->function ? fr->function : "??");
	if (fr->file && fr->line) {
		fprintf(t->out, " (");
		frame_location(t, fr);
		fprintf(t->out, ")");
	} else {
		fprintf(t->out, " ");
		frame_location(t, fr);
	}
}

static void cycle_line(const struct text *t, const struct lg_finding *fi)
{
	if (fi->within_class) {
		fprintf(t->out, "  class: %s\n", fi->locks[0].description);
		return;
	}
	fprintf(t->out, "  cycle: ");
	for (size_t i = 0; i < fi->ncycle_locks; i++)
		fprintf(t->out, "%s → ", fi->locks[i].description);
	fprintf(t->out, "%s\n", fi->locks[0].description);
}

static void fix_hint(const struct text *t, const struct lg_finding *fi)
{
	const struct lg_fedge *rev = &fi->edges[fi->reversing_edge];
	const char *held = fi->locks[rev->from].description;
	const char *taken = fi->locks[rev->to].description;
	size_t n = fi->ncycle_locks;
	fprintf(t->out, "\n  ");
	paint(t, GREEN);
	fprintf(t->out, "fix:");
	plain(t);
	if (fi->within_class) {
		fprintf(t->out, " take two locks of this class in one order on every path: the "
		                "path at\n       ");
		at(t, &fi->edges[1 - fi->reversing_edge].acquire);
		fprintf(t->out, " orders them by address;\n       the one at ");
		at(t, &rev->acquire);
		fprintf(t->out, " does not\n");
		return;
	}
	fprintf(t->out, " take these locks in one order on every path.\n       ");
	if (fi->kind == LG_FINDING_ACTUAL) {
		fprintf(t->out, "For example ");
	}
	for (size_t i = 1; i <= n; i++) {
		size_t k = (rev->to + i - 1) % n;
		fprintf(t->out, "%s%s", fi->locks[k].description, i < n ? " → " : "");
	}
	if (fi->kind == LG_FINDING_ACTUAL)
		fprintf(t->out, ";\n       it is reversed at ");
	else
		fprintf(t->out, " was seen first;\n       it is reversed at ");
	at(t, &rev->acquire);
	fprintf(t->out,
	        ":\n       take %s before %s there,\n       or release %s before taking %s\n",
	        taken, held, held, taken);
}

/* " (read)" / " (write)" after an rwlock's name; nothing for other locks. */
static const char *mode_note(const struct lg_flock *l, uint8_t mode)
{
	if (strcmp(l->kind, "rwlock") != 0)
		return "";
	return mode == LG_MODE_SHARED ? " (read)" : " (write)";
}

/* The order inversion: both (all) orders, each with both stacks. */
static void order_body(const struct text *t, const struct lg_finding *fi)
{
	cycle_line(t, fi);
	for (size_t i = 0; i < fi->nedges; i++) {
		const struct lg_fedge *e = &fi->edges[i];
		fprintf(t->out, "\n  ");
		thread_name(t, &fi->threads[e->thread]);
		/* A class finding names the objects this path used. */
		const char *to = e->to_object ? e->to_object : fi->locks[e->to].description;
		const char *from = e->from_object ? e->from_object : fi->locks[e->from].description;
		fprintf(t->out, " took %s%s%s while holding %s%s:\n", to,
		        mode_note(&fi->locks[e->to], e->to_mode),
		        e->flags & LG_ACQ_TIMED ? " (timed lock)" : "", from,
		        mode_note(&fi->locks[e->from], e->from_mode));
		print_stack(t, &e->acquire, "    ");
		fprintf(t->out, "    %s was taken at:\n", from);
		print_stack(t, &e->held, "    ");
	}
}

/* Stuck threads: who waits for what, held by whom; each one's wait and
 * holdings with their stacks. */
static void stuck_body(const struct text *t, const struct lg_finding *fi)
{
	for (size_t i = 0; i < fi->nthreads; i++) {
		const struct lg_fthread *th = &fi->threads[i];
		const struct lg_fthread *holder = &fi->threads[(i + 1) % fi->nthreads];
		fprintf(t->out, "  ");
		thread_name(t, th);
		/* Thread i holds edge i's `from` and waits for its `to`. */
		const struct lg_fedge *wants = &fi->edges[i];
		const struct lg_fedge *has = &fi->edges[(i + 1) % fi->nedges];
		const struct lg_flock *lock = &fi->locks[th->waiting_for];
		fprintf(t->out, " waits for %s%s%s, ", lock->description,
		        mode_note(lock, wants->to_mode), th->timed_wait ? " (timed)" : "");
		if (holder == th) {
			fprintf(t->out, "which it holds itself%s\n",
			        mode_note(lock, has->from_mode));
			continue;
		}
		fprintf(t->out, "held by ");
		thread_name(t, holder);
		fprintf(t->out, "%s\n", mode_note(lock, has->from_mode));
	}
	for (size_t i = 0; i < fi->nthreads; i++) {
		const struct lg_fthread *th = &fi->threads[i];
		fprintf(t->out, "\n  ");
		thread_name(t, th);
		fprintf(t->out, " waits for %s at:\n", fi->locks[th->waiting_for].description);
		print_stack(t, &th->wait_stack, "    ");
		for (size_t k = 0; k < th->nholding; k++) {
			fprintf(t->out, "    holding %s, taken at:\n",
			        fi->locks[th->holding[k].lock].description);
			print_stack(t, &th->holding[k].stack, "      ");
		}
	}
}

static void threads_created(const struct text *t, const struct lg_finding *fi)
{
	for (size_t i = 0; i < fi->nthreads; i++) {
		const struct lg_fthread *th = &fi->threads[i];
		fprintf(t->out, "  ");
		thread_name(t, th);
		if (th->main_thread) {
			fprintf(t->out, "\n");
			continue;
		}
		fprintf(t->out, " created at ");
		at(t, &th->created_at);
		fprintf(t->out, "\n");
	}
}

static void header(const struct text *t, const struct lg_finding *fi, size_t number)
{
	paint(t, fi->latent ? YELLOW : RED);
	fprintf(t->out, "==lockgraph== #%zu ", number);
	if (fi->kind == LG_FINDING_ACTUAL && fi->broken_by_timeout)
		fprintf(t->out,
		        "deadlock broken by a timeout, %zu time%s in %.1f s: %zu threads waited "
		        "for each other until a timed lock gave up\n",
		        fi->occurrences, fi->occurrences == 1 ? "" : "s",
		        (double)(fi->last_wall_ns - fi->first_wall_ns) / 1e9, fi->nthreads);
	else if (fi->kind == LG_FINDING_ACTUAL)
		fprintf(t->out, "DEADLOCK: %zu thread%s stuck%s\n", fi->nthreads,
		        fi->nthreads == 1 ? " is" : "s are",
		        fi->nthreads == 1 ? " on a lock it holds itself"
		                          : ", each waiting for a lock another one holds");
	else if (fi->latent && fi->latent_reason == LG_LATENT_NO_OVERLAP)
		fprintf(t->out,
		        "latent lock-order inversion between %zu locks (threads never overlapped)\n"
		        "  (the threads that took them in opposite orders never ran at the same "
		        "time:"
		        " it can not\n  deadlock as it ran, but will once they do)\n",
		        fi->nlocks);
	else if (fi->latent)
		fprintf(t->out,
		        "latent lock-order inversion between %zu locks (seen in one thread only)\n"
		        "  (one thread took them in both orders: it can not deadlock as it ran,"
		        " but will once\n  these paths run in different threads)\n",
		        fi->nlocks);
	else if (fi->within_class)
		fprintf(t->out,
		        "potential deadlock: two locks of one class taken in opposite orders\n");
	else if (fi->class_scope)
		fprintf(t->out,
		        "potential deadlock: lock-order inversion between %zu lock classes\n",
		        fi->nlocks);
	else
		fprintf(t->out, "potential deadlock: lock-order inversion between %zu locks\n",
		        fi->nlocks);
	plain(t);
	if (fi->within_class)
		fprintf(t->out,
		        "  (one path takes two objects of this class in address order, the other in"
		        " the\n  opposite order; they took different objects in this run, but"
		        " when both take the\n  same two, each waits for the other)\n");
	else if (fi->class_scope)
		fprintf(t->out,
		        "  (the paths below took different objects of the same classes, so this run"
		        " could not\n  deadlock; when they meet on one object, each waits for the"
		        " other)\n");
}

/* For an actual deadlock: what lockgraph saw and did. */
static void outcome(const struct text *t, const struct lg_finding *fi)
{
	if (fi->broken_by_timeout) {
		if (fi->occurrences > 1)
			fprintf(t->out, "\n  It keeps coming back: after each timeout the threads "
			                "retry in the "
			                "same order\n  and collide again.\n");
		return;
	}
	fprintf(t->out, "\n  lockgraph confirmed it %.1f ms after the last of these waits began",
	        (double)fi->detected_after_ns / 1e6);
	if (fi->action == LG_ACTION_EXIT)
		fprintf(t->out, " and ended the process (on_deadlock=exit)");
	else if (fi->action == LG_ACTION_ABORT)
		fprintf(t->out, " and aborted the process (on_deadlock=abort)");
	else if (fi->action == LG_ACTION_WAIT)
		fprintf(t->out, " and left it stuck (on_deadlock=wait)");
	fprintf(t->out, ".\n");
	if (fi->also_potential)
		fprintf(t->out,
		        "  The same locks were also taken in opposite orders (the lock-order "
		        "inversion behind it).\n");
}

static void relock_fix(const struct text *t, const struct lg_finding *fi)
{
	const struct lg_fthread *th = &fi->threads[0];
	const char *lock = fi->locks[th->waiting_for].description;
	fprintf(t->out, "\n  ");
	paint(t, GREEN);
	fprintf(t->out, "fix:");
	plain(t);
	fprintf(t->out, " do not take %s again at ", lock);
	at(t, &th->wait_stack);
	fprintf(t->out, "\n       while it is held (taken at ");
	at(t, &fi->edges[0].held);
	fprintf(t->out, "): pass the locked state down,\n"
	                "       or split the function into a locking and a lock-free part\n");
}

static void finding(const struct text *t, const struct lg_finding *fi, size_t number)
{
	header(t, fi, number);
	if (fi->kind == LG_FINDING_ACTUAL)
		stuck_body(t, fi);
	else
		order_body(t, fi);
	fprintf(t->out, "\n");
	threads_created(t, fi);
	if (fi->kind == LG_FINDING_ACTUAL)
		outcome(t, fi);
	if (fi->undecided)
		fprintf(t->out,
		        "  note: the search for a schedule that deadlocks ran out of budget;"
		        " shown as potential\n");
	if (fi->kind == LG_FINDING_ACTUAL && fi->nthreads == 1)
		relock_fix(t, fi);
	else
		fix_hint(t, fi);
	if (fi->broken_by_timeout)
		fprintf(t->out,
		        "       (then the timeout is never needed; if a retry stays, back off "
		        "with random jitter)\n");
	fprintf(t->out, "  seen %zu time%s in %zu process%s: ", fi->occurrences,
	        fi->occurrences == 1 ? "" : "s", fi->nprocs, fi->nprocs == 1 ? "" : "es");
	for (size_t i = 0; i < fi->nprocs && i < 5; i++)
		fprintf(t->out, "%s%s (pid %u)", i ? ", " : "", base_name(fi->procs[i].exe),
		        fi->procs[i].pid);
	fprintf(t->out, "%s\n\n", fi->nprocs > 5 ? ", ..." : "");
}

static const char *plural(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

static void named(const struct text *t, const char *name, uint32_t tid)
{
	if (name)
		fprintf(t->out, "'%s' (tid %u)", name, tid);
	else if (tid)
		fprintf(t->out, "tid %u", tid);
	else
		fprintf(t->out, "an unknown thread");
}

/* A long wait or hold: not a deadlock, but what stands behind a stall. */
static void stall(const struct text *t, const struct lg_stall *s)
{
	fprintf(t->out, "==lockgraph== long %s: ", s->kind == LG_STALL_HOLD ? "hold" : "wait");
	named(t, s->thread_name, s->tid);
	if (s->kind == LG_STALL_HOLD)
		fprintf(t->out, " held %s for %.0f ms", s->lock.description,
		        (double)s->longest_ns / 1e6);
	else
		fprintf(t->out, " waited %.0f ms for %s", (double)s->longest_ns / 1e6,
		        s->lock.description);
	fprintf(t->out, " (%s pid %u", base_name(s->exe), s->pid);
	if (s->count > 1)
		fprintf(t->out, "; %zu times here, this the longest", s->count);
	fprintf(t->out, ")\n  %s at:\n", s->kind == LG_STALL_HOLD ? "taken" : "waiting");
	print_stack(t, &s->stack, "    ");
	if (s->kind == LG_STALL_HOLD) {
		fprintf(t->out, "  released at:\n");
		print_stack(t, &s->other_stack, "    ");
	} else {
		fprintf(t->out, "  held by ");
		named(t, s->other_name, s->other_tid);
		if (s->other_stack.missing) {
			fprintf(t->out,
			        " (where it took the lock is known only when it waits too)\n");
		} else {
			fprintf(t->out, ", taken at:\n");
			print_stack(t, &s->other_stack, "    ");
		}
	}
	fprintf(t->out, "\n");
}

/* What kind of finding, in one word, for the table. */
static const char *kind_word(const struct lg_finding *fi)
{
	if (fi->kind == LG_FINDING_ACTUAL)
		return fi->broken_by_timeout ? "timed out" : "DEADLOCK";
	return fi->latent ? "latent" : "potential";
}

/* The ranked list first: fix the top of it first. */
static void ranked_table(const struct text *t, const struct lg_findings *f)
{
	fprintf(t->out, "lockgraph: %zu findings in %zu trace%s, most important first\n", f->n,
	        f->traces, plural(f->traces, "", "s"));
	fprintf(t->out, "  %3s  %-9s  %6s  %9s  %s\n", "#", "kind", "times", "processes",
	        "locks, and where the order is reversed");
	for (size_t i = 0; i < f->n; i++) {
		const struct lg_finding *fi = f->v[i];
		fprintf(t->out, "  %3zu  %-9s  %6zu  %9zu  ", i + 1, kind_word(fi), fi->occurrences,
		        fi->nprocs);
		for (size_t k = 0; k < fi->ncycle_locks; k++)
			fprintf(t->out, "%s%s", k ? ", " : "", fi->locks[k].description);
		fprintf(t->out, "; ");
		at(t, &fi->edges[fi->reversing_edge].acquire);
		fprintf(t->out, "\n");
	}
	fprintf(t->out, "\n");
}

/* "2 suppressed, 1 in the baseline, not shown" (a static buffer). */
static const char *left_out_text(const struct lg_findings *f)
{
	static char buf[128];
	if (f->suppressed && f->known)
		snprintf(buf, sizeof(buf), "%zu suppressed, %zu in the baseline, not shown",
		         f->suppressed, f->known);
	else if (f->suppressed)
		snprintf(buf, sizeof(buf), "%zu suppressed, not shown", f->suppressed);
	else
		snprintf(buf, sizeof(buf), "%zu in the baseline, not shown", f->known);
	return buf;
}

void lg_render_text(FILE *out, const struct lg_findings *f)
{
	struct text t = {.out = out, .color = wants_color(out), .src = lg_source_lines_new()};
	if (getcwd(t.cwd, sizeof(t.cwd)))
		t.cwd_len = strlen(t.cwd);
	if (f->n > 1)
		ranked_table(&t, f);
	for (size_t i = 0; i < f->n; i++)
		finding(&t, f->v[i], i + 1);
	for (size_t i = 0; i < f->nstalls; i++)
		stall(&t, &f->stalls[i]);
	lg_render_profile_text(out, &f->profile);
	for (size_t i = 0; i < f->nnotes; i++)
		fprintf(out, "note: %s\n", f->notes[i]);
	if (f->unfinished) {
		fprintf(out, "note: %zu process%s ended without exiting (killed or crashed): ",
		        f->unfinished, plural(f->unfinished, "", "es"));
		for (size_t i = 0; i < f->nunfinished_names; i++)
			fprintf(out, "%s%s", i ? ", " : "", f->unfinished_names[i]);
		fprintf(out, "%s; what they recorded is reported\n",
		        f->unfinished > f->nunfinished_names ? ", ..." : "");
	}
	if (f->truncated)
		fprintf(out, "note: %zu trace%s cut short (process killed while writing)\n",
		        f->truncated, plural(f->truncated, " was", "s were"));
	if (f->components_cut)
		fprintf(out,
		        "note: the cycle search reached its bounds in %zu group%s of locks;"
		        " longer or further cycles there were not examined\n",
		        f->components_cut, plural(f->components_cut, "", "s"));
	if (f->n == 0) {
		if (f->nleft_out)
			fprintf(out, "lockgraph: nothing new to report; %s\n", left_out_text(f));
		lg_source_lines_free(t.src);
		return;
	}
	size_t actual = lg_findings_count(f, LG_FINDING_ACTUAL, false);
	size_t potential = lg_findings_count(f, LG_FINDING_POTENTIAL, false);
	size_t latent = lg_findings_count(f, LG_FINDING_POTENTIAL, true);
	fprintf(out, "SUMMARY: lockgraph: ");
	if (actual)
		fprintf(out, "%zu deadlock%s, ", actual, plural(actual, "", "s"));
	fprintf(out, "%zu potential deadlock%s, %zu latent lock-order inversion%s", potential,
	        plural(potential, "", "s"), latent, plural(latent, "", "s"));
	const struct lg_finding *top = f->v[0];
	fprintf(out, " in %zu trace%s; first at ", f->traces, plural(f->traces, "", "s"));
	at(&t, &top->edges[top->reversing_edge].acquire);
	if (f->nleft_out)
		fprintf(out, "; %s", left_out_text(f));
	fprintf(out, "\n");
	lg_source_lines_free(t.src);
}
