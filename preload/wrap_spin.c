/* pthread_spin_* interposition. A busy spinlock is spun on as glibc would
 * spin, with the wait registered for the wait-for check (wrap_block.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>

#include "acquire.h"
#include "wrap.h"
#include "wrap_block.h"

LG_FAST void acquired(struct lg_thread *t, pthread_spinlock_t *l, uintptr_t site, uint8_t flags)
{
	t->in_tool = 1;
	lg_acquired((uintptr_t)l, site, LG_LOCK_SPIN, LG_MODE_EXCLUSIVE, flags);
	t->in_tool = 0;
}

static int try_lock(void *l)
{
	return lg_real.spin_trylock(l);
}

LG_API int pthread_spin_lock(pthread_spinlock_t *l)
{
	struct lg_thread *t = &lg_self;
	if (!lg_active(t))
		return LG_REAL(spin_lock, l);
	uintptr_t site = LG_CALLER();
	int rc = lg_real.spin_trylock(l);
	if (rc == EBUSY) {
		/* A spinlock has no owner of record: lockgraph's view decides
		 * whether this thread spins on a lock it holds. */
		struct lg_blocking b = {
		        .kind = LG_LOCK_SPIN,
		        .mode = LG_MODE_EXCLUSIVE,
		        .relock = lg_held_find(t, (uintptr_t)l) != NULL,
		        .try_lock = try_lock,
		};
		rc = lg_block(t, (void *)(uintptr_t)l, &b, CLOCK_MONOTONIC, NULL);
	}
	if (rc == 0)
		acquired(t, l, site, 0);
	return rc;
}

LG_API int pthread_spin_trylock(pthread_spinlock_t *l)
{
	struct lg_thread *t = &lg_self;
	if (!lg_active(t))
		return LG_REAL(spin_trylock, l);
	int rc = lg_real.spin_trylock(l);
	if (rc == 0)
		acquired(t, l, LG_CALLER(), LG_ACQ_TRY);
	return rc;
}

LG_API int pthread_spin_unlock(pthread_spinlock_t *l)
{
	struct lg_thread *t = &lg_self;
	if (!lg_active(t))
		return LG_REAL(spin_unlock, l);
	t->in_tool = 1;
	lg_releasing((uintptr_t)l);
	t->in_tool = 0;
	return lg_real.spin_unlock(l);
}

LG_API int pthread_spin_init(pthread_spinlock_t *l, int pshared)
{
	struct lg_thread *t = &lg_self;
	if (!lg_active(t))
		return LG_REAL(spin_init, l, pshared);
	int rc = lg_real.spin_init(l, pshared);
	if (rc == 0) {
		t->in_tool = 1;
		lg_lock_reinit((uintptr_t)l, LG_LOCK_SPIN, 0);
		t->in_tool = 0;
	}
	return rc;
}

LG_API int pthread_spin_destroy(pthread_spinlock_t *l)
{
	struct lg_thread *t = &lg_self;
	if (!lg_active(t))
		return LG_REAL(spin_destroy, l);
	int rc = lg_real.spin_destroy(l);
	if (rc == 0) {
		t->in_tool = 1;
		lg_lock_reinit((uintptr_t)l, LG_LOCK_SPIN, 1);
		t->in_tool = 0;
	}
	return rc;
}
