/* See findings.h: analyzing one trace after another, merging what they
 * find, ranking. */
#include "findings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "class_nesting.h"
#include "error.h"
#include "finding_parts.h"
#include "lock_classes.h"
#include "lock_graph.h"

void lg_findings_init(struct lg_findings *f)
{
	memset(f, 0, sizeof(*f));
	f->sym = lg_symbolizer_new();
}

static size_t process_of(struct lg_finding *fi, const struct lg_trace *t)
{
	for (size_t i = 0; i < fi->nprocs; i++)
		if (strcmp(fi->procs[i].trace, t->path) == 0)
			return i;
	lg_grow(&fi->procs, &fi->procs_cap, fi->nprocs, sizeof(*fi->procs));
	fi->procs[fi->nprocs] = (struct lg_fprocess){
	        .pid = t->pid,
	        .exe = lg_xstrdup(t->exe),
	        .host = lg_xstrdup(t->host),
	        .trace = lg_xstrdup(t->path),
	        .start_wall_ns = t->start_wall_ns,
	};
	return fi->nprocs++;
}

static void add_occurrence(struct lg_finding *fi, const struct lg_trace *t, uint64_t wall_ns)
{
	size_t proc = process_of(fi, t);
	lg_grow(&fi->occ, &fi->occ_cap, fi->nocc, sizeof(*fi->occ));
	fi->occ[fi->nocc++] = (struct lg_foccurrence){proc, wall_ns ? wall_ns : t->start_wall_ns};
	fi->occurrences = fi->nocc;
}

/* Moves from's processes and occurrences to to (which has none yet). */
static void take_history(struct lg_finding *to, struct lg_finding *from)
{
	to->procs = from->procs;
	to->nprocs = from->nprocs;
	to->procs_cap = from->procs_cap;
	to->occ = from->occ;
	to->nocc = from->nocc;
	to->occ_cap = from->occ_cap;
	to->occurrences = from->occurrences;
	to->first_wall_ns = from->first_wall_ns;
	to->last_wall_ns = from->last_wall_ns;
	from->procs = NULL;
	from->occ = NULL;
	from->nprocs = from->nocc = 0;
}

static uint64_t signature_key(const char *sig)
{
	return strtoull(sig, NULL, 16) | 1;
}

/* Adds finding fi, seen in trace t, to the list: a new entry, or one more
 * occurrence of the entry with its signature. fi is owned by the list (or
 * freed) afterwards. */
static void merge(struct lg_findings *f, struct lg_finding *fi, const struct lg_trace *t)
{
	uint64_t when = fi->kind == LG_FINDING_ACTUAL ? fi->first_wall_ns : 0;
	uint64_t key = signature_key(fi->signature);
	uint64_t at = lg_idmap_get(&f->by_signature, key);
	while (at && strcmp(f->v[at - 1]->signature, fi->signature) != 0)
		at = lg_idmap_get(&f->by_signature, ++key); /* 64-bit collision: probe on */
	if (!at) {
		add_occurrence(fi, t, when);
		lg_grow(&f->v, &f->cap, f->n, sizeof(*f->v));
		f->v[f->n++] = fi;
		lg_idmap_put(&f->by_signature, key, f->n);
		return;
	}
	struct lg_finding *old = f->v[at - 1];
	if (fi->first_wall_ns && (!old->first_wall_ns || fi->first_wall_ns < old->first_wall_ns))
		old->first_wall_ns = fi->first_wall_ns;
	if (fi->last_wall_ns > old->last_wall_ns)
		old->last_wall_ns = fi->last_wall_ns;
	old->also_potential |= fi->also_potential;
	if (old->latent && !fi->latent) {
		/* Show an occurrence that can really deadlock. */
		take_history(fi, old);
		lg_finding_free(old);
		f->v[at - 1] = old = fi;
	} else {
		lg_finding_free(fi);
	}
	add_occurrence(old, t, when);
}

/* The trace lock ids of cycle locks (cycle order does not matter). */
static bool same_locks(const struct lg_graph *g, const struct lg_cycle *c,
                       const struct lg_trace_deadlock *d)
{
	if (c->len != d->nwaiters)
		return false;
	for (size_t i = 0; i < c->len; i++) {
		bool found = false;
		for (unsigned k = 0; k < d->nwaiters && !found; k++)
			found = d->waiters[k].lock == g->nodes[c->nodes[i]].lock;
		if (!found)
			return false;
	}
	return true;
}

