/* pthread_mutex_* interposition. Only these symbols (and the others in
 * wrap_*.c) are exported from liblockgraph.so.
 *
 * Taking a lock tries it first; only a lock that is busy goes the slow way
 * (wait_for_mutex): the wait is registered for the wait-for check, and the
 * thread blocks in slices so it can look for a deadlock while it waits. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "acquire.h"
#include "waitfor.h"
#include "wrap.h"

static inline void acquired(struct lg_thread *t, pthread_mutex_t *m, uintptr_t site, uint8_t flags)
{
	t->in_tool = 1;
	lg_acquired((uintptr_t)m, site, LG_LOCK_MUTEX, LG_MODE_EXCLUSIVE, flags);
	t->in_tool = 0;
}

/* EOWNERDEAD: a robust mutex whose owner died; the caller now holds it. */
static inline int taken(int rc)
{
	return rc == 0 || rc == EOWNERDEAD;
}

/* Would locking m again block its holder t forever? glibc's own record
 * agrees that t holds it, and it is a normal or adaptive mutex: a recursive
 * one is re-entered, an error-checking one says EDEADLK. */
static bool relock_blocks(struct lg_thread *t, pthread_mutex_t *m)
{
	int kind = m->__data.__kind & 3; /* PTHREAD_MUTEX_KIND_MASK_NP */
	return m->__data.__owner == t->os_tid &&
	       (kind == PTHREAD_MUTEX_NORMAL || kind == PTHREAD_MUTEX_ADAPTIVE_NP);
}

static struct timespec add_ns(struct timespec ts, uint64_t ns)
{
	ts.tv_sec += (time_t)(ns / 1000000000u);
	ts.tv_nsec += (long)(ns % 1000000000u);
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	return ts;
}

static bool before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* The slow way for a busy mutex: register the wait, block in slices,
 * checking for a deadlock between them. abstime: the caller's own deadline
 * (CLOCK_REALTIME, pthread_mutex_timedlock), or NULL. Returns what the real
 * call returned. */
static int wait_for_mutex(struct lg_thread *t, pthread_mutex_t *m, const struct timespec *abstime)
{
	uint8_t flags = abstime ? LG_ACQ_TIMED : 0;
	uint64_t deadline = 0;
	struct timespec now;
	if (abstime) {
		clock_gettime(CLOCK_REALTIME, &now);
		int64_t left = (int64_t)(abstime->tv_sec - now.tv_sec) * 1000000000 +
		               (abstime->tv_nsec - now.tv_nsec);
		deadline = lg_now_ns() + (left > 0 ? (uint64_t)left : 0);
	}
	t->in_tool = 1;
	lg_thread_register(t);
	struct lg_lock *l = lg_lock_of(t, (uintptr_t)m, LG_LOCK_MUTEX);
	bool holds = lg_held_find(t, (uintptr_t)m) != NULL;
	bool relock = holds && relock_blocks(t, m);
	struct lg_stack *stack = NULL;
	/* The order is a fact as soon as the thread waits, whether or not the
	 * wait ever ends. (Not for a lock it holds: no order there.) */
	if (l && !holds)
		lg_record_order(t, l, LG_MODE_EXCLUSIVE, flags, &stack);
	if (l)
		lg_wait_begin(t, l, LG_MODE_EXCLUSIVE, flags, stack, relock, deadline);
	t->in_tool = 0;
	if (!l) /* out of memory: just wait */
		return abstime ? lg_real.mutex_timedlock(m, abstime) : lg_real.mutex_lock(m);

	int rc;
	for (;;) {
		t->in_tool = 1;
		uint64_t slice = lg_wait_next_slice_ns(t);
		t->in_tool = 0;
		bool last = false;
		if (abstime) {
			clock_gettime(CLOCK_REALTIME, &now);
			struct timespec until = add_ns(now, slice);
			if (!before(&until, abstime)) {
				until = *abstime;
				last = true;
			}
			rc = lg_real.mutex_timedlock(m, &until);
		} else {
			clock_gettime(CLOCK_MONOTONIC, &now);
			struct timespec until = add_ns(now, slice);
			rc = lg_real.mutex_clocklock(m, CLOCK_MONOTONIC, &until);
		}
		if (rc != ETIMEDOUT)
			break;
		t->in_tool = 1;
		if (last)
			lg_wait_timed_out(t);
		else
			lg_wait_slice(t);
		t->in_tool = 0;
		if (last)
			break;
	}
	t->in_tool = 1;
	lg_wait_end(t);
	t->in_tool = 0;
	return rc;
}

LG_API int pthread_mutex_lock(pthread_mutex_t *m)
{
	struct lg_thread *t = &lg_self;
	if (!lg_active(t))
		return LG_REAL(mutex_lock, m);
	uintptr_t site = LG_CALLER();
	int rc = lg_real.mutex_trylock(m);
	if (rc == EBUSY)
		rc = wait_for_mutex(t, m, NULL);
	if (taken(rc))
		acquired(t, m, site, 0);
	return rc;
}

LG_API int pthread_mutex_trylock(pthread_mutex_t *m)
{
	struct lg_thread *t = &lg_self;
	if (!lg_active(t))
		return LG_REAL(mutex_trylock, m);
	int rc = lg_real.mutex_trylock(m);
	if (taken(rc))
		acquired(t, m, LG_CALLER(), LG_ACQ_TRY);
	return rc;
}

LG_API int pthread_mutex_timedlock(pthread_mutex_t *m, const struct timespec *abstime)
{
	struct lg_thread *t = &lg_self;
	if (!lg_active(t))
		return LG_REAL(mutex_timedlock, m, abstime);
	uintptr_t site = LG_CALLER();
	int rc = lg_real.mutex_trylock(m);
	/* An invalid deadline is the real call's to reject (EINVAL). */
	if (rc == EBUSY && abstime->tv_nsec >= 0 && abstime->tv_nsec < 1000000000)
		rc = wait_for_mutex(t, m, abstime);
	else if (rc == EBUSY)
		rc = lg_real.mutex_timedlock(m, abstime);
	if (taken(rc))
		acquired(t, m, site, LG_ACQ_TIMED);
	return rc;
}

LG_API int pthread_mutex_unlock(pthread_mutex_t *m)
{
	struct lg_thread *t = &lg_self;
	if (!lg_active(t))
		return LG_REAL(mutex_unlock, m);
	t->in_tool = 1;
	lg_releasing((uintptr_t)m);
	t->in_tool = 0;
	return lg_real.mutex_unlock(m);
}

LG_API int pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *attr)
{
	struct lg_thread *t = &lg_self;
	if (!lg_active(t))
		return LG_REAL(mutex_init, m, attr);
	int rc = lg_real.mutex_init(m, attr);
	if (rc == 0) {
		t->in_tool = 1;
		lg_lock_reinit((uintptr_t)m, LG_LOCK_MUTEX, 0);
		t->in_tool = 0;
	}
	return rc;
}

LG_API int pthread_mutex_destroy(pthread_mutex_t *m)
{
	struct lg_thread *t = &lg_self;
	if (!lg_active(t))
		return LG_REAL(mutex_destroy, m);
	int rc = lg_real.mutex_destroy(m);
	if (rc == 0) {
		t->in_tool = 1;
		lg_lock_reinit((uintptr_t)m, LG_LOCK_MUTEX, 1);
		t->in_tool = 0;
	}
	return rc;
}
