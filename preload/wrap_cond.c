/* pthread_cond_* interposition. A thread inside a condition wait does not
 * hold the mutex: other threads take it meanwhile, and the wait-for check
 * must not think the waiter holds it. The thread's held set is left as it is
 * (it takes nothing while it waits, and holds the mutex again when the call
 * returns), so the lock order recorded afterwards stays right.
 *
 * Not seen: the mutex re-acquisition inside glibc when the wait ends; a
 * deadlock stuck exactly there is not reported. */
#define _GNU_SOURCE
#include <pthread.h>

#include "acquire.h"
#include "wrap.h"

/* The mutex is given up for the wait, or taken back after it. */
static void mutex_handover(struct lg_thread *t, pthread_mutex_t *m, bool back)
{
	t->in_tool = 1;
	struct lg_held *h = lg_held_find(t, (uintptr_t)m);
	if (h)
		atomic_store_explicit(&h->lock->owner, back ? t->id : 0, memory_order_release);
	t->in_tool = 0;
}

LG_API int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
	struct lg_thread *t = &lg_self;
	if (!lg_active(t))
		return LG_REAL(cond_wait, c, m);
	mutex_handover(t, m, false);
	int rc = lg_real.cond_wait(c, m);
	mutex_handover(t, m, true);
	return rc;
}

LG_API int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
                                  const struct timespec *abstime)
{
	struct lg_thread *t = &lg_self;
	if (!lg_active(t))
		return LG_REAL(cond_timedwait, c, m, abstime);
	mutex_handover(t, m, false);
	int rc = lg_real.cond_timedwait(c, m, abstime);
	mutex_handover(t, m, true);
	return rc;
}

LG_API int pthread_cond_clockwait(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clock,
                                  const struct timespec *abstime)
{
	struct lg_thread *t = &lg_self;
	if (!lg_active(t))
		return LG_REAL(cond_clockwait, c, m, clock, abstime);
	mutex_handover(t, m, false);
	int rc = lg_real.cond_clockwait(c, m, clock, abstime);
	mutex_handover(t, m, true);
	return rc;
}
