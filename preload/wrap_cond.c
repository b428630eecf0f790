/* pthread_cond_* and C11 cnd_* interposition. A thread inside a condition
 * wait does not hold the mutex: other threads take it meanwhile, and the
 * wait-for check must not think the waiter holds it. The thread's held set
 * is left as it is (it takes nothing while it waits, and holds the mutex
 * again when the call returns), so the lock order recorded afterwards stays
 * right.
 *
 * pthread_cond_wait and pthread_cond_timedwait have two versions in glibc:
 * GLIBC_2.3.2, which every binary of the last twenty years links, and
 * GLIBC_2.2.5, the one before it, with another object layout. Each version
 * gets its own wrapper calling the real function of the same version
 * (exports.map names them).
 *
 * Not seen: the mutex re-acquisition inside the library when the wait
 * ends; a deadlock stuck exactly there is not reported. */
#define _GNU_SOURCE
#include <pthread.h>
#include <threads.h>

#include "acquire.h"
#include "wrap.h"

/* The mutex is given up for the wait, or taken back after it. */
static void mutex_handover(struct lg_thread *t, void *m, bool back)
{
	t->in_tool = 1;
	struct lg_held *h = lg_held_find(t, (uintptr_t)m);
	if (h) {
		if (back)
			lg_lock_hold(h->lock, t->id, h->mode);
		else
			lg_lock_unhold(h->lock, t->id, h->mode);
	}
	t->in_tool = 0;
}

/* The body of every wait wrapper; m is the mutex argument. */
#define COND_WRAPPER(field, ...)                                                                   \
	struct lg_thread *t = &lg_self;                                                            \
	if (!lg_active(t))                                                                         \
		return LG_REAL(field, __VA_ARGS__);                                                \
	mutex_handover(t, m, false);                                                               \
	int rc = lg_real.field(__VA_ARGS__);                                                       \
	mutex_handover(t, m, true);                                                                \
	return rc

LG_API int lg_cond_wait(pthread_cond_t *c, pthread_mutex_t *m);
LG_API int lg_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
	COND_WRAPPER(cond_wait, c, m);
}

LG_API int lg_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *abstime);
LG_API int lg_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *abstime)
{
	COND_WRAPPER(cond_timedwait, c, m, abstime);
}

LG_API int lg_cond_wait_2_2_5(pthread_cond_t *c, pthread_mutex_t *m);
LG_API int lg_cond_wait_2_2_5(pthread_cond_t *c, pthread_mutex_t *m)
{
	COND_WRAPPER(cond_wait_2_2_5, c, m);
}

LG_API int lg_cond_timedwait_2_2_5(pthread_cond_t *c, pthread_mutex_t *m,
                                   const struct timespec *abstime);
LG_API int lg_cond_timedwait_2_2_5(pthread_cond_t *c, pthread_mutex_t *m,
                                   const struct timespec *abstime)
{
	COND_WRAPPER(cond_timedwait_2_2_5, c, m, abstime);
}

__asm__(".symver lg_cond_wait, pthread_cond_wait@@GLIBC_2.3.2");
__asm__(".symver lg_cond_timedwait, pthread_cond_timedwait@@GLIBC_2.3.2");
__asm__(".symver lg_cond_wait_2_2_5, pthread_cond_wait@GLIBC_2.2.5");
__asm__(".symver lg_cond_timedwait_2_2_5, pthread_cond_timedwait@GLIBC_2.2.5");

LG_API int pthread_cond_clockwait(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clock,
                                  const struct timespec *abstime)
{
	COND_WRAPPER(cond_clockwait, c, m, clock, abstime);
}

LG_API int cnd_wait(cnd_t *c, mtx_t *m)
{
	COND_WRAPPER(cnd_wait, c, m);
}

LG_API int cnd_timedwait(cnd_t *__restrict c, mtx_t *__restrict m,
                         const struct timespec *__restrict abstime)
{
	COND_WRAPPER(cnd_timedwait, c, m, abstime);
}
