/* See class_nesting.h. The inference runs on a two-node graph per class,
 * LOW and HIGH (both standing for the class): a pair taken lower address
 * first is an edge LOW -> HIGH, the other way HIGH -> LOW. The path that
 * orders by address gives one edge its witnesses, the other paths' pairs
 * in the opposite order the other edge, and the ordinary cycle search and
 * feasibility rules (cycles.c) decide on the 2-cycle. */
#include "class_nesting.h"

#include <stdlib.h>

#include "error.h"
#include "finding_parts.h"
#include "idmap.h"

enum { ASCENDING = 1, DESCENDING = 2 };

struct path {
	uint64_t key;
	unsigned directions; /* ASCENDING | DESCENDING seen */
	size_t pairs;        /* distinct object pairs */
	size_t last_edge;    /* the instance edge counted last, + 1 */
};

struct class_edges {
	size_t *edge; /* instance edges within the class */
	size_t n, cap;
};

static uint64_t top_pc(const struct lg_trace *t, uint32_t stack)
{
	const struct lg_trace_stack *s = stack ? lg_trace_stack_by_id(t, stack) : NULL;
	return s && s->nframes ? s->pcs[0] : 0;
}

/* Where the outer and the inner lock were taken. */
static uint64_t path_key(const struct lg_trace *t, const struct lg_witness *w)
{
	uint64_t h = top_pc(t, w->held_stack) * 0x9e3779b97f4a7c15ULL;
	h ^= top_pc(t, w->acquire_stack) + 0x632be59bd9b4e019ULL + (h << 6) + (h >> 2);
	return h ? h : 1;
}

static unsigned direction(const struct lg_trace *t, const struct lg_witness *w)
{
	const struct lg_trace_lock *from = lg_trace_lock_by_id(t, w->from_lock);
	const struct lg_trace_lock *to = lg_trace_lock_by_id(t, w->to_lock);
	if (!from || !to || from->address == to->address)
		return 0; /* one address reused: no order to read */
	return from->address < to->address ? ASCENDING : DESCENDING;
}

/* Does some object of the class have two different outer objects? */
static bool not_a_tree(const struct lg_graph *g, const struct class_edges *ce)
{
	struct lg_idmap outers = {0};
	bool found = false;
	for (size_t i = 0; i < ce->n && !found; i++) {
		uint64_t to = g->edges[ce->edge[i]].to + 1;
		found = !lg_idmap_put(&outers, to, 1);
	}
	lg_idmap_free(&outers);
	return found;
}

static struct path *paths_of(const struct lg_graph *g, const struct class_edges *ce, size_t *npaths)
{
	struct lg_idmap index = {0};
	struct path *v = NULL;
	size_t n = 0, cap = 0;
	for (size_t i = 0; i < ce->n; i++) {
		const struct lg_edge *e = &g->edges[ce->edge[i]];
		for (size_t k = 0; k < e->nw; k++) {
			unsigned dir = direction(g->trace, &e->w[k]);
			if (!dir)
				continue;
			uint64_t key = path_key(g->trace, &e->w[k]);
			uint64_t at = lg_idmap_get(&index, key);
			if (!at) {
				lg_grow(&v, &cap, n, sizeof(*v));
				v[n++] = (struct path){.key = key};
				lg_idmap_put(&index, key, at = n);
			}
			struct path *p = &v[at - 1];
			p->directions |= dir;
			if (p->last_edge != ce->edge[i] + 1) {
				p->last_edge = ce->edge[i] + 1;
				p->pairs++;
			}
		}
	}
	lg_idmap_free(&index);
	*npaths = n;
	return v;
}

static void add_witness(struct lg_edge *e, const struct lg_witness *w)
{
	lg_grow(&e->w, &e->wcap, e->nw, sizeof(*e->w));
	e->w[e->nw++] = *w;
}

/* The finding for ordered path p of class c against the other paths, or
 * NULL when no two acquisitions could deadlock. */
