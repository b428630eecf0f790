/* See lock_graph.h. */
#include "lock_graph.h"

#include <stdlib.h>

#include "error.h"
#include "trace_format.h"

size_t lg_graph_new_node(struct lg_graph *g, uint32_t lock)
{
	lg_grow(&g->nodes, &g->nodes_cap, g->nnodes, sizeof(*g->nodes));
	g->nodes[g->nnodes++] = (struct lg_node){.lock = lock};
	lg_idmap_put(&g->node_of_lock, lock, g->nnodes); /* fails harmlessly if mapped */
	return g->nnodes - 1;
}

static size_t node_for(struct lg_graph *g, uint32_t lock)
{
	uint64_t v = lg_idmap_get(&g->node_of_lock, lock);
	return v ? v - 1 : lg_graph_new_node(g, lock);
}

static uint64_t pair(size_t from, size_t to)
{
	return ((uint64_t)(from + 1) << 32) | (uint64_t)(to + 1);
}

struct lg_edge *lg_graph_edge_for(struct lg_graph *g, size_t from, size_t to)
{
	uint64_t v = lg_idmap_get(&g->edge_of_pair, pair(from, to));
	if (v)
		return &g->edges[v - 1];
	lg_grow(&g->edges, &g->edges_cap, g->nedges, sizeof(*g->edges));
	g->edges[g->nedges].from = from;
	g->edges[g->nedges].to = to;
	lg_idmap_put(&g->edge_of_pair, pair(from, to), ++g->nedges);
	struct lg_node *n = &g->nodes[from];
	lg_grow(&n->out, &n->outcap, n->nout, sizeof(*n->out));
	n->out[n->nout++] = g->nedges - 1;
	return &g->edges[g->nedges - 1];
}

struct lg_graph *lg_graph_build(const struct lg_trace *t)
{
	struct lg_graph *g = lg_xcalloc(1, sizeof(*g));
	g->trace = t;
	for (size_t i = 0; i < t->nacquires; i++) {
		const struct lg_trace_acquire *a = &t->acquires[i];
		/* A trylock never waits, so it closes no deadlock: its edges
		 * are left out before the search, which would otherwise spend
		 * its bounds on cycles that can never count (a cache whose
		 * maintainer trylocks thousands of items). A lock taken with a
		 * trylock and then held is still in the held sets of what is
		 * taken under it. */
		if (a->flags & LG_ACQ_TRY)
			continue;
		size_t to = node_for(g, a->lock);
		for (unsigned h = 0; h < a->nheld; h++) {
			size_t from = node_for(g, a->held[h].lock);
			struct lg_edge *e = lg_graph_edge_for(g, from, to);
			lg_grow(&e->w, &e->wcap, e->nw, sizeof(*e->w));
			e->w[e->nw++] = (struct lg_witness){
			        .thread = a->thread,
			        .from_lock = a->held[h].lock,
			        .to_lock = a->lock,
			        .from_mode = a->held[h].mode,
			        .to_mode = a->mode,
			        .flags = a->flags,
			        .held_stack = a->held[h].stack,
			        .acquire_stack = a->stack,
			        .acquire = a,
			};
		}
	}
	return g;
}

const struct lg_edge *lg_graph_edge(const struct lg_graph *g, size_t from, size_t to)
{
	uint64_t v = lg_idmap_get(&g->edge_of_pair, pair(from, to));
	return v ? &g->edges[v - 1] : NULL;
}

void lg_graph_free(struct lg_graph *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->nnodes; i++)
		free(g->nodes[i].out);
	for (size_t i = 0; i < g->nedges; i++)
		free(g->edges[i].w);
	free(g->nodes);
	free(g->edges);
	lg_idmap_free(&g->node_of_lock);
	lg_idmap_free(&g->edge_of_pair);
	free(g);
}
