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
}
