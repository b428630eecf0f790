/* trylock_backoff: a producer queues jobs and counts them in shared
 * statistics; a reporter reads the statistics together with the queue.
 *
 * Verdict: BUGGY. One potential deadlock (lock-order inversion) between
 * queue_lock and stats_lock.
 *
 * enqueue() (thread "producer") locks queue_lock, then stats_lock.
 * report() (thread "reporter") locks stats_lock, then queue_lock with
 * pthread_mutex_lock(). Had both run at the same moment, each could hold one
 * lock and wait forever for the other. Here the two take turns (semaphores),
 * so the program always finishes, but both orders are taken by two threads
 * that are alive at the same time.
 *
 * --fixed: report_backoff() still locks stats_lock first, but only tries
 * queue_lock (pthread_mutex_trylock); when it is busy it lets go of
 * stats_lock, lets the holder finish and starts again. A trylock never
 * waits, so the cycle can never close: verdict CLEAN (the order
 * stats_lock -> queue_lock is still taken, by a successful trylock, in every
 * round). In the second round the reporter deliberately finds queue_lock
 * held by the producer (who is between its two lock calls) and backs off
 * once, so the back-off path runs too.
 *
 * Output:
 *   report 1: 1 queued, 1 enqueued
 *   report 2: 2 queued, 2 enqueued
 *   report 3: 3 queued, 3 enqueued
 *   reporter back-offs: 0
 * --fixed: the same, but "reporter back-offs: 1".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define ROUNDS        3
#define COLLIDE_ROUND 1 /* --fixed: the round in which the trylock finds queue_lock busy */

static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER; /* protects queued */
static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER; /* protects enqueued */

static long queued;
static long enqueued;
static int backoffs; /* the reporter's own */
static bool fixed;

enum { PRODUCER, REPORTER, NTHREADS };
static sem_t turn[NTHREADS];       /* the two take turns: no real deadlock */
static pthread_barrier_t all_done; /* neither leaves before the other is done */

/* --fixed, COLLIDE_ROUND: the producer holds queue_lock until the reporter
 * has backed off (backed_off), and the reporter retries once the producer is
 * done (producer_done). */
static sem_t backed_off;
static sem_t producer_done;

/* The functions that take locks stay out of line so that stack traces (and
 * the tests that read them) name them at -O2. */

static __attribute__((noinline)) void enqueue(bool collide)
{
	pthread_mutex_lock(&queue_lock); /* lg:enqueue-queue */
	queued++;
	if (collide) {
		sem_post(&turn[REPORTER]); /* the reporter runs while we hold queue_lock */
		sem_wait(&backed_off);
	}
	pthread_mutex_lock(&stats_lock); /* lg:enqueue-stats */
	enqueued++;
	pthread_mutex_unlock(&stats_lock);
	pthread_mutex_unlock(&queue_lock);
}

/* The bug: stats_lock first, then waits for queue_lock, the opposite of
 * enqueue(). */
static __attribute__((noinline)) void report(long *q, long *e)
{
	pthread_mutex_lock(&stats_lock); /* lg:report-stats */
	pthread_mutex_lock(&queue_lock); /* lg:report-queue */
	*q = queued;
	*e = enqueued;
	pthread_mutex_unlock(&queue_lock);
	pthread_mutex_unlock(&stats_lock);
}

/* What a back-off does while the other lock's holder finishes; usually a
 * short sleep, here a handshake that keeps the run deterministic. */
static void let_holder_finish(void)
{
	sem_post(&backed_off);
	sem_wait(&producer_done);
}

/* The fix: the same order, but queue_lock is only tried; when it is busy,
 * let go of stats_lock and start again. */
static __attribute__((noinline)) void report_backoff(long *q, long *e)
{
	for (;;) {
		pthread_mutex_lock(&stats_lock);              /* lg:backoff-stats */
		int err = pthread_mutex_trylock(&queue_lock); /* lg:backoff-queue */
		if (err == 0)
			break;
		if (err != EBUSY) {
			fprintf(stderr, "trylock_backoff: pthread_mutex_trylock: %s\n",
			        strerror(err));
			pthread_mutex_unlock(&stats_lock);
			return;
		}
		pthread_mutex_unlock(&stats_lock);
		backoffs++;
		let_holder_finish();
	}
	*q = queued;
	*e = enqueued;
	pthread_mutex_unlock(&queue_lock);
	pthread_mutex_unlock(&stats_lock);
}

static void *producer_main(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "producer");
	for (int round = 0; round < ROUNDS; round++) {
		bool collide = fixed && round == COLLIDE_ROUND;

		sem_wait(&turn[PRODUCER]);
		enqueue(collide);
		if (collide)
			sem_post(&producer_done); /* the reporter already has its turn */
		else
			sem_post(&turn[REPORTER]);
	}
	pthread_barrier_wait(&all_done);
	return NULL;
}

static void *reporter_main(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "reporter");
	for (int round = 0; round < ROUNDS; round++) {
		long q = 0, e = 0;

		sem_wait(&turn[REPORTER]);
		if (fixed)
			report_backoff(&q, &e);
		else
			report(&q, &e);
		printf("report %d: %ld queued, %ld enqueued\n", round + 1, q, e);
		sem_post(&turn[PRODUCER]);
	}
	pthread_barrier_wait(&all_done);
	return NULL;
}

int main(int argc, char **argv)
{
	void *(*const mains[NTHREADS])(void *) = {producer_main, reporter_main};
	pthread_t tid[NTHREADS];

	if (argc > 2 || (argc == 2 && strcmp(argv[1], "--fixed") != 0)) {
		fprintf(stderr, "usage: %s [--fixed]\n", argv[0]);
		return 2;
	}
	fixed = argc == 2;

	for (int i = 0; i < NTHREADS; i++)
		sem_init(&turn[i], 0, 0);
	sem_init(&backed_off, 0, 0);
	sem_init(&producer_done, 0, 0);
	pthread_barrier_init(&all_done, NULL, NTHREADS);

	/* Start both before the first one works, so they overlap. */
	for (int i = 0; i < NTHREADS; i++) {
		int err = pthread_create(&tid[i], NULL, mains[i], NULL); /* lg:create */
		if (err != 0) {
			fprintf(stderr, "trylock_backoff: pthread_create: %s\n", strerror(err));
			return 1;
		}
	}
	sem_post(&turn[PRODUCER]);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(tid[i], NULL);

	printf("reporter back-offs: %d\n", backoffs);

	pthread_barrier_destroy(&all_done);
	sem_destroy(&producer_done);
	sem_destroy(&backed_off);
	for (int i = 0; i < NTHREADS; i++)
		sem_destroy(&turn[i]);
	return 0;
}
