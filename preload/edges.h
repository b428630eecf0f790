/* The lock-order graph as the preload knows it, only to answer "is this
 * new?" so that the trace records each useful fact once.
 *
 * An edge A -> B is witnessed by a thread taking B (in some mode, maybe with
 * a trylock) while holding a set H of locks, A among them. The reporter needs
 * several witnesses per edge (two threads taking the same order; a gate lock
 * held one time but not another), but never one whose held set contains
 * another's for the same thread and modes: a smaller held set can only make
 * a deadlock easier to prove. So per (edge, thread, modes, flags) the table
 * keeps the minimal held sets seen, and a witness is new only when no kept
 * set is a subset of its own. */
#ifndef LOCKGRAPH_EDGES_H
#define LOCKGRAPH_EDGES_H

#include <stdbool.h>
#include <stdint.h>

/* Distinct (thread, modes, flags) kept per edge; more is warned about once
 * in the trace. */
#define LG_EDGE_MAX_GROUPS 64
/* Minimal held sets kept per group. One more (a workload that takes an edge
 * under ever new combinations of other locks) turns the group into a
 * summary: the intersection of all its held sets, a subset of every real
 * one, so the reporter may only over-estimate what can deadlock (never
 * miss it), and a gate lock held every time stays in it. */
#define LG_EDGE_MAX_SETS 8

struct lg_thread;

/* What an acquisition added: whether its own held set is a new witness,
 * and summary held sets (sorted lock ids, each a subset of the current held
 * set) to trace as well. The buffer belongs to the caller's thread. */
struct lg_edges_news {
	bool witnessed;
	uint32_t nsummaries;
	uint32_t *ids; /* nsummaries sets, each its length then its ids */
	uint32_t used, cap;
};

bool lg_edges_init(void);

/* Thread t (the caller) took lock `to` (mode, flags) while holding its
 * held locks, whose sorted ids are held_ids[0..n). True when every edge's
 * witness is already covered, judged from t's own groups without any lock:
 * a group belongs to one thread, and only that thread changes it. False
 * means "maybe new": call lg_edges_record. */
bool lg_edges_known(struct lg_thread *t, uint32_t to, uint8_t to_mode, uint8_t flags,
                    const uint32_t *held_ids, uint32_t n);

/* The same, recording what is new into the tables; fills news (reset here). */
void lg_edges_record(struct lg_thread *t, uint32_t to, uint8_t to_mode, uint8_t flags,
                     const uint32_t *held_ids, struct lg_edges_news *news);

uint64_t lg_edges_count(void);

/* In a forked child: forget everything, so the child's own trace records
 * every edge the child takes. */
void lg_edges_fork_child(void);

#endif
