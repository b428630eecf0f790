/* The preload's internal lock: a three-state futex mutex (unlocked, locked,
 * locked with waiters). It is never one of the interposed pthread calls, so
 * taking it can not re-enter lockgraph, and it allocates nothing.
 * Only slow paths take it (something new was seen); the per-lock fast path
 * never does. Not recursive: a slow path must not call another slow path
 * that takes the same lock. */
#ifndef LOCKGRAPH_ILOCK_H
#define LOCKGRAPH_ILOCK_H

#include <linux/futex.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <unistd.h>

struct lg_ilock {
	_Atomic int state; /* 0 unlocked, 1 locked, 2 locked and contended */
};

#define LG_ILOCK_INIT                                                                              \
	{                                                                                          \
		0                                                                                  \
	}

static inline void lg_ilock_lock(struct lg_ilock *l)
{
	int expected = 0;
	if (atomic_compare_exchange_strong_explicit(&l->state, &expected, 1, memory_order_acquire,
	                                            memory_order_relaxed))
		return;
	while (atomic_exchange_explicit(&l->state, 2, memory_order_acquire) != 0)
		syscall(SYS_futex, &l->state, FUTEX_WAIT_PRIVATE, 2, NULL, NULL, 0);
}

static inline void lg_ilock_unlock(struct lg_ilock *l)
{
	if (atomic_exchange_explicit(&l->state, 0, memory_order_release) == 2)
		syscall(SYS_futex, &l->state, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* After fork() only the calling thread exists; a lock another thread held
 * at that instant would stay held forever. Callers take every internal lock
 * in the atfork prepare handler, so resetting here is safe. */
static inline void lg_ilock_reset(struct lg_ilock *l)
{
	atomic_store_explicit(&l->state, 0, memory_order_relaxed);
}

#endif
