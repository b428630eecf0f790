/* Cycle finding in one process's lock-order graph (DESIGN.md §3).
 *
 * Strongly connected components first (Tarjan), then the elementary cycles
 * inside each component, each found once (rooted at its lowest node), by a
 * depth-first search bounded in cycle length, cycles per component and
 * search steps; a component that hits a bound is counted, never silently
 * cut. Each cycle is then checked for feasibility by choosing one witness
 * per edge:
 *   - no edge was taken with a trylock (a trylock never waits);
 *   - on every lock the mode held and the mode wanted conflict;
 *   - the held sets are pairwise disjoint (a common "gate" lock would
 *     serialize the threads);
 *   - the threads are pairwise distinct and may have run at the same time
 *     (not ordered by pthread_create/pthread_join, thread_order.h).
 * All: a potential deadlock. All but the last: latent (the code takes the
 * locks in both orders, but one thread did it alone, or the threads never
 * overlapped). Otherwise the cycle can not deadlock and is dropped.
 *
 * Cycles are searched length by length, shortest first, and a path may only
 * use edges that could be in one deadlock together (some witnesses with held
 * sets apart): a thread holding many nested locks adds edges between all of
 * them, but no deadlock can use two of them, so the search never tries. */
#ifndef LOCKGRAPH_CYCLES_H
#define LOCKGRAPH_CYCLES_H

#include <stdbool.h>
#include <stddef.h>

#include "lock_graph.h"

struct lg_cycle_limits {
	size_t max_length;     /* locks in a cycle */
	size_t max_cycles;     /* cycles enumerated per component */
	size_t max_steps;      /* search steps per component */
	size_t max_assignment; /* witness choices tried per cycle */
};

extern const struct lg_cycle_limits lg_cycle_default_limits;

enum lg_latent_reason {
	LG_LATENT_NONE,
	LG_LATENT_ONE_THREAD, /* no schedule with a distinct thread per edge */
	LG_LATENT_NO_OVERLAP, /* distinct threads, but they never ran together */
};

struct lg_cycle {
	size_t len;
	size_t *nodes;                    /* L1..Lk; edge i goes nodes[i] -> nodes[(i+1)%k] */
	const struct lg_witness **chosen; /* the witness used for each edge */
	bool latent;
	enum lg_latent_reason latent_reason;
	/* The witness search ran out of budget before deciding; reported as
	 * potential so nothing is hidden, with a note. */
	bool undecided;
};

struct lg_cycles {
	struct lg_cycle *v;
	size_t n, cap;
	size_t components_cut; /* components where a bound stopped the search */
	size_t infeasible;     /* cycles dropped as unable to deadlock */
};

void lg_cycles_find(const struct lg_graph *g, const struct lg_cycle_limits *lim,
                    struct lg_cycles *out);
void lg_cycles_free(struct lg_cycles *c);

/* Do modes `held` and `wanted` of one lock exclude each other? */
bool lg_modes_conflict(unsigned held, unsigned wanted);

#endif
