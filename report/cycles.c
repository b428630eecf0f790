/* See cycles.h. */
#include "cycles.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "trace_format.h"

const struct lg_cycle_limits lg_cycle_default_limits = {
        .max_length = 12,
        .max_cycles = 1000,
        .max_steps = 1000000,
        .max_assignment = 100000,
};

bool lg_modes_conflict(unsigned held, unsigned wanted)
{
	/* Only exclusive modes exist so far; shared (read) modes, when they
	 * come, conflict only with exclusive ones. */
	(void)held;
	(void)wanted;
	return true;
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

struct assign {
	const struct lg_graph *g;
	size_t len;
	const struct lg_edge **edges;
	const struct lg_witness **chosen;
	bool distinct_threads;
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
		if (s->distinct_threads && s->chosen[j]->thread == w->thread)
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
	struct assign s = {g, len, edges, chosen, true, lim->max_assignment};
	int potential = choose(&s, 0);
	int latent = 0;
	if (potential == 0) {
		s.distinct_threads = false;
		s.budget = lim->max_assignment;
		latent = choose(&s, 0);
	}
	free(edges);
	if (potential == 0 && latent == 0) {
		out->infeasible++;
		free(chosen);
		return;
	}
	if (potential == -1 || (potential == 0 && latent == -1)) {
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
	c->latent = potential == 0 && latent == 1;
	c->undecided = potential == -1 || (potential == 0 && latent == -1);
}

/* ---- elementary cycles of one component ---- */

struct search {
	const struct lg_graph *g;
	const struct lg_cycle_limits *lim;
	const struct scc *scc;
	size_t comp, root;
	size_t *path;
	bool *on_path;
	size_t depth;
	size_t cycles, steps;
	bool cut, too_long;
	struct lg_cycles *out;
};

static void extend(struct search *s, size_t v)
{
	const struct lg_node *nv = &s->g->nodes[v];
	for (size_t k = 0; k < nv->nout && !s->cut; k++) {
		size_t w = s->g->edges[nv->out[k]].to;
		if (s->scc->comp[w] != s->comp || w < s->root)
			continue;
		if (++s->steps > s->lim->max_steps || s->cycles >= s->lim->max_cycles) {
			s->cut = true;
			return;
		}
		if (w == s->root) {
			s->cycles++;
			classify(s->g, s->lim, s->path, s->depth, s->out);
			continue;
		}
		if (s->on_path[w])
			continue;
		if (s->depth == s->lim->max_length) {
			s->too_long = true; /* longer cycles may exist here */
			continue;
		}
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
	bool *noted = lg_xcalloc(scc.ncomp, sizeof(bool));
	size_t *cycles = lg_xcalloc(scc.ncomp, sizeof(size_t));
	size_t *steps = lg_xcalloc(scc.ncomp, sizeof(size_t));
	struct search s = {
	        .g = g,
	        .lim = lim,
	        .scc = &scc,
	        .path = lg_xmalloc((lim->max_length + 1) * sizeof(size_t)),
	        .on_path = lg_xcalloc(g->nnodes, sizeof(bool)),
	        .out = out,
	};
	for (size_t root = 0; root < g->nnodes; root++) {
		size_t c = scc.comp[root];
		if (size[c] < 2 || cut[c])
			continue;
		s.comp = c;
		s.root = root;
		s.path[0] = root;
		s.depth = 1;
		s.on_path[root] = true;
		s.cycles = cycles[c];
		s.steps = steps[c];
		s.cut = s.too_long = false;
		extend(&s, root);
		s.on_path[root] = false;
		cycles[c] = s.cycles;
		steps[c] = s.steps;
		if ((s.cut || s.too_long) && !noted[c]) {
			noted[c] = true;
			out->components_cut++;
		}
		cut[c] = s.cut;
	}
	free(s.path);
	free(s.on_path);
	free(size);
	free(cut);
	free(noted);
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
