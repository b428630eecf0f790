/* recursive_reentry: an item registry guarded by a recursive mutex (its
 * helpers lock it again when called from inside), a log, and a configuration
 * guarded by an error-checking mutex that reports a re-lock instead of
 * hanging.
 *
 * Verdict: CLEAN. The locks are always taken in one order: stats_lock before
 * registry_lock before log_lock, and stats_lock before config_lock.
 *
 * - register_item() (threads "worker-1", "worker-2") locks registry_lock,
 *   then log_lock, and, holding both, calls count_items(), which locks
 *   registry_lock again. registry_lock is recursive and already held by the
 *   same thread: that call only counts up, it waits for nothing, so it is
 *   not an acquisition (no log_lock -> registry_lock order, no registry_lock
 *   -> registry_lock "self-deadlock").
 * - set_version() locks config_lock, an error-checking mutex, and, holding
 *   it, calls apply_config(), which locks it again: the call returns EDEADLK
 *   at once (printed below) instead of hanging, and the thread still holds
 *   config_lock exactly once.
 * - After releasing everything, each worker locks stats_lock alone. The
 *   auditor ("auditor") locks stats_lock, then registry_lock (calling
 *   count_items() inside, again a re-entry), then config_lock. A worker has
 *   let go of registry_lock after its second unlock, and of config_lock after
 *   its one unlock (the refused re-lock took nothing): a detector that still
 *   counted either as held would invent registry_lock -> stats_lock or
 *   config_lock -> stats_lock, and a cycle with the auditor's orders.
 *
 * Output:
 *   worker-1: registered alpha (1 items)
 *   worker-1: config_lock re-lock refused: EDEADLK
 *   worker-2: registered beta (2 items)
 *   worker-2: config_lock re-lock refused: EDEADLK
 *   auditor: 2 items, config version 2, 2 updates
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>

#define MAX_ITEMS 8

/* Recursive: initialized in main() with a recursive attribute. */
static pthread_mutex_t registry_lock; /* protects items, nitems */
/* Error-checking, statically initialized (glibc's initializer). */
static pthread_mutex_t config_lock = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP; /* protects version */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;   /* protects log_lines */
static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER; /* protects updates */

static const char *items[MAX_ITEMS];
static int nitems;
static int log_lines;
static int version;
static int updates;

enum { WORKER_1, WORKER_2, AUDITOR, NTHREADS };
static const char *const names[NTHREADS] = {"worker-1", "worker-2", "auditor"};
static const char *const item_names[] = {"alpha", "beta"};
static sem_t turn[NTHREADS]; /* one after the other, in this order */

/* The functions that take locks stay out of line so that stack traces (and
 * the tests that read them) name them at -O2. */

/* Called with or without registry_lock held. */
static __attribute__((noinline)) int count_items(void)
{
	pthread_mutex_lock(&registry_lock); /* lg:count-registry */
	int n = nitems;
	pthread_mutex_unlock(&registry_lock);
	return n;
}

static __attribute__((noinline)) int register_item(const char *name)
{
	pthread_mutex_lock(&registry_lock); /* lg:register-registry */
	items[nitems++] = name;
	pthread_mutex_lock(&log_lock); /* lg:register-log */
	log_lines++;
	int n = count_items(); /* re-enters registry_lock */
	pthread_mutex_unlock(&log_lock);
	pthread_mutex_unlock(&registry_lock);
	return n;
}

/* Called with config_lock held: locking it again is refused. */
static __attribute__((noinline)) int apply_config(void)
{
	int err = pthread_mutex_lock(&config_lock); /* lg:config-relock */
	if (err == 0)
		pthread_mutex_unlock(&config_lock); /* not reached with an error-checking mutex */
	return err;
}

static __attribute__((noinline)) int set_version(int v)
{
	pthread_mutex_lock(&config_lock); /* lg:config-lock */
	version = v;
	int err = apply_config();
	pthread_mutex_unlock(&config_lock);
	return err;
}

static __attribute__((noinline)) void count_update(void)
{
	pthread_mutex_lock(&stats_lock); /* lg:worker-stats */
	updates++;
	pthread_mutex_unlock(&stats_lock);
}

static __attribute__((noinline)) void audit(int *n, int *v, int *u)
{
	pthread_mutex_lock(&stats_lock);    /* lg:audit-stats */
	pthread_mutex_lock(&registry_lock); /* lg:audit-registry */
	*n = count_items();                 /* re-enters registry_lock */
	pthread_mutex_unlock(&registry_lock);
	pthread_mutex_lock(&config_lock); /* lg:audit-config */
	*v = version;
	pthread_mutex_unlock(&config_lock);
	*u = updates;
	pthread_mutex_unlock(&stats_lock);
}

static void *thread_main(void *arg)
{
	int me = (int)(long)arg;

	pthread_setname_np(pthread_self(), names[me]);
	sem_wait(&turn[me]);
	if (me == AUDITOR) {
		int n, v, u;

		audit(&n, &v, &u);
		printf("auditor: %d items, config version %d, %d updates\n", n, v, u);
	} else {
		int n = register_item(item_names[me]);
		printf("%s: registered %s (%d items)\n", names[me], item_names[me], n);
		int err = set_version(me + 1);
		printf("%s: config_lock re-lock refused: %s\n", names[me],
		       err == EDEADLK ? "EDEADLK"
		       : err == 0     ? "no, it was taken"
		                      : strerror(err));
		count_update();
	}
	if (me + 1 < NTHREADS)
		sem_post(&turn[me + 1]);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t tid[NTHREADS];
	pthread_mutexattr_t recursive;

	if (argc > 1) {
		fprintf(stderr, "usage: %s\n", argv[0]);
		return 2;
	}

	pthread_mutexattr_init(&recursive);
	pthread_mutexattr_settype(&recursive, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&registry_lock, &recursive);
	pthread_mutexattr_destroy(&recursive);
	for (int i = 0; i < NTHREADS; i++)
		sem_init(&turn[i], 0, 0);

	/* Start all three before the first one works, so they overlap. */
	for (long i = 0; i < NTHREADS; i++) {
		int err = pthread_create(&tid[i], NULL, thread_main, (void *)i); /* lg:create */
		if (err != 0) {
			fprintf(stderr, "recursive_reentry: pthread_create: %s\n", strerror(err));
			return 1;
		}
	}
	sem_post(&turn[0]);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(tid[i], NULL);

	pthread_mutex_destroy(&registry_lock);
	for (int i = 0; i < NTHREADS; i++)
		sem_destroy(&turn[i]);
	return 0;
}
