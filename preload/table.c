/* See table.h. */
#include "table.h"

#include "arena.h"
#include "fork_locks.h"

bool lg_table_init(struct lg_table *t, unsigned bits)
{
	size_t n = (size_t)1 << bits;
	t->buckets = lg_arena_reserve(n * sizeof(*t->buckets));
	t->mask = n - 1;
	lg_fork_register_lock(&t->lock);
	return t->buckets != NULL;
}

void lg_table_insert_locked(struct lg_table *t, struct lg_table_node *n)
{
	struct lg_table_node *_Atomic *bucket = &t->buckets[lg_mix64(n->key) & t->mask];
	atomic_store_explicit(&n->next, atomic_load_explicit(bucket, memory_order_relaxed),
	                      memory_order_relaxed);
	atomic_store_explicit(bucket, n, memory_order_release);
	t->count++;
}

void lg_table_grow_locked(struct lg_table *t)
{
	if (t->count <= (t->mask + 1) * 2)
		return;
	size_t n = (t->mask + 1) * 2;
	struct lg_table_node *_Atomic *bigger = lg_arena_reserve(n * sizeof(*bigger));
	if (!bigger)
		return; /* longer chains, still correct */
	for (uint64_t b = 0; b <= t->mask; b++) {
		struct lg_table_node *node =
		        atomic_load_explicit(&t->buckets[b], memory_order_relaxed);
		while (node) {
			struct lg_table_node *next =
			        atomic_load_explicit(&node->next, memory_order_relaxed);
			struct lg_table_node *_Atomic *to = &bigger[lg_mix64(node->key) & (n - 1)];
			atomic_store_explicit(&node->next,
			                      atomic_load_explicit(to, memory_order_relaxed),
			                      memory_order_relaxed);
			atomic_store_explicit(to, node, memory_order_relaxed);
			node = next;
		}
	}
	/* The old buckets stay in the arena, unused. */
	t->buckets = bigger;
	t->mask = n - 1;
}
