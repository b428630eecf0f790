/* Memory for the preload's tables: zeroed, never freed, taken from mmap so
 * that lockgraph never calls the program's malloc (which may itself lock,
 * or be the thing being debugged). Memory grows with the number of distinct
 * locks, sites, edges and stacks, never with the number of lock calls. */
#ifndef LOCKGRAPH_ARENA_H
#define LOCKGRAPH_ARENA_H

#include <stddef.h>

/* Returns zeroed memory aligned to 8 bytes, or NULL when the system is out
 * of memory or the arena reached its cap (the caller records a capacity
 * warning). Thread-safe. */
void *lg_arena_alloc(size_t size);

/* Reserves a large zeroed region (hash table buckets) whose pages only cost
 * memory once touched. NULL on failure. */
void *lg_arena_reserve(size_t size);

/* Bytes handed out so far (for the END record and benchmarks). */
size_t lg_arena_used(void);

/* Registers the arena's lock for fork(); call once at initialization. */
void lg_arena_init(void);

#endif
