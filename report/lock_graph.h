/* The lock-order graph of one process, built from its trace: a node per
 * lock, an edge A -> B per ordered pair some thread took (B while holding
 * A) with a call that can wait (a trylock never does), and per edge every
 * such witness the trace recorded (thread, modes, flags, held set, both
 * stacks). Cycle finding (cycles.c) works on this. */
#ifndef LOCKGRAPH_LOCK_GRAPH_H
#define LOCKGRAPH_LOCK_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "idmap.h"
#include "trace.h"

/* One way an edge was taken. */
struct lg_witness {
	uint32_t thread;             /* trace thread id */
	uint32_t from_lock, to_lock; /* the objects (trace lock ids) */
	uint8_t from_mode, to_mode;
	uint8_t flags;                          /* enum lg_acq_flags of the acquisition of `to` */
	uint32_t held_stack;                    /* where `from` was taken */
	uint32_t acquire_stack;                 /* where `to` was taken */
	const struct lg_trace_acquire *acquire; /* its held set */
};

struct lg_edge {
	size_t from, to; /* node indices */
	struct lg_witness *w;
	size_t nw, wcap;
};

struct lg_node {
	uint32_t lock; /* trace lock id */
	size_t *out;   /* indices of edges leaving this node */
	size_t nout, outcap;
};

struct lg_graph {
	const struct lg_trace *trace;
	struct lg_node *nodes;
	size_t nnodes, nodes_cap;
	struct lg_edge *edges;
	size_t nedges, edges_cap;
	struct lg_idmap node_of_lock; /* lock id -> node index + 1 */
	struct lg_idmap edge_of_pair; /* (from + 1) << 32 | (to + 1) -> edge index + 1 */
};

struct lg_graph *lg_graph_build(const struct lg_trace *t);

/* For derived graphs (lock_classes.c): a new node standing for lock, and
 * the edge from -> to, created if missing. */
size_t lg_graph_new_node(struct lg_graph *g, uint32_t lock);
struct lg_edge *lg_graph_edge_for(struct lg_graph *g, size_t from, size_t to);
void lg_graph_free(struct lg_graph *g);

/* The edge from -> to (node indices), or NULL. */
const struct lg_edge *lg_graph_edge(const struct lg_graph *g, size_t from, size_t to);

#endif
