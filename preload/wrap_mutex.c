/* pthread_mutex_* interposition. Only these symbols (and the others in
 * wrap_*.c) are exported from liblockgraph.so.
 *
 * Taking a lock tries it first; only a lock that is busy goes the slow way
 * (lg_block, wrap_block.h). pthread_mutex_consistent needs no wrapper: a
 * robust mutex whose owner died was already taken (EOWNERDEAD) when the
 * program makes it consistent. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "acquire.h"
#include "wrap.h"
#include "wrap_block.h"

LG_FAST void acquired(struct lg_thread *t, pthread_mutex_t *m, uintptr_t site, uint8_t flags)
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

static int clocked(void *m, clockid_t clock, const struct timespec *abstime)
{
	return lg_real.mutex_clocklock(m, clock, abstime);
}

static int try_lock(void *m)
{
	return lg_real.mutex_trylock(m);
}

/* Would locking m again block its holder t forever? glibc's own record
 * agrees that t holds it, and it is a normal or adaptive mutex: a recursive
 * one is re-entered, an error-checking one says EDEADLK. */
bool lg_mutex_relock_blocks(struct lg_thread *t, pthread_mutex_t *m)
{
	int kind = m->__data.__kind & 3; /* PTHREAD_MUTEX_KIND_MASK_NP */
	return m->__data.__owner == t->os_tid &&
	       (kind == PTHREAD_MUTEX_NORMAL || kind == PTHREAD_MUTEX_ADAPTIVE_NP) &&
	       lg_held_find(t, (uintptr_t)m) != NULL;
}

int lg_mutex_block(struct lg_thread *t, pthread_mutex_t *m, uint8_t kind, clockid_t clock,
                   const struct timespec *abstime)
{
	struct lg_blocking b = {
	        .kind = kind,
	        .mode = LG_MODE_EXCLUSIVE,
	        .relock = lg_mutex_relock_blocks(t, m),
	        .clocked = clocked,
	        .try_lock = try_lock,
	};
	return lg_block(t, m, &b, clock, abstime);
}

/* A caller's deadline the real call would reject (EINVAL) is not waited on. */
static bool valid(const struct timespec *abstime)
{
	return abstime->tv_nsec >= 0 && abstime->tv_nsec < 1000000000;
}

LG_API int pthread_mutex_lock(pthread_mutex_t *m)
{
	struct lg_thread *t = &lg_self;
	if (!lg_active(t))
		return LG_REAL(mutex_lock, m);
	uintptr_t site = LG_CALLER();
	int rc = lg_real.mutex_trylock(m);
	if (rc == EBUSY)
		rc = lg_mutex_block(t, m, LG_LOCK_MUTEX, CLOCK_MONOTONIC, NULL);
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
	if (rc == EBUSY && valid(abstime))
		rc = lg_mutex_block(t, m, LG_LOCK_MUTEX, CLOCK_REALTIME, abstime);
	else if (rc == EBUSY)
		rc = lg_real.mutex_timedlock(m, abstime);
	if (taken(rc))
		acquired(t, m, site, LG_ACQ_TIMED);
	return rc;
}

LG_API int pthread_mutex_clocklock(pthread_mutex_t *m, clockid_t clock,
                                   const struct timespec *abstime)
{
	struct lg_thread *t = &lg_self;
	if (!lg_active(t))
		return LG_REAL(mutex_clocklock, m, clock, abstime);
	uintptr_t site = LG_CALLER();
	int rc = lg_real.mutex_trylock(m);
	if (rc == EBUSY && valid(abstime) && (clock == CLOCK_MONOTONIC || clock == CLOCK_REALTIME))
		rc = lg_mutex_block(t, m, LG_LOCK_MUTEX, clock, abstime);
	else if (rc == EBUSY)
		rc = lg_real.mutex_clocklock(m, clock, abstime);
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
