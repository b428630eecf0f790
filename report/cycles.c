/* See cycles.h. */
#include "cycles.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "idmap.h"
#include "thread_order.h"
#include "trace_format.h"

const struct lg_cycle_limits lg_cycle_default_limits = {
        .max_length = 12,
        .max_cycles = 1000,
        .max_steps = 1000000,
        .max_assignment = 100000,
};

bool lg_modes_conflict(unsigned held, unsigned wanted)
{
	/* Two readers of an rwlock never wait for each other. */
	return held != LG_MODE_SHARED || wanted != LG_MODE_SHARED;
}

/* ---- strongly connected components (Tarjan, iterative) ---- */

struct scc {
	size_t *comp; /* node -> component id */
	size_t ncomp;
};

static void tarjan(const struct lg_graph *g, struct scc *out)
{
	size_t n = g->nnodes;
	size_t *index = lg_xmalloc(n * sizeof(size_t));
	size_t *low = lg_xmalloc(n * sizeof(size_t));
	bool *on_stack = lg_xcalloc(n, sizeof(bool));
	size_t *stack = lg_xmalloc(n * sizeof(size_t));
	size_t *call_node = lg_xmalloc(n * sizeof(size_t));
	size_t *call_edge = lg_xmalloc(n * sizeof(size_t));
	size_t sp = 0, next_index = 0;
	const size_t unvisited = (size_t)-1;
	for (size_t i = 0; i < n; i++)
		index[i] = unvisited;
	out->comp = lg_xmalloc(n * sizeof(size_t));
	out->ncomp = 0;
	for (size_t root = 0; root < n; root++) {
		if (index[root] != unvisited)
			continue;
		size_t depth = 0;
		call_node[0] = root;
		call_edge[0] = 0;
		index[root] = low[root] = next_index++;
		stack[sp++] = root;
		on_stack[root] = true;
		while (depth != (size_t)-1) {
			size_t v = call_node[depth];
			const struct lg_node *nv = &g->nodes[v];
			if (call_edge[depth] < nv->nout) {
				size_t w = g->edges[nv->out[call_edge[depth]++]].to;
				if (index[w] == unvisited) {
					index[w] = low[w] = next_index++;
					stack[sp++] = w;
					on_stack[w] = true;
					depth++;
					call_node[depth] = w;
					call_edge[depth] = 0;
				} else if (on_stack[w] && index[w] < low[v]) {
					low[v] = index[w];
				}
				continue;
			}
			if (low[v] == index[v]) {
				size_t w;
				do {
					w = stack[--sp];
					on_stack[w] = false;
					out->comp[w] = out->ncomp;
				} while (w != v);
				out->ncomp++;
			}
			depth--;
			if (depth != (size_t)-1) {
				size_t parent = call_node[depth];
				if (low[v] < low[parent])
					low[parent] = low[v];
			}
		}
	}
	free(index);
	free(low);
	free(on_stack);
	free(stack);
	free(call_node);
	free(call_edge);
}

/* ---- feasibility: one witness per edge ---- */

/* What the chosen threads must satisfy, strictest first. */
enum thread_rule {
	THREADS_OVERLAPPING, /* distinct, and may have run at the same time */
	THREADS_DISTINCT,    /* distinct */
	THREADS_ANY,
};

struct assign {
	const struct lg_graph *g;
	size_t len;
	const struct lg_edge **edges;
	const struct lg_witness **chosen;
	enum thread_rule rule;
	size_t budget;
};

static bool held_sets_meet(const struct lg_trace_acquire *a, const struct lg_trace_acquire *b)
{
	for (unsigned i = 0; i < a->nheld; i++)
		for (unsigned j = 0; j < b->nheld; j++)
			if (a->held[i].lock == b->held[j].lock)
				return true;
	return false;
}

static bool threads_allowed(const struct assign *s, uint32_t a, uint32_t b)
{
	switch (s->rule) {
	case THREADS_OVERLAPPING:
		return lg_threads_overlap(s->g->trace, a, b);
	case THREADS_DISTINCT:
		return a != b;
	case THREADS_ANY:
		break;
	}
	return true;
}

