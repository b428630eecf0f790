/* The lock table; see lock_table.h. */
#include "lock_table.h"

#include <pthread.h>
#include <threads.h>

#include "arena.h"
#include "options.h"
#include "trace_format.h"
#include "trace_write.h"

static struct lg_table locks;
static _Atomic uint32_t next_id;
static bool capped; /* lock table lock */

bool lg_lock_table_init(void)
{
	/* 2^18 buckets: 2 MiB of address space, paid for page by page; a
	 * million locks make chains of four, walked only when a thread's
	 * lock cache misses. */
	return lg_table_init(&locks, 18);
}

static struct lg_lock *newest(uintptr_t addr)
{
	return (struct lg_lock *)lg_table_first(&locks, addr);
}

/* Caller holds locks.lock. */
static struct lg_lock *insert(uintptr_t addr, uint8_t kind, uint32_t init_stack)
{
	if (atomic_load(&next_id) >= (uint32_t)lg_opts.max_locks) {
		if (!capped) {
			capped = true;
			lg_trace_warn(LG_WARN_CAPACITY,
			              "more than %d lock%s: later ones are not tracked (raise "
			              "LOCKGRAPH_OPTIONS=max_locks)",
			              lg_opts.max_locks, lg_opts.max_locks == 1 ? "" : "s");
		}
		return NULL;
	}
	struct lg_lock *prev = newest(addr);
	size_t size = sizeof(struct lg_lock) +
	              (kind == LG_LOCK_RWLOCK ? sizeof(struct lg_lock_readers) : 0);
	struct lg_lock *l = lg_arena_alloc(size);
	if (!l)
		return NULL;
	l->node.key = addr;
	l->id = atomic_fetch_add(&next_id, 1) + 1;
	l->generation = prev ? prev->generation + 1 : 0;
	l->kind = kind;
	if (init_stack) {
		l->init_stack = init_stack;
		l->flags |= LG_LOCK_INITIALIZED;
	}
	if (prev)
		atomic_store_explicit(&prev->dead, 1, memory_order_relaxed);
	lg_table_insert_locked(&locks, &l->node);
	return l;
}

struct lg_lock *lg_lock_table_find(uintptr_t addr)
{
	struct lg_lock *l = newest(addr);
	return l && !atomic_load_explicit(&l->dead, memory_order_relaxed) ? l : NULL;
}

struct lg_lock *lg_lock_table_get(uintptr_t addr, uint8_t kind)
{
	struct lg_lock *l = newest(addr);
	if (l && !atomic_load_explicit(&l->dead, memory_order_relaxed))
		return l;
	lg_ilock_lock(&locks.lock);
	l = newest(addr);
	if (!l || atomic_load_explicit(&l->dead, memory_order_relaxed))
		l = insert(addr, kind, 0);
	lg_ilock_unlock(&locks.lock);
	return l;
}

void lg_lock_table_init_at(uintptr_t addr, uint8_t kind, uint32_t init_stack)
{
	lg_ilock_lock(&locks.lock);
	insert(addr, kind, init_stack);
	lg_ilock_unlock(&locks.lock);
}

void lg_lock_table_retire(uintptr_t addr)
{
	struct lg_lock *l = newest(addr);
	if (l)
		atomic_store_explicit(&l->dead, 1, memory_order_relaxed);
}

uint64_t lg_lock_table_count(void)
{
	return atomic_load(&next_id);
}

uint16_t lg_lock_kind_size(uint8_t kind)
{
	switch ((enum lg_lock_kind)kind) {
	case LG_LOCK_MUTEX:
		return sizeof(pthread_mutex_t);
	case LG_LOCK_RWLOCK:
		return sizeof(pthread_rwlock_t);
	case LG_LOCK_SPIN:
		return sizeof(pthread_spinlock_t);
	case LG_LOCK_MTX:
		return sizeof(mtx_t);
	}
	return 0;
}
