/* The slow way of every blocking lock call: the lock was busy (its try
 * call failed), so the wait is registered for the wait-for check, order
 * edges of the attempt are recorded, and the thread blocks in slices,
 * looking for a deadlock between them (waitfor.h). */
#ifndef LOCKGRAPH_WRAP_BLOCK_H
#define LOCKGRAPH_WRAP_BLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct lg_thread;

struct lg_blocking {
	uint8_t kind, mode; /* enum lg_lock_kind, enum lg_mode */
	/* The thread already holds the lock in a way that makes this call
	 * block forever (a normal mutex locked again, an rwlock read lock
	 * upgraded to write): a cycle of one. */
	bool relock;
	/* Takes the lock, blocking until abstime on clock at the latest
	 * (pthread_*_clocklock semantics, an error number back). NULL for a
	 * spinlock: then try_lock is spun on instead. */
	int (*clocked)(void *lock, clockid_t clock, const struct timespec *abstime);
	int (*try_lock)(void *lock);
};

#include <pthread.h>

/* Blocks until lock is taken (returns 0 or EOWNERDEAD), fails, or, with
 * abstime (on clock), times out (ETIMEDOUT). */
int lg_block(struct lg_thread *t, void *lock, const struct lg_blocking *b, clockid_t clock,
             const struct timespec *abstime);

/* The slow way for a busy pthread mutex (or a C11 mtx_t, which glibc lays
 * out as one): kind says which, for the reports. */
int lg_mutex_block(struct lg_thread *t, pthread_mutex_t *m, uint8_t kind, clockid_t clock,
                   const struct timespec *abstime);

/* Would locking m again block its holder t forever (a normal mutex)? */
bool lg_mutex_relock_blocks(struct lg_thread *t, pthread_mutex_t *m);

#endif
