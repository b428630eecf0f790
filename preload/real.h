/* The real (next in the lookup order, normally glibc's) implementations of
 * every function lockgraph interposes. */
#ifndef LOCKGRAPH_REAL_H
#define LOCKGRAPH_REAL_H

#include <pthread.h>
#include <threads.h>
#include <time.h>

struct lg_real {
	int (*mutex_lock)(pthread_mutex_t *);
	int (*mutex_trylock)(pthread_mutex_t *);
	int (*mutex_timedlock)(pthread_mutex_t *, const struct timespec *);
	int (*mutex_clocklock)(pthread_mutex_t *, clockid_t, const struct timespec *);
	int (*mutex_unlock)(pthread_mutex_t *);
	int (*mutex_init)(pthread_mutex_t *, const pthread_mutexattr_t *);
	int (*mutex_destroy)(pthread_mutex_t *);

	int (*rwlock_rdlock)(pthread_rwlock_t *);
	int (*rwlock_wrlock)(pthread_rwlock_t *);
	int (*rwlock_tryrdlock)(pthread_rwlock_t *);
	int (*rwlock_trywrlock)(pthread_rwlock_t *);
	int (*rwlock_timedrdlock)(pthread_rwlock_t *, const struct timespec *);
	int (*rwlock_timedwrlock)(pthread_rwlock_t *, const struct timespec *);
	int (*rwlock_clockrdlock)(pthread_rwlock_t *, clockid_t, const struct timespec *);
	int (*rwlock_clockwrlock)(pthread_rwlock_t *, clockid_t, const struct timespec *);
	int (*rwlock_unlock)(pthread_rwlock_t *);
	int (*rwlock_init)(pthread_rwlock_t *, const pthread_rwlockattr_t *);
	int (*rwlock_destroy)(pthread_rwlock_t *);

	int (*spin_lock)(pthread_spinlock_t *);
	int (*spin_trylock)(pthread_spinlock_t *);
	int (*spin_unlock)(pthread_spinlock_t *);
	int (*spin_init)(pthread_spinlock_t *, int);
	int (*spin_destroy)(pthread_spinlock_t *);

	/* Condition variables: the current version and the GLIBC_2.2.5 one
	 * very old binaries link (see exports.map). */
	int (*cond_wait)(pthread_cond_t *, pthread_mutex_t *);
	int (*cond_timedwait)(pthread_cond_t *, pthread_mutex_t *, const struct timespec *);
	int (*cond_wait_2_2_5)(pthread_cond_t *, pthread_mutex_t *);
	int (*cond_timedwait_2_2_5)(pthread_cond_t *, pthread_mutex_t *, const struct timespec *);
	int (*cond_clockwait)(pthread_cond_t *, pthread_mutex_t *, clockid_t,
	                      const struct timespec *);

	int (*mtx_lock)(mtx_t *);
	int (*mtx_trylock)(mtx_t *);
	int (*mtx_timedlock)(mtx_t *__restrict, const struct timespec *__restrict);
	int (*mtx_unlock)(mtx_t *);
	int (*mtx_init)(mtx_t *, int);
	void (*mtx_destroy)(mtx_t *);
	int (*cnd_wait)(cnd_t *, mtx_t *);
	int (*cnd_timedwait)(cnd_t *__restrict, mtx_t *__restrict,
	                     const struct timespec *__restrict);

	int (*create)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
	int (*join)(pthread_t, void **);
	int (*thrd_create)(thrd_t *, thrd_start_t, void *);
	int (*thrd_join)(thrd_t, int *);
	int (*setname_np)(pthread_t, const char *);
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