/* Can w follow the witnesses chosen for edges 0..i-1? */
static bool compatible(const struct assign *s, size_t i, const struct lg_witness *w)
{
	if (w->flags & LG_ACQ_TRY)
		return false;
	/* Edge i-1 wants the lock edge i holds. */
	if (i > 0 && !lg_modes_conflict(w->from_mode, s->chosen[i - 1]->to_mode))
		return false;
	if (i == s->len - 1 && !lg_modes_conflict(s->chosen[0]->from_mode, w->to_mode))
		return false;
	for (size_t j = 0; j < i; j++) {
		if (!threads_allowed(s, s->chosen[j]->thread, w->thread))
			return false;
		if (held_sets_meet(s->chosen[j]->acquire, w->acquire))
			return false;
	}
	return true;
}

/* 1: found, 0: none exists, -1: budget exhausted. */
static int choose(struct assign *s, size_t i)
{
	if (i == s->len)
		return 1;
	const struct lg_edge *e = s->edges[i];
	for (size_t k = 0; k < e->nw; k++) {
		if (s->budget == 0)
			return -1;
		s->budget--;
		if (!compatible(s, i, &e->w[k]))
			continue;
		s->chosen[i] = &e->w[k];
		int r = choose(s, i + 1);
		if (r != 0)
			return r;
	}
	return 0;
}

static void classify(const struct lg_graph *g, const struct lg_cycle_limits *lim,
                     const size_t *path, size_t len, struct lg_cycles *out)
{
	const struct lg_edge **edges = lg_xmalloc(len * sizeof(*edges));
	for (size_t i = 0; i < len; i++)
		edges[i] = lg_graph_edge(g, path[i], path[(i + 1) % len]);
	const struct lg_witness **chosen = lg_xcalloc(len, sizeof(*chosen));
	struct assign s = {g, len, edges, chosen, THREADS_OVERLAPPING, 0};
	/* The strictest rule a schedule satisfies says what the cycle is:
	 * overlapping threads, a potential deadlock; distinct threads that
	 * never overlapped, or too few threads, latent. */
	int found = 0;
	for (s.rule = THREADS_OVERLAPPING; s.rule <= THREADS_ANY && found == 0; s.rule++) {
		s.budget = lim->max_assignment;
		found = choose(&s, 0);
		if (found != 0)
			break;
	}
	free(edges);
	if (found == 0) {
		out->infeasible++;
		free(chosen);
		return;
	}
	if (found == -1) {
		/* Undecided: keep the first witness of each edge to show. */
		for (size_t i = 0; i < len; i++)
			chosen[i] = &lg_graph_edge(g, path[i], path[(i + 1) % len])->w[0];
	}
	lg_grow(&out->v, &out->cap, out->n, sizeof(*out->v));
	struct lg_cycle *c = &out->v[out->n++];
	c->len = len;
	c->nodes = lg_xmalloc(len * sizeof(size_t));
	memcpy(c->nodes, path, len * sizeof(size_t));
	c->chosen = chosen;
	c->undecided = found == -1;
	c->latent = found == 1 && s.rule != THREADS_OVERLAPPING;
	c->latent_reason = !c->latent                   ? LG_LATENT_NONE
	                   : s.rule == THREADS_DISTINCT ? LG_LATENT_NO_OVERLAP
	                                                : LG_LATENT_ONE_THREAD;
}

/* ---- elementary cycles of one component ---- */

/* Could edges e1 and e2 be in one deadlock at all? Only if some witness of
 * each has held sets apart (two threads can not both hold a lock). Cached:
 * a thread holding n nested locks makes n^2/2 edges that all share its
 * outermost locks, and this keeps the search from trying their paths. */
struct compat_cache {
	struct lg_idmap answers; /* pair -> 1 compatible, 2 not */
};

static bool edges_compatible(const struct lg_graph *g, struct compat_cache *cc, size_t e1,
                             size_t e2)
{
	if (e1 == e2)
		return false;
	uint64_t key = e1 < e2 ? (((uint64_t)e1 + 1) << 32 | (e2 + 1))
	                       : (((uint64_t)e2 + 1) << 32 | (e1 + 1));
	uint64_t v = lg_idmap_get(&cc->answers, key);
	if (v)
		return v == 1;
	const struct lg_edge *a = &g->edges[e1], *b = &g->edges[e2];
	bool ok = false;
	for (size_t i = 0; i < a->nw && !ok; i++)
		for (size_t j = 0; j < b->nw && !ok; j++)
			ok = !held_sets_meet(a->w[i].acquire, b->w[j].acquire);
	lg_idmap_put(&cc->answers, key, ok ? 1 : 2);
	return ok;
}

