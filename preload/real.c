/* Resolution of the real locking functions. Runs before anything else in
 * lockgraph, possibly from inside another library's constructor, so it uses
 * nothing but dlsym and a thread-local flag. */
#define _GNU_SOURCE
#include "real.h"

#include <dlfcn.h>
#include <stdatomic.h>

struct lg_real lg_real;

static __thread int resolving __attribute__((tls_model("initial-exec")));
static _Atomic int resolved;

int lg_real_resolving(void)
{
	return resolving;
}

#define RESOLVE(field, name)                                                                       \
	do {                                                                                       \
		if (!lg_real.field)                                                                \
			*(void **)&lg_real.field = dlsym(RTLD_NEXT, name);                         \
	} while (0)

#define RESOLVE_VERSION(field, name, version)                                                      \
	do {                                                                                       \
		if (!lg_real.field)                                                                \
			*(void **)&lg_real.field = dlvsym(RTLD_NEXT, name, version);               \
		if (!lg_real.field)                                                                \
			*(void **)&lg_real.field = dlsym(RTLD_NEXT, name);                         \
	} while (0)

void lg_real_resolve(void)
{
	if (atomic_load_explicit(&resolved, memory_order_acquire) || resolving)
		return;
	resolving = 1;
	RESOLVE(mutex_lock, "pthread_mutex_lock");
	RESOLVE(mutex_trylock, "pthread_mutex_trylock");
	RESOLVE(mutex_timedlock, "pthread_mutex_timedlock");
	RESOLVE(mutex_clocklock, "pthread_mutex_clocklock");
	RESOLVE(mutex_unlock, "pthread_mutex_unlock");
	RESOLVE(mutex_init, "pthread_mutex_init");
	RESOLVE(mutex_destroy, "pthread_mutex_destroy");
	RESOLVE(rwlock_rdlock, "pthread_rwlock_rdlock");
	RESOLVE(rwlock_wrlock, "pthread_rwlock_wrlock");
	RESOLVE(rwlock_tryrdlock, "pthread_rwlock_tryrdlock");
	RESOLVE(rwlock_trywrlock, "pthread_rwlock_trywrlock");
	RESOLVE(rwlock_timedrdlock, "pthread_rwlock_timedrdlock");
	RESOLVE(rwlock_timedwrlock, "pthread_rwlock_timedwrlock");
	RESOLVE(rwlock_clockrdlock, "pthread_rwlock_clockrdlock");
	RESOLVE(rwlock_clockwrlock, "pthread_rwlock_clockwrlock");
	RESOLVE(rwlock_unlock, "pthread_rwlock_unlock");
	RESOLVE(rwlock_init, "pthread_rwlock_init");
	RESOLVE(rwlock_destroy, "pthread_rwlock_destroy");
	RESOLVE(spin_lock, "pthread_spin_lock");
	RESOLVE(spin_trylock, "pthread_spin_trylock");
	RESOLVE(spin_unlock, "pthread_spin_unlock");
	RESOLVE(spin_init, "pthread_spin_init");
	RESOLVE(spin_destroy, "pthread_spin_destroy");
	/* The condition variable calls have two versions: GLIBC_2.3.2 is what
	 * every binary of the last twenty years links, GLIBC_2.2.5 the one
	 * before it (a different object layout): each wrapper calls its own. */
	RESOLVE_VERSION(cond_wait, "pthread_cond_wait", "GLIBC_2.3.2");
	RESOLVE_VERSION(cond_timedwait, "pthread_cond_timedwait", "GLIBC_2.3.2");
	RESOLVE_VERSION(cond_wait_2_2_5, "pthread_cond_wait", "GLIBC_2.2.5");
	RESOLVE_VERSION(cond_timedwait_2_2_5, "pthread_cond_timedwait", "GLIBC_2.2.5");
	RESOLVE(cond_clockwait, "pthread_cond_clockwait");
	RESOLVE(mtx_lock, "mtx_lock");
	RESOLVE(mtx_trylock, "mtx_trylock");
	RESOLVE(mtx_timedlock, "mtx_timedlock");
	RESOLVE(mtx_unlock, "mtx_unlock");
	RESOLVE(mtx_init, "mtx_init");
	RESOLVE(mtx_destroy, "mtx_destroy");
	RESOLVE(cnd_wait, "cnd_wait");
	RESOLVE(cnd_timedwait, "cnd_timedwait");
	RESOLVE(create, "pthread_create");
	RESOLVE(join, "pthread_join");
	RESOLVE(thrd_create, "thrd_create");
	RESOLVE(thrd_join, "thrd_join");
	RESOLVE(setname_np, "pthread_setname_np");
	resolving = 0;
	atomic_store_explicit(&resolved, 1, memory_order_release);
}
