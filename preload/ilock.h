/* The preload's internal lock: a three-state futex mutex (unlocked, locked,
 * locked with waiters). It is never one of the interposed pthread calls, so
 * taking it can not re-enter lockgraph, and it allocates nothing.
 * Only slow paths take it (something new was seen); the per-lock fast path
 * never does. Not recursive: a slow path must not call another slow path
 * that takes the same lock.
 *
 * No signal handler runs on a thread while it holds an internal lock (all
 * signals are blocked from the outermost lock to its unlock, as lockdep
 * disables interrupts around its graph lock). Otherwise a handler that
 * takes a program lock could wait, on a thread holding an internal lock,
 * for a thread that waits for that internal lock: a deadlock the program
 * alone could never have. It costs two system calls per slow-path section. */
#ifndef LOCKGRAPH_ILOCK_H
#define LOCKGRAPH_ILOCK_H

#include <linux/futex.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

struct lg_ilock {
	_Atomic int state; /* 0 unlocked, 1 locked, 2 locked and contended */
};

/* Per thread: internal locks held, and the signal mask to restore when the
 * last is released (the kernel's 64-bit mask: no glibc call, which could
 * itself be interposed or lock). */
struct lg_ilock_thread {
	int depth;
	uint64_t saved_mask;
};
extern __thread struct lg_ilock_thread lg_ilock_self __attribute__((tls_model("initial-exec")));

static inline void lg_ilock_enter(void)
{
	if (lg_ilock_self.depth++ == 0) {
		uint64_t all = ~(uint64_t)0;
		syscall(SYS_rt_sigprocmask, SIG_BLOCK, &all, &lg_ilock_self.saved_mask,
		        sizeof(uint64_t));
	}
}

static inline void lg_ilock_leave(void)
{
	if (lg_ilock_self.depth > 0 && --lg_ilock_self.depth == 0)
		syscall(SYS_rt_sigprocmask, SIG_SETMASK, &lg_ilock_self.saved_mask, NULL,
		        sizeof(uint64_t));
}

#define LG_ILOCK_INIT                                                                              \
	{                                                                                          \
		0                                                                                  \
	}

static inline void lg_ilock_lock(struct lg_ilock *l)
{
	lg_ilock_enter();
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
	lg_ilock_leave();
}

/* After fork() only the calling thread exists; a lock another thread held
 * at that instant would stay held forever. Callers take every internal lock
 * in the atfork prepare handler, so resetting here is safe (and releases
 * this thread's hold, as an unlock would). */
static inline void lg_ilock_reset(struct lg_ilock *l)
{
	atomic_store_explicit(&l->state, 0, memory_order_relaxed);
	lg_ilock_leave();
}

#endif