/* Cycles between lock classes that no instance cycle covers, and two
 * objects of one class taken in orders that disagree. */
static void add_class_findings(struct lg_findings *f, const struct lg_trace *t,
                               const struct lg_graph *g, const struct lg_cycle_limits *lim,
                               const struct lg_cycles *instance)
{
	size_t *class_of;
	struct lg_graph *cg = lg_class_graph_build(f, g, &class_of);
	struct lg_cycles cycles = {0};
	lg_cycles_find(cg, lim, &cycles);
	f->components_cut += cycles.components_cut;
	for (size_t i = 0; i < cycles.n; i++) {
		/* A class cycle is an inference already: one whose witness
		 * search ran out of budget is not shown (an instance cycle
		 * would be, as potential, so that nothing real is hidden). */
		if (cycles.v[i].undecided ||
		    lg_class_cycle_covered(&cycles.v[i], instance, class_of))
			continue;
		merge(f, lg_finding_from_cycle(f, cg, &cycles.v[i], true), t);
	}
	struct lg_finding **within;
	size_t nwithin = lg_class_nesting_find(f, g, cg, class_of, lim, &within);
	for (size_t i = 0; i < nwithin; i++)
		merge(f, within[i], t);
	free(within);
	lg_cycles_free(&cycles);
	lg_graph_free(cg);
	free(class_of);
}

void lg_findings_add_trace(struct lg_findings *f, const struct lg_trace *t,
                           const struct lg_cycle_limits *lim)
{
	f->traces++;
	if (t->truncated)
		f->truncated++;
	char name[300];
	snprintf(name, sizeof(name), "%s (pid %u)", lg_base_name(t->exe), t->pid);
	lg_grow(&f->traced, &f->traced_cap, f->ntraced, sizeof(*f->traced));
	f->traced[f->ntraced++] = (struct lg_traced_process){
	        .pid = t->pid,
	        .ended = t->ended,
	        .start_mono_ns = t->start_mono_ns,
	        .host = lg_xstrdup(t->host ? t->host : ""),
	        .name = lg_xstrdup(name),
	};
	for (size_t i = 0; i < t->nwarnings; i++)
		lg_finding_note(f, "%s (pid %u): %s", lg_base_name(t->exe), t->pid,
		                t->warnings[i].message);
	lg_profile_add_trace(f, t);
	struct lg_graph *g = lg_graph_build(t);
	struct lg_cycles cycles = {0};
	lg_cycles_find(g, lim, &cycles);
	f->components_cut += cycles.components_cut;
	/* A lock-order cycle that also really deadlocked is reported once, as
	 * the deadlock, which says it was seen as an inversion too. */
	bool *seen_as_cycle = lg_xcalloc(t->ndeadlocks + 1, sizeof(bool));
	for (size_t i = 0; i < cycles.n; i++) {
		bool covered = false;
		for (size_t k = 0; k < t->ndeadlocks; k++)
			if (same_locks(g, &cycles.v[i], &t->deadlocks[k]))
				covered = seen_as_cycle[k] = true;
		if (covered)
			continue;
		if (cycles.v[i].undecided)
			f->undecided++;
		merge(f, lg_finding_from_cycle(f, g, &cycles.v[i], false), t);
	}
	if (f->classes != LG_CLASSES_OFF)
		add_class_findings(f, t, g, lim, &cycles);
	for (size_t k = 0; k < t->ndeadlocks; k++) {
		struct lg_finding *fi = lg_finding_from_deadlock(f, t, &t->deadlocks[k]);
		fi->also_potential = seen_as_cycle[k];
		merge(f, fi, t);
	}
	free(seen_as_cycle);
	for (size_t i = 0; i < t->nlongs; i++)
		lg_stall_add(f, t, &t->longs[i]);
	lg_cycles_free(&cycles);
	lg_graph_free(g);
}

/* Actual deadlocks, then potential and latent ones between objects, then
 * those between classes. */
static int rank_of(const struct lg_finding *fi)
{
	if (fi->kind == LG_FINDING_ACTUAL)
		return 0;
	return (fi->latent ? 2 : 1) + (fi->class_scope ? 2 : 0);
}

static int compare(const void *pa, const void *pb)
{
	const struct lg_finding *a = *(struct lg_finding *const *)pa;
	const struct lg_finding *b = *(struct lg_finding *const *)pb;
	if (rank_of(a) != rank_of(b))
		return rank_of(a) - rank_of(b);
	if (a->occurrences != b->occurrences)
		return a->occurrences > b->occurrences ? -1 : 1;
	if (a->nprocs != b->nprocs)
		return a->nprocs > b->nprocs ? -1 : 1;
	return strcmp(a->signature, b->signature);
}

