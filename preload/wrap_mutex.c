/* pthread_mutex_* interposition. Only these symbols (and the thread ones in
 * wrap_thread.c) are exported from liblockgraph.so. */
#include <errno.h>
#include <pthread.h>

#include "acquire.h"
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

LG_API int pthread_mutex_lock(pthread_mutex_t *m)
{
	struct lg_thread *t = &lg_self;
	if (!lg_active(t))
		return LG_REAL(mutex_lock, m);
	int rc = lg_real.mutex_lock(m);
	if (taken(rc))
		acquired(t, m, LG_CALLER(), 0);
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
	int rc = lg_real.mutex_timedlock(m, abstime);
	if (taken(rc))
		acquired(t, m, LG_CALLER(), LG_ACQ_TIMED);
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
