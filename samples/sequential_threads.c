/* sequential_threads: a nightly batch job in two phases, each run in a
 * worker thread of its own: an importer loads new items into the catalog and
 * prices them, then a repricer adjusts the prices and updates the catalog.
 *
 * Verdict: LATENT. One latent lock-order inversion between catalog_lock and
 * prices_lock ("latent": true, "threads never overlapped"); it does not
 * change the exit status.
 *
 * import_items() (thread "importer") locks catalog_lock, then prices_lock;
 * reprice() (thread "repricer") locks prices_lock, then catalog_lock. But the
 * repricer is only created after the importer has been joined: the two
 * threads never run at the same time, so this run cannot deadlock. A later
 * change that runs both phases in parallel would.
 *
 * --concurrent: both threads are created first and run at the same time
 * (taking turns with semaphores, so the program still finishes). Verdict:
 * BUGGY, one potential deadlock between catalog_lock and prices_lock (not
 * latent).
 *
 * --fixed: run one after the other, and reprice_fixed() locks catalog_lock
 * first, like import_items(). Verdict: CLEAN.
 *
 * Output (every variant):
 *   importer: 3 items, total price 600
 *   repricer: 3 items, total price 660
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NITEMS 3

static pthread_mutex_t catalog_lock = PTHREAD_MUTEX_INITIALIZER; /* protects nitems */
static pthread_mutex_t prices_lock = PTHREAD_MUTEX_INITIALIZER;  /* protects prices */

static int nitems;
static long prices[NITEMS];
static bool concurrent, fixed;

enum { IMPORTER, REPRICER, NTHREADS };
static const char *const names[NTHREADS] = {"importer", "repricer"};
static sem_t turn[NTHREADS];       /* the importer's phase comes first */
static pthread_barrier_t all_done; /* --concurrent: neither leaves before the other is done */

/* The functions that take locks stay out of line so that stack traces (and
 * the tests that read them) name them at -O2. */

static __attribute__((noinline)) long import_items(void)
{
	long total = 0;

	pthread_mutex_lock(&catalog_lock); /* lg:import-catalog */
	pthread_mutex_lock(&prices_lock);  /* lg:import-prices */
	for (int i = 0; i < NITEMS; i++) {
		prices[i] = 100L * (i + 1);
		total += prices[i];
	}
	nitems = NITEMS;
	pthread_mutex_unlock(&prices_lock);
	pthread_mutex_unlock(&catalog_lock);
	return total;
}

/* The bug: prices first, the opposite of import_items(). */
static __attribute__((noinline)) long reprice(void)
{
	long total = 0;

	pthread_mutex_lock(&prices_lock);  /* lg:reprice-prices */
	pthread_mutex_lock(&catalog_lock); /* lg:reprice-catalog */
	for (int i = 0; i < nitems; i++) {
		prices[i] += prices[i] / 10;
		total += prices[i];
	}
	pthread_mutex_unlock(&catalog_lock);
	pthread_mutex_unlock(&prices_lock);
	return total;
}

/* The fix: the catalog first, like import_items(). */
static __attribute__((noinline)) long reprice_fixed(void)
{
	long total = 0;

	pthread_mutex_lock(&catalog_lock); /* lg:fixed-catalog */
	pthread_mutex_lock(&prices_lock);  /* lg:fixed-prices */
	for (int i = 0; i < nitems; i++) {
		prices[i] += prices[i] / 10;
		total += prices[i];
	}
	pthread_mutex_unlock(&prices_lock);
	pthread_mutex_unlock(&catalog_lock);
	return total;
}

static void *phase_main(void *arg)
{
	int me = (int)(long)arg;
	long total;

	pthread_setname_np(pthread_self(), names[me]);
	sem_wait(&turn[me]);
	if (me == IMPORTER)
		total = import_items();
	else
		total = fixed ? reprice_fixed() : reprice();
	printf("%s: %d items, total price %ld\n", names[me], nitems, total);
	if (me == IMPORTER)
		sem_post(&turn[REPRICER]);
	if (concurrent)
		pthread_barrier_wait(&all_done);
	return NULL;
}

static __attribute__((noinline)) pthread_t start(int phase)
{
	pthread_t tid;

	int err = pthread_create(&tid, NULL, phase_main, (void *)(long)phase); /* lg:create */
	if (err != 0) {
		fprintf(stderr, "sequential_threads: pthread_create: %s\n", strerror(err));
		exit(1);
	}
	return tid;
}

int main(int argc, char **argv)
{
	if (argc > 2 || (argc == 2 && strcmp(argv[1], "--concurrent") != 0 &&
	                 strcmp(argv[1], "--fixed") != 0)) {
		fprintf(stderr, "usage: %s [--concurrent | --fixed]\n", argv[0]);
		return 2;
	}
	concurrent = argc == 2 && strcmp(argv[1], "--concurrent") == 0;
	fixed = argc == 2 && strcmp(argv[1], "--fixed") == 0;

	for (int i = 0; i < NTHREADS; i++)
		sem_init(&turn[i], 0, 0);
	sem_post(&turn[IMPORTER]);
	pthread_barrier_init(&all_done, NULL, NTHREADS);

	if (concurrent) {
		/* Both at once: they overlap (and take turns). */
		pthread_t importer = start(IMPORTER);
		pthread_t repricer = start(REPRICER);
		pthread_join(importer, NULL);
		pthread_join(repricer, NULL);
	} else {
		/* One phase after the other: the repricer starts after the importer
		 * has been joined. */
		pthread_join(start(IMPORTER), NULL);
		pthread_join(start(REPRICER), NULL);
	}

	pthread_barrier_destroy(&all_done);
	for (int i = 0; i < NTHREADS; i++)
		sem_destroy(&turn[i]);
	return 0;
}