struct search {
	const struct lg_graph *g;
	const struct lg_cycle_limits *lim;
	const struct scc *scc;
	struct compat_cache *cc;
	size_t comp, root;
	size_t depth_limit; /* this pass finds cycles of exactly this length */
	size_t *path;       /* nodes */
	size_t *path_edges; /* edge i: path[i] -> path[i + 1] */
	bool *on_path;
	size_t depth;
	size_t cycles, steps;
	bool cut, too_long;
	struct lg_cycles *out;
};

/* Is edge compatible with every edge of the path so far? */
static bool fits_path(struct search *s, size_t edge)
{
	for (size_t i = 0; i + 1 < s->depth; i++)
		if (!edges_compatible(s->g, s->cc, s->path_edges[i], edge))
			return false;
	return true;
}

static void extend(struct search *s, size_t v)
{
	const struct lg_node *nv = &s->g->nodes[v];
	for (size_t k = 0; k < nv->nout && !s->cut; k++) {
		size_t e = nv->out[k];
		size_t w = s->g->edges[e].to;
		if (s->scc->comp[w] != s->comp || w < s->root)
			continue;
		if (++s->steps > s->lim->max_steps || s->cycles >= s->lim->max_cycles) {
			s->cut = true;
			return;
		}
		if (w == s->root) {
			if (s->depth == s->depth_limit && fits_path(s, e)) {
				s->cycles++;
				classify(s->g, s->lim, s->path, s->depth, s->out);
			}
			continue;
		}
		if (s->on_path[w] || s->depth == s->depth_limit || !fits_path(s, e))
			continue;
		s->path_edges[s->depth - 1] = e;
		s->path[s->depth++] = w;
		s->on_path[w] = true;
		extend(s, w);
		s->on_path[w] = false;
		s->depth--;
	}
}

void lg_cycles_find(const struct lg_graph *g, const struct lg_cycle_limits *lim,
                    struct lg_cycles *out)
{
	if (g->nnodes == 0)
		return;
	struct scc scc;
	tarjan(g, &scc);
	size_t *size = lg_xcalloc(scc.ncomp, sizeof(size_t));
	for (size_t v = 0; v < g->nnodes; v++)
		size[scc.comp[v]]++;
	bool *cut = lg_xcalloc(scc.ncomp, sizeof(bool));
	size_t *cycles = lg_xcalloc(scc.ncomp, sizeof(size_t));
	size_t *steps = lg_xcalloc(scc.ncomp, sizeof(size_t));
	struct compat_cache cc = {0};
	struct search s = {
	        .g = g,
	        .lim = lim,
	        .scc = &scc,
	        .cc = &cc,
	        .path = lg_xmalloc((lim->max_length + 1) * sizeof(size_t)),
	        .path_edges = lg_xmalloc((lim->max_length + 1) * sizeof(size_t)),
	        .on_path = lg_xcalloc(g->nnodes, sizeof(bool)),
	        .out = out,
	};
	/* Shortest cycles first, length by length: the two-lock inversions
	 * that are most bugs are found however dense the rest is, and the
	 * bounds cut off the long ones only. */
	for (size_t len = 2; len <= lim->max_length; len++) {
		s.depth_limit = len;
		for (size_t root = 0; root < g->nnodes; root++) {
			size_t c = scc.comp[root];
			if (size[c] < len || cut[c])
				continue;
			s.comp = c;
			s.root = root;
			s.path[0] = root;
			s.depth = 1;
			s.on_path[root] = true;
			s.cycles = cycles[c];
			s.steps = steps[c];
			s.cut = false;
			extend(&s, root);
			s.on_path[root] = false;
			cycles[c] = s.cycles;
			steps[c] = s.steps;
			if (s.cut) {
				cut[c] = true;
				out->components_cut++;
			}
		}
	}
	/* A component bigger than the longest cycle searched may hold longer
	 * ones: say so, unless the bounds already did. */
	for (size_t c = 0; c < scc.ncomp; c++)
		if (!cut[c] && size[c] > lim->max_length)
			out->components_cut++;
	lg_idmap_free(&cc.answers);
	free(s.path);
	free(s.path_edges);
	free(s.on_path);
	free(size);
	free(cut);
	free(cycles);
	free(steps);
	free(scc.comp);
}

void lg_cycles_free(struct lg_cycles *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].nodes);
		free(c->v[i].chosen);
	}
	free(c->v);
	*c = (struct lg_cycles){0};
}
