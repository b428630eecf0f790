/* sigkill_self: a batch job that is killed with SIGKILL when its time is up,
 * as a supervisor (systemd, Kubernetes, a CI runner) would kill it. Here the
 * job kills itself at the end, in the supervisor's place.
 *
 * Verdict: BUGGY. One potential deadlock (lock-order inversion) between
 * queue_lock and results_lock; then the process dies by SIGKILL: no exit
 * handler runs, and lockgraph still reports what it recorded (and notes the
 * process that ended without exiting). Under `lockgraph run` the status is
 * 66 (a deadlock was found); the program's own is 137 (128 + SIGKILL).
 *
 * take_job() (thread "loader") locks queue_lock, then results_lock;
 * store_result() (thread "storer") locks results_lock, then queue_lock. The
 * threads take turns (semaphores), so they never hang; both are joined
 * before the kill.
 *
 * --fixed: store_result_fixed() takes queue_lock first, like take_job().
 * Verdict: CLEAN, still killed: `lockgraph run` exits 137.
 *
 * Output (both variants; then it is killed):
 *   batch: 3 jobs, 3 results
 *   batch: time is up, killing myself
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define NJOBS 3

static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;   /* protects queue */
static pthread_mutex_t results_lock = PTHREAD_MUTEX_INITIALIZER; /* protects results */

static int queue = NJOBS; /* jobs not yet taken */
static int results;       /* jobs done */
static bool fixed;

enum { LOADER, STORER, NTHREADS };
static sem_t turn[NTHREADS];       /* the two take turns: no real deadlock */
static pthread_barrier_t all_done; /* neither leaves before the other is done */

/* The functions that take locks stay out of line so that stack traces (and
 * the tests that read them) name them at -O2. */

static __attribute__((noinline)) void take_job(void)
{
	pthread_mutex_lock(&queue_lock);   /* lg:take-queue */
	pthread_mutex_lock(&results_lock); /* lg:take-results */
	queue--;
	pthread_mutex_unlock(&results_lock);
	pthread_mutex_unlock(&queue_lock);
}

/* The bug: results first, then the queue: the opposite of take_job(). */
static __attribute__((noinline)) void store_result(void)
{
	pthread_mutex_lock(&results_lock); /* lg:store-results */
	pthread_mutex_lock(&queue_lock);   /* lg:store-queue */
	results++;
	pthread_mutex_unlock(&queue_lock);
	pthread_mutex_unlock(&results_lock);
}

/* The fix: the queue first, like take_job(). */
static __attribute__((noinline)) void store_result_fixed(void)
{
	pthread_mutex_lock(&queue_lock);   /* lg:store-fixed-queue */
	pthread_mutex_lock(&results_lock); /* lg:store-fixed-results */
	results++;
	pthread_mutex_unlock(&results_lock);
	pthread_mutex_unlock(&queue_lock);
}

static void *loader_main(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "loader");
	for (int job = 0; job < NJOBS; job++) {
		sem_wait(&turn[LOADER]);
		take_job();
		sem_post(&turn[STORER]);
	}
	pthread_barrier_wait(&all_done);
	return NULL;
}

static void *storer_main(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "storer");
	for (int job = 0; job < NJOBS; job++) {
		sem_wait(&turn[STORER]);
		if (fixed)
			store_result_fixed();
		else
			store_result();
		sem_post(&turn[LOADER]);
	}
	pthread_barrier_wait(&all_done);
	return NULL;
}

int main(int argc, char **argv)
{
	void *(*roles[NTHREADS])(void *) = {loader_main, storer_main};
	pthread_t tid[NTHREADS];

	if (argc > 2 || (argc == 2 && strcmp(argv[1], "--fixed") != 0)) {
		fprintf(stderr, "usage: %s [--fixed]\n", argv[0]);
		return 2;
	}
	fixed = argc == 2;

	for (int i = 0; i < NTHREADS; i++)
		sem_init(&turn[i], 0, 0);
	pthread_barrier_init(&all_done, NULL, NTHREADS);

	/* Start both threads before either works, so they overlap. */
	for (int i = 0; i < NTHREADS; i++) {
		int err = pthread_create(&tid[i], NULL, roles[i], NULL); /* lg:create */
		if (err != 0) {
			fprintf(stderr, "sigkill_self: pthread_create: %s\n", strerror(err));
			return 1;
		}
	}
	sem_post(&turn[LOADER]);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(tid[i], NULL);

	printf("batch: %d jobs, %d results\n", NJOBS - queue, results);
	printf("batch: time is up, killing myself\n");
	/* SIGKILL runs no exit handler and flushes nothing. */
	fflush(stdout);
	raise(SIGKILL);
	return 0; /* never reached */
}
