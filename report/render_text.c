/* The text report, written for an engineer who did not write the code:
 * what can deadlock, which threads took which locks in which order (both
 * stacks, file:line), where the threads came from, and the one change that
 * removes it. Ends with one SUMMARY line. */
#include <limits.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "render.h"
#include "trace_format.h"

/* Frames shown per stack; the JSON report has all of them. */
#define TEXT_FRAMES 8

struct text {
	FILE *out;
	char cwd[PATH_MAX];
	size_t cwd_len;
};

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
	if (fr->file && fr->line)
		fprintf(t->out, "%s:%d", show_path(t, fr->file), fr->line);
	else if (fr->module)
		fprintf(t->out, "(%s)", base_name(fr->module));
	else
		fprintf(t->out, "(unknown module)");
}

/* Where every thread or process starts: nothing to learn from these. */
static bool entry_frame(const struct lg_frame *fr)
{
	static const char *const names[] = {"start_thread",
	                                    "__clone3",
	                                    "clone",
	                                    "__clone",
	                                    "__libc_start_call_main",
	                                    "__libc_start_main",
	                                    "__libc_start_main_impl",
	                                    "_start"};
	for (size_t i = 0; fr->function && i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(fr->function, names[i]) == 0)
			return true;
	return false;
}

static void print_stack(const struct text *t, const struct lg_fstack *s, const char *indent)
{
	if (s->missing) {
		fprintf(t->out, "%s(stack unavailable)\n", indent);
		return;
	}
	size_t width = 0;
	size_t n = s->n;
	while (n > 1 && entry_frame(&s->frames[n - 1]))
		n--;
	size_t shown = n < TEXT_FRAMES ? n : TEXT_FRAMES;
	for (size_t i = 0; i < shown; i++) {
		const char *fn = s->frames[i].function ? s->frames[i].function : "??";
		if (strlen(fn) > width)
			width = strlen(fn);
	}
	for (size_t i = 0; i < shown; i++) {
		const struct lg_frame *fr = &s->frames[i];
		fprintf(t->out, "%s#%zu %-*s  ", indent, i, (int)width,
		        fr->function ? fr->function : "??");
		frame_location(t, fr);
		fprintf(t->out, "%s\n", fr->inlined ? " (inlined)" : "");
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
	fprintf(t->out, "  cycle: ");
	for (size_t i = 0; i < fi->nlocks; i++)
		fprintf(t->out, "%s → ", fi->locks[i].description);
	fprintf(t->out, "%s\n", fi->locks[0].description);
}

static void fix_hint(const struct text *t, const struct lg_finding *fi)
{
	const struct lg_fedge *rev = &fi->edges[fi->reversing_edge];
	const char *held = fi->locks[rev->from].description;
	const char *taken = fi->locks[rev->to].description;
	fprintf(t->out, "\n  fix: take these locks in one order on every path.\n       ");
	for (size_t i = 1; i <= fi->nlocks; i++) {
		size_t k = (rev->to + i - 1) % fi->nlocks;
		fprintf(t->out, "%s%s", fi->locks[k].description, i < fi->nlocks ? " → " : "");
	}
	fprintf(t->out, " was seen first;\n       it is reversed at ");
	at(t, &rev->acquire);
	fprintf(t->out,
	        ":\n       take %s before %s there,\n       or release %s before taking %s\n",
	        taken, held, held, taken);
}

static void finding(const struct text *t, const struct lg_finding *fi, size_t number)
{
	fprintf(t->out, "==lockgraph== #%zu ", number);
	if (fi->latent)
		fprintf(t->out,
		        "latent lock-order inversion between %zu locks\n"
		        "  (one thread took them in both orders: it can not deadlock as it ran,"
		        " but will once these paths run in different threads)\n",
		        fi->nlocks);
	else
		fprintf(t->out, "potential deadlock: lock-order inversion between %zu locks\n",
		        fi->nlocks);
	cycle_line(t, fi);
	for (size_t i = 0; i < fi->nedges; i++) {
		const struct lg_fedge *e = &fi->edges[i];
		fprintf(t->out, "\n  ");
		thread_name(t, &fi->threads[e->thread]);
		fprintf(t->out, " took %s%s while holding %s:\n", fi->locks[e->to].description,
		        e->flags & LG_ACQ_TIMED ? " (timed lock)" : "",
		        fi->locks[e->from].description);
		print_stack(t, &e->acquire, "    ");
		fprintf(t->out, "    %s was taken at:\n", fi->locks[e->from].description);
		print_stack(t, &e->held, "    ");
	}
	fprintf(t->out, "\n");
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
	if (fi->undecided)
		fprintf(t->out,
		        "  note: the search for a schedule that deadlocks ran out of budget;"
		        " shown as potential\n");
	fix_hint(t, fi);
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

void lg_render_text(FILE *out, const struct lg_findings *f)
{
	struct text t = {.out = out};
	if (getcwd(t.cwd, sizeof(t.cwd)))
		t.cwd_len = strlen(t.cwd);
	for (size_t i = 0; i < f->n; i++)
		finding(&t, f->v[i], i + 1);
	for (size_t i = 0; i < f->nnotes; i++)
		fprintf(out, "note: %s\n", f->notes[i]);
	if (f->truncated)
		fprintf(out, "note: %zu trace%s cut short (process killed while writing)\n",
		        f->truncated, plural(f->truncated, " was", "s were"));
	if (f->components_cut)
		fprintf(out,
		        "note: the cycle search reached its bounds in %zu group%s of locks;"
		        " longer or further cycles there were not examined\n",
		        f->components_cut, plural(f->components_cut, "", "s"));
	if (f->n == 0)
		return;
	size_t potential = lg_findings_count(f, LG_FINDING_POTENTIAL, false);
	size_t latent = lg_findings_count(f, LG_FINDING_POTENTIAL, true);
	fprintf(out,
	        "SUMMARY: lockgraph: %zu potential deadlock%s, %zu latent lock-order inversion%s",
	        potential, plural(potential, "", "s"), latent, plural(latent, "", "s"));
	const struct lg_finding *top = f->v[0];
	fprintf(out, " in %zu trace%s; first at ", f->traces, plural(f->traces, "", "s"));
	at(&t, &top->edges[top->reversing_edge].acquire);
	fprintf(out, "\n");
}
