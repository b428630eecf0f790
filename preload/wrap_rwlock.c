/* pthread_rwlock_* interposition. Read locks are held in shared mode (two
 * readers never wait for each other), write locks in exclusive mode. A
 * thread that holds a read lock and asks for the write lock waits for
 * itself forever (glibc can not tell its own read lock from others'). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "acquire.h"
#include "wrap.h"
#include "wrap_block.h"

LG_FAST void acquired(struct lg_thread *t, pthread_rwlock_t *l, uintptr_t site, uint8_t mode,
                      uint8_t flags)
{
	t->in_tool = 1;
	lg_acquired((uintptr_t)l, site, LG_LOCK_RWLOCK, mode, flags);
	t->in_tool = 0;
}

static int clocked_rd(void *l, clockid_t clock, const struct timespec *abstime)
{
	return lg_real.rwlock_clockrdlock(l, clock, abstime);
}

static int clocked_wr(void *l, clockid_t clock, const struct timespec *abstime)
{
	return lg_real.rwlock_clockwrlock(l, clock, abstime);
}

static int try_rd(void *l)
{
	return lg_real.rwlock_tryrdlock(l);
}

static int try_wr(void *l)
{
	return lg_real.rwlock_trywrlock(l);
}

/* The busy case of every rdlock/wrlock flavour. */
static int block(struct lg_thread *t, pthread_rwlock_t *l, uint8_t mode, clockid_t clock,
                 const struct timespec *abstime)
{
	struct lg_held *h = lg_held_find(t, (uintptr_t)l);
	struct lg_blocking b = {
	        .kind = LG_LOCK_RWLOCK,
	        .mode = mode,
	        .relock = h && h->mode == LG_MODE_SHARED && mode == LG_MODE_EXCLUSIVE,
	        .clocked = mode == LG_MODE_SHARED ? clocked_rd : clocked_wr,
	        .try_lock = mode == LG_MODE_SHARED ? try_rd : try_wr,
	};
	return lg_block(t, l, &b, clock, abstime);
}

static bool valid(clockid_t clock, const struct timespec *abstime)
{
	return abstime->tv_nsec >= 0 && abstime->tv_nsec < 1000000000 &&
	       (clock == CLOCK_MONOTONIC || clock == CLOCK_REALTIME);
}

/* Every taking call, once the wrapper knows its mode and deadline (abstime
 * NULL: wait for ever). A deadline or clock lg_block does not handle is the
 * real call's to judge (EINVAL); the timed calls are the clock calls on
 * CLOCK_REALTIME. */
static int take(struct lg_thread *t, pthread_rwlock_t *l, uintptr_t site, uint8_t mode,
                clockid_t clock, const struct timespec *abstime)
{
	int rc = mode == LG_MODE_SHARED ? lg_real.rwlock_tryrdlock(l) : lg_real.rwlock_trywrlock(l);
	if (rc == EBUSY) {
		if (!abstime || valid(clock, abstime))
			rc = block(t, l, mode, abstime ? clock : CLOCK_MONOTONIC, abstime);
		else if (mode == LG_MODE_SHARED)
			rc = lg_real.rwlock_clockrdlock(l, clock, abstime);
		else
			rc = lg_real.rwlock_clockwrlock(l, clock, abstime);
	}
	if (rc == 0)
		acquired(t, l, site, mode, abstime ? LG_ACQ_TIMED : 0);
	return rc;
}

LG_API int pthread_rwlock_rdlock(pthread_rwlock_t *l)
{
	struct lg_thread *t = &lg_self;
	if (!lg_active(t))
		return LG_REAL(rwlock_rdlock, l);
	return take(t, l, LG_CALLER(), LG_MODE_SHARED, CLOCK_MONOTONIC, NULL);
}

LG_API int pthread_rwlock_wrlock(pthread_rwlock_t *l)
{
	struct lg_thread *t = &lg_self;
	if (!lg_active(t))
		return LG_REAL(rwlock_wrlock, l);
	return take(t, l, LG_CALLER(), LG_MODE_EXCLUSIVE, CLOCK_MONOTONIC, NULL);
}