static int longest_first(const void *pa, const void *pb)
{
	const struct lg_stall *a = pa, *b = pb;
	if (a->longest_ns != b->longest_ns)
		return a->longest_ns > b->longest_ns ? -1 : 1;
	return strcmp(a->key, b->key);
}

static int by_host_pid_start(const void *x, const void *y)
{
	const struct lg_traced_process *a = x, *b = y;
	int c = strcmp(a->host, b->host);
	if (c)
		return c;
	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	return a->start_mono_ns < b->start_mono_ns ? -1 : a->start_mono_ns > b->start_mono_ns;
}

/* A trace without an END record is a process that was killed or crashed,
 * unless a later trace of the same host and pid exists: then it called
 * exec, and the new program (with lockgraph preloaded again) went on. */
static void count_unfinished(struct lg_findings *f)
{
	if (f->ntraced > 1)
		qsort(f->traced, f->ntraced, sizeof(*f->traced), by_host_pid_start);
	for (size_t i = 0; i < f->ntraced; i++) {
		const struct lg_traced_process *p = &f->traced[i];
		bool exec_ed = i + 1 < f->ntraced && f->traced[i + 1].pid == p->pid &&
		               strcmp(f->traced[i + 1].host, p->host) == 0;
		if (p->ended || exec_ed)
			continue;
		f->unfinished++;
		if (f->nunfinished_names < 5) {
			lg_grow(&f->unfinished_names, &f->unfinished_names_cap,
			        f->nunfinished_names, sizeof(char *));
			f->unfinished_names[f->nunfinished_names++] = lg_xstrdup(p->name);
		}
	}
}

void lg_findings_rank(struct lg_findings *f)
{
	count_unfinished(f);
	if (f->nstalls > 1)
		qsort(f->stalls, f->nstalls, sizeof(*f->stalls), longest_first);
	if (f->n > 1) /* qsort wants a valid pointer even for 0 */
		qsort(f->v, f->n, sizeof(*f->v), compare);
}

size_t lg_findings_count(const struct lg_findings *f, enum lg_finding_kind kind, bool latent)
{
	size_t n = 0;
	for (size_t i = 0; i < f->n; i++)
		if (f->v[i]->kind == kind && f->v[i]->latent == latent)
			n++;
	return n;
}

void lg_findings_leave_out(struct lg_findings *f, size_t i, const char *rule)
{
	struct lg_finding *fi = f->v[i];
	lg_grow(&f->left_out, &f->left_out_cap, f->nleft_out, sizeof(*f->left_out));
	struct lg_left_out *l = &f->left_out[f->nleft_out++];
	memcpy(l->signature, fi->signature, sizeof(l->signature));
	l->kind = fi->kind;
	l->latent = fi->latent;
	l->rule = rule ? lg_xstrdup(rule) : NULL;
	if (rule)
		f->suppressed++;
	else
		f->known++;
	lg_finding_free(fi);
	memmove(&f->v[i], &f->v[i + 1], (f->n - i - 1) * sizeof(*f->v));
	f->n--;
}

void lg_findings_free(struct lg_findings *f)
{
	for (size_t i = 0; i < f->n; i++)
		lg_finding_free(f->v[i]);
	free(f->v);
	for (size_t i = 0; i < f->nstrings; i++)
		free(f->strings[i]);
	free(f->strings);
	for (size_t i = 0; i < f->nnotes; i++)
		free(f->notes[i]);
	free(f->notes);
	for (size_t i = 0; i < f->nstalls; i++)
		lg_stall_free(&f->stalls[i]);
	for (size_t i = 0; i < f->nunfinished_names; i++)
		free(f->unfinished_names[i]);
	free(f->unfinished_names);
	for (size_t i = 0; i < f->ntraced; i++) {
		free(f->traced[i].host);
		free(f->traced[i].name);
	}
	free(f->traced);
	for (size_t i = 0; i < f->nleft_out; i++)
		free(f->left_out[i].rule);
	free(f->left_out);
	lg_profile_free(&f->profile);
	free(f->stalls);
	lg_idmap_free(&f->by_signature);
	lg_symbolizer_free(f->sym);
	memset(f, 0, sizeof(*f));
}
