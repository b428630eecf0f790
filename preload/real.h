/* The real (next in the lookup order, normally glibc's) implementations of
 * every function lockgraph interposes. */
#ifndef LOCKGRAPH_REAL_H
#define LOCKGRAPH_REAL_H

#include <pthread.h>
#include <time.h>

struct lg_real {
	int (*mutex_lock)(pthread_mutex_t *);
	int (*mutex_trylock)(pthread_mutex_t *);
	int (*mutex_timedlock)(pthread_mutex_t *, const struct timespec *);
	int (*mutex_clocklock)(pthread_mutex_t *, clockid_t, const struct timespec *);
	int (*mutex_unlock)(pthread_mutex_t *);
	int (*mutex_init)(pthread_mutex_t *, const pthread_mutexattr_t *);
	int (*mutex_destroy)(pthread_mutex_t *);
	int (*create)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
	int (*cond_wait)(pthread_cond_t *, pthread_mutex_t *);
	int (*cond_timedwait)(pthread_cond_t *, pthread_mutex_t *, const struct timespec *);
	int (*cond_clockwait)(pthread_cond_t *, pthread_mutex_t *, clockid_t,
	                      const struct timespec *);
};

extern struct lg_real lg_real;

/* Resolves every entry with dlsym(RTLD_NEXT). Idempotent and cheap after
 * the first call; safe to call from any wrapper at any time, including
 * before lockgraph's constructor ran. */
void lg_real_resolve(void);

/* True while this thread is inside dlsym on lockgraph's behalf. dlsym may
 * allocate, and an allocator that locks would call back into a wrapper whose
 * real function is not known yet; such calls are faked as successful (only
 * one thread runs that early, so nothing can contend). */
int lg_real_resolving(void);

#endif