LG_API int pthread_rwlock_timedrdlock(pthread_rwlock_t *l, const struct timespec *abstime)
{
	struct lg_thread *t = &lg_self;
	if (!lg_active(t))
		return LG_REAL(rwlock_timedrdlock, l, abstime);
	return take(t, l, LG_CALLER(), LG_MODE_SHARED, CLOCK_REALTIME, abstime);
}

LG_API int pthread_rwlock_timedwrlock(pthread_rwlock_t *l, const struct timespec *abstime)
{
	struct lg_thread *t = &lg_self;
	if (!lg_active(t))
		return LG_REAL(rwlock_timedwrlock, l, abstime);
	return take(t, l, LG_CALLER(), LG_MODE_EXCLUSIVE, CLOCK_REALTIME, abstime);
}

LG_API int pthread_rwlock_clockrdlock(pthread_rwlock_t *l, clockid_t clock,
                                      const struct timespec *abstime)
{
	struct lg_thread *t = &lg_self;
	if (!lg_active(t))
		return LG_REAL(rwlock_clockrdlock, l, clock, abstime);
	return take(t, l, LG_CALLER(), LG_MODE_SHARED, clock, abstime);
}

LG_API int pthread_rwlock_clockwrlock(pthread_rwlock_t *l, clockid_t clock,
                                      const struct timespec *abstime)
{
	struct lg_thread *t = &lg_self;
	if (!lg_active(t))
		return LG_REAL(rwlock_clockwrlock, l, clock, abstime);
	return take(t, l, LG_CALLER(), LG_MODE_EXCLUSIVE, clock, abstime);
}

LG_API int pthread_rwlock_tryrdlock(pthread_rwlock_t *l)
{
	struct lg_thread *t = &lg_self;
	if (!lg_active(t))
		return LG_REAL(rwlock_tryrdlock, l);
	int rc = lg_real.rwlock_tryrdlock(l);
	if (rc == 0)
		acquired(t, l, LG_CALLER(), LG_MODE_SHARED, LG_ACQ_TRY);
	return rc;
}

LG_API int pthread_rwlock_trywrlock(pthread_rwlock_t *l)
{
	struct lg_thread *t = &lg_self;
	if (!lg_active(t))
		return LG_REAL(rwlock_trywrlock, l);
	int rc = lg_real.rwlock_trywrlock(l);
	if (rc == 0)
		acquired(t, l, LG_CALLER(), LG_MODE_EXCLUSIVE, LG_ACQ_TRY);
	return rc;
}

LG_API int pthread_rwlock_unlock(pthread_rwlock_t *l)
{
	struct lg_thread *t = &lg_self;
	if (!lg_active(t))
		return LG_REAL(rwlock_unlock, l);
	t->in_tool = 1;
	lg_releasing((uintptr_t)l);
	t->in_tool = 0;
	return lg_real.rwlock_unlock(l);
}

LG_API int pthread_rwlock_init(pthread_rwlock_t *l, const pthread_rwlockattr_t *attr)
{
	struct lg_thread *t = &lg_self;
	if (!lg_active(t))
		return LG_REAL(rwlock_init, l, attr);
	int rc = lg_real.rwlock_init(l, attr);
	if (rc == 0) {
		t->in_tool = 1;
		lg_lock_reinit((uintptr_t)l, LG_LOCK_RWLOCK, 0);
		t->in_tool = 0;
	}
	return rc;
}

LG_API int pthread_rwlock_destroy(pthread_rwlock_t *l)
{
	struct lg_thread *t = &lg_self;
	if (!lg_active(t))
		return LG_REAL(rwlock_destroy, l);
	int rc = lg_real.rwlock_destroy(l);
	if (rc == 0) {
		t->in_tool = 1;
		lg_lock_reinit((uintptr_t)l, LG_LOCK_RWLOCK, 1);
		t->in_tool = 0;
	}
	return rc;
}