static struct lg_finding *against(struct lg_findings *f, const struct lg_graph *g,
                                  const struct lg_graph *cg, size_t c, const struct class_edges *ce,
                                  const struct path *p, const struct lg_cycle_limits *lim)
{
	struct lg_graph *two = lg_xcalloc(1, sizeof(*two));
	two->trace = g->trace;
	size_t low = lg_graph_new_node(two, cg->nodes[c].lock);
	size_t high = lg_graph_new_node(two, cg->nodes[c].lock);
	struct lg_edge *up = lg_graph_edge_for(two, low, high);
	struct lg_edge *down = lg_graph_edge_for(two, high, low);
	for (size_t i = 0; i < ce->n; i++) {
		const struct lg_edge *e = &g->edges[ce->edge[i]];
		/* The same two objects both ways is an instance cycle. */
		bool reversed_too = lg_graph_edge(g, e->to, e->from) != NULL;
		for (size_t k = 0; k < e->nw; k++) {
			const struct lg_witness *w = &e->w[k];
			unsigned dir = direction(g->trace, w);
			bool ordered = path_key(g->trace, w) == p->key;
			if (!dir || (!ordered && (dir == p->directions || reversed_too)))
				continue;
			add_witness(dir == ASCENDING ? up : down, w);
		}
	}
	struct lg_finding *fi = NULL;
	if (up->nw && down->nw) {
		struct lg_cycles cycles = {0};
		lg_cycles_find(two, lim, &cycles);
		const struct lg_cycle *cy = &cycles.v[0];
		if (cycles.n && !cy->undecided) {
			fi = lg_finding_from_cycle(f, two, cy, true);
			fi->within_class = true;
			lg_finding_sign(fi, g->trace); /* as a finding of its own kind */
			/* The edge to fix is the other path's, not the one recorded
			 * last: the finding's edges start after the witness taken
			 * last, as lg_finding_from_cycle orders them. */
			size_t first = cy->chosen[0]->acquire > cy->chosen[1]->acquire ? 1 : 0;
			bool first_ordered = path_key(g->trace, cy->chosen[first]) == p->key;
			fi->reversing_edge = first_ordered ? 1 : 0;
		}
		lg_cycles_free(&cycles);
	}
	lg_graph_free(two);
	return fi;
}

/* One finding for class c: a potential one if any, else a latent one. */
static struct lg_finding *class_finding(struct lg_findings *f, const struct lg_graph *g,
                                        const struct lg_graph *cg, size_t c,
                                        const struct class_edges *ce,
                                        const struct lg_cycle_limits *lim)
{
	if (!not_a_tree(g, ce))
		return NULL;
	size_t npaths;
	struct path *paths = paths_of(g, ce, &npaths);
	struct lg_finding *best = NULL;
	for (size_t i = 0; i < npaths && !(best && !best->latent); i++) {
		const struct path *p = &paths[i];
		if (p->pairs < 2 || p->directions == (ASCENDING | DESCENDING))
			continue;
		struct lg_finding *fi = against(f, g, cg, c, ce, p, lim);
		if (fi && (!best || (best->latent && !fi->latent))) {
			if (best)
				lg_finding_free(best);
			best = fi;
		} else if (fi) {
			lg_finding_free(fi);
		}
	}
	free(paths);
	return best;
}

size_t lg_class_nesting_find(struct lg_findings *f, const struct lg_graph *g,
                             const struct lg_graph *cg, const size_t *class_of,
                             const struct lg_cycle_limits *lim, struct lg_finding ***out)
{
	struct class_edges *by_class = lg_xcalloc(cg->nnodes + 1, sizeof(*by_class));
	for (size_t i = 0; i < g->nedges; i++) {
		size_t c = class_of[g->edges[i].from];
		if (c != class_of[g->edges[i].to])
			continue;
		struct class_edges *ce = &by_class[c];
		lg_grow(&ce->edge, &ce->cap, ce->n, sizeof(*ce->edge));
		ce->edge[ce->n++] = i;
	}
	size_t n = 0, cap = 0;
	*out = NULL;
	for (size_t c = 0; c < cg->nnodes; c++) {
		if (by_class[c].n >= 2) {
			struct lg_finding *fi = class_finding(f, g, cg, c, &by_class[c], lim);
			if (fi) {
				lg_grow(out, &cap, n, sizeof(**out));
				(*out)[n++] = fi;
			}
		}
		free(by_class[c].edge);
	}
	free(by_class);
	return n;
}
