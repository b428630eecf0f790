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
	RESOLVE(create, "pthread_create");
	/* The condition variable calls have two versions; the current one
	 * (GLIBC_2.3.2) is what every binary of the last twenty years links
	 * and what dlsym may not return by default. */
	RESOLVE_VERSION(cond_wait, "pthread_cond_wait", "GLIBC_2.3.2");
	RESOLVE_VERSION(cond_timedwait, "pthread_cond_timedwait", "GLIBC_2.3.2");
	RESOLVE(cond_clockwait, "pthread_cond_clockwait");
	resolving = 0;
	atomic_store_explicit(&resolved, 1, memory_order_release);
}
