/* C11 <threads.h> mutexes. glibc implements mtx_t as a pthread mutex (and
 * calls its own pthread functions directly, which no wrapper sees), so
 * these wrappers do the bookkeeping themselves and use the pthread calls on
 * the same object for the slow way. Results are C11's (thrd_success,
 * thrd_busy, thrd_timedout, thrd_error). cnd_wait is in wrap_cond.c. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <threads.h>
#include <time.h>

#include "acquire.h"
#include "wrap.h"
#include "wrap_block.h"

LG_FAST void acquired(struct lg_thread *t, mtx_t *m, uintptr_t site, uint8_t flags)
{
	t->in_tool = 1;
	lg_acquired((uintptr_t)m, site, LG_LOCK_MTX, LG_MODE_EXCLUSIVE, flags);
	t->in_tool = 0;
}

static int from_errno(int rc)
{
	switch (rc) {
	case 0:
		return thrd_success;
	case EBUSY:
		return thrd_busy;
	case ETIMEDOUT:
		return thrd_timedout;
	}
	return thrd_error;
}

LG_API int mtx_lock(mtx_t *m)
{
	struct lg_thread *t = &lg_self;
	if (!lg_active(t))
		return LG_REAL(mtx_lock, m);
	uintptr_t site = LG_CALLER();
	int rc = lg_real.mtx_trylock(m);
	if (rc == thrd_busy)
		rc = from_errno(lg_mutex_block(t, (pthread_mutex_t *)m, LG_LOCK_MTX,
		                               CLOCK_MONOTONIC, NULL));
	if (rc == thrd_success)
		acquired(t, m, site, 0);
	return rc;
}

LG_API int mtx_timedlock(mtx_t *__restrict m, const struct timespec *__restrict abstime)
{
	struct lg_thread *t = &lg_self;
	if (!lg_active(t))
		return LG_REAL(mtx_timedlock, m, abstime);
	uintptr_t site = LG_CALLER();
	int rc = lg_real.mtx_trylock(m);
	if (rc == thrd_busy && abstime->tv_nsec >= 0 && abstime->tv_nsec < 1000000000)
		rc = from_errno(lg_mutex_block(t, (pthread_mutex_t *)m, LG_LOCK_MTX, CLOCK_REALTIME,
		                               abstime));
	else if (rc == thrd_busy)
		rc = lg_real.mtx_timedlock(m, abstime);
	if (rc == thrd_success)
		acquired(t, m, site, LG_ACQ_TIMED);
	return rc;
}

LG_API int mtx_trylock(mtx_t *m)
{
	struct lg_thread *t = &lg_self;
	if (!lg_active(t))
		return LG_REAL(mtx_trylock, m);
	int rc = lg_real.mtx_trylock(m);
	if (rc == thrd_success)
		acquired(t, m, LG_CALLER(), LG_ACQ_TRY);
	return rc;
}

LG_API int mtx_unlock(mtx_t *m)
{
	struct lg_thread *t = &lg_self;
	if (!lg_active(t))
		return LG_REAL(mtx_unlock, m);
	t->in_tool = 1;
	lg_releasing((uintptr_t)m);
	t->in_tool = 0;
	return lg_real.mtx_unlock(m);
}

LG_API int mtx_init(mtx_t *m, int type)
{
	struct lg_thread *t = &lg_self;
	if (!lg_active(t))
		return LG_REAL(mtx_init, m, type);
	int rc = lg_real.mtx_init(m, type);
	if (rc == thrd_success) {
		t->in_tool = 1;
		lg_lock_reinit((uintptr_t)m, LG_LOCK_MTX, 0);
		t->in_tool = 0;
	}
	return rc;
}

LG_API void mtx_destroy(mtx_t *m)
{
	struct lg_thread *t = &lg_self;
	if (!lg_active(t)) {
		if (lg_real.mtx_destroy || (lg_real_resolve(), lg_real.mtx_destroy))
			lg_real.mtx_destroy(m);
		return;
	}
	lg_real.mtx_destroy(m);
	t->in_tool = 1;
	lg_lock_reinit((uintptr_t)m, LG_LOCK_MTX, 1);
	t->in_tool = 0;
}
