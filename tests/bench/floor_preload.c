/* The cheapest interposer that could track lock order at all: a dlsym'd
 * call to the real function and a thread-local stack of held mutexes, and
 * nothing else (no lock identity, no order, no stacks). The bench runs it
 * beside lockgraph so the table shows what interposition itself costs on
 * the machine at hand, and what lockgraph adds on top. Not a tool. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>

#define HELD_MAX 64

static int (*real_lock)(pthread_mutex_t *);
static int (*real_unlock)(pthread_mutex_t *);
static __thread uintptr_t held[HELD_MAX] __attribute__((tls_model("initial-exec")));
static __thread unsigned depth __attribute__((tls_model("initial-exec")));

/* dlsym itself may lock: until both are known, calls do nothing (the
 * process is single-threaded while constructors run). */
__attribute__((constructor)) static void resolve(void)
{
	real_unlock = (int (*)(pthread_mutex_t *))dlsym(RTLD_NEXT, "pthread_mutex_unlock");
	real_lock = (int (*)(pthread_mutex_t *))dlsym(RTLD_NEXT, "pthread_mutex_lock");
}

__attribute__((visibility("default"))) int pthread_mutex_lock(pthread_mutex_t *m)
{
	if (!real_lock)
		return 0;
	int rc = real_lock(m);
	if (rc == 0 && depth < HELD_MAX)
		held[depth++] = (uintptr_t)m;
	return rc;
}

__attribute__((visibility("default"))) int pthread_mutex_unlock(pthread_mutex_t *m)
{
	if (!real_unlock)
		return 0;
	for (unsigned i = depth; i-- > 0;) {
		if (held[i] == (uintptr_t)m) {
			held[i] = held[--depth];
			break;
		}
	}
	return real_unlock(m);
}
