/* A chained hash table whose lookups take no lock: nodes are published at
 * the head of their bucket with a release store and never removed or freed,
 * so a reader walking a chain always sees complete nodes. Inserts take the
 * table's internal lock so that "look up, else insert" does not race with
 * itself. Used for locks, call sites, stacks and edges; each embeds
 * struct lg_table_node first and keys it by a 64-bit value. Several nodes may
 * share a key (a lock address reused by a new generation, two stacks with the
 * same hash): lg_table_next walks them newest first. */
#ifndef LOCKGRAPH_TABLE_H
#define LOCKGRAPH_TABLE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "ilock.h"

struct lg_table_node {
	struct lg_table_node *_Atomic next;
	uint64_t key;
};

struct lg_table {
	struct lg_table_node *_Atomic *buckets;
	uint64_t mask;
	uint64_t count; /* nodes inserted (under the lock) */
	struct lg_ilock lock;
};

static inline uint64_t lg_mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/* Reserves 2^bits buckets; their pages cost memory only once used. */
bool lg_table_init(struct lg_table *t, unsigned bits);

static inline struct lg_table_node *lg_table_scan(struct lg_table_node *n, uint64_t key)
{
	while (n && n->key != key)
		n = atomic_load_explicit(&n->next, memory_order_acquire);
	return n;
}

/* The newest node with this key, or NULL. No lock needed. */
static inline struct lg_table_node *lg_table_first(struct lg_table *t, uint64_t key)
{
	if (!t->buckets)
		return NULL;
	struct lg_table_node *head =
	        atomic_load_explicit(&t->buckets[lg_mix64(key) & t->mask], memory_order_acquire);
	return lg_table_scan(head, key);
}

/* The next older node with the same key, or NULL. */
static inline struct lg_table_node *lg_table_next(struct lg_table_node *n)
{
	return lg_table_scan(atomic_load_explicit(&n->next, memory_order_acquire), n->key);
}

/* Publishes n (its key set, the rest initialized). Caller holds t->lock. */
void lg_table_insert_locked(struct lg_table *t, struct lg_table_node *n);

/* Doubles the buckets when the chains average more than two nodes. Only for
 * tables that are never read without their lock (a lock-free reader could
 * miss nodes while they move) and whose lookups do not depend on the order
 * of a chain (it is not kept); caller holds t->lock. */
void lg_table_grow_locked(struct lg_table *t);

#endif
