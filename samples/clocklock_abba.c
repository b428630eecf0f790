/* clocklock_abba: a page cache in front of a disk. A reader fills the cache
 * from the disk, an evictor writes cached pages back; each takes its second
 * lock with pthread_mutex_clocklock() and a deadline an hour away.
 *
 * Verdict: BUGGY. One potential deadlock (lock-order inversion) between
 * cache_lock and disk_lock; both edges were taken with a timed lock
 * ("acquired_with": "timedlock").
 *
 * fill() (thread "reader") locks cache_lock, then disk_lock (timed);
 * write_back() (thread "evictor") locks disk_lock, then cache_lock (timed).
 * Had both run at the same moment, each would hold one lock and wait for the
 * other's for an hour: a timeout that long does not make the inversion safe.
 * Here the two take turns (semaphores), so the program always finishes, but
 * both orders are taken by two threads that are alive at the same time.
 *
 * --fixed: write_back_fixed() locks cache_lock first (and disk_lock timed),
 * like fill(). Verdict: CLEAN.
 *
 * Output (both variants):
 *   round 1: 1 pages cached, 1 written back
 *   round 2: 2 pages cached, 2 written back
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define ROUNDS 2

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER; /* protects cached */
static pthread_mutex_t disk_lock = PTHREAD_MUTEX_INITIALIZER;  /* protects written */

static int cached;
static int written;
static bool fixed;

enum { READER, EVICTOR, NTHREADS };
static sem_t turn[NTHREADS];       /* the two take turns: no real deadlock */
static pthread_barrier_t all_done; /* neither leaves before the other is done */

/* The deadline for the timed locks: an hour from now, on CLOCK_MONOTONIC. */
static struct timespec in_an_hour(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += 3600;
	return t;
}

static void check_taken(int err, const char *what)
{
	if (err != 0)
		fprintf(stderr, "clocklock_abba: %s: %s\n", what, strerror(err));
}

/* The functions that take locks stay out of line so that stack traces (and
 * the tests that read them) name them at -O2. */

static __attribute__((noinline)) void fill(void)
{
	struct timespec t = in_an_hour();

	pthread_mutex_lock(&cache_lock);                                    /* lg:fill-cache */
	int err = pthread_mutex_clocklock(&disk_lock, CLOCK_MONOTONIC, &t); /* lg:fill-disk */
	check_taken(err, "disk_lock");
	cached++;
	if (err == 0)
		pthread_mutex_unlock(&disk_lock);
	pthread_mutex_unlock(&cache_lock);
}

/* The bug: the disk first, the opposite of fill(). */
static __attribute__((noinline)) void write_back(void)
{
	struct timespec t = in_an_hour();

	pthread_mutex_lock(&disk_lock);                                      /* lg:evict-disk */
	int err = pthread_mutex_clocklock(&cache_lock, CLOCK_MONOTONIC, &t); /* lg:evict-cache */
	check_taken(err, "cache_lock");
	written++;
	if (err == 0)
		pthread_mutex_unlock(&cache_lock);
	pthread_mutex_unlock(&disk_lock);
}

/* The fix: the cache first, like fill(). */
static __attribute__((noinline)) void write_back_fixed(void)
{
	struct timespec t = in_an_hour();

	pthread_mutex_lock(&cache_lock);                                    /* lg:fixed-cache */
	int err = pthread_mutex_clocklock(&disk_lock, CLOCK_MONOTONIC, &t); /* lg:fixed-disk */
	check_taken(err, "disk_lock");
	written++;
	if (err == 0)
		pthread_mutex_unlock(&disk_lock);
	pthread_mutex_unlock(&cache_lock);
}

static void *reader_main(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "reader");
	for (int round = 0; round < ROUNDS; round++) {
		sem_wait(&turn[READER]);
		fill();
		sem_post(&turn[EVICTOR]);
	}
	pthread_barrier_wait(&all_done);
	return NULL;
}

static void *evictor_main(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "evictor");
	for (int round = 0; round < ROUNDS; round++) {
		sem_wait(&turn[EVICTOR]);
		if (fixed)
			write_back_fixed();
		else
			write_back();
		printf("round %d: %d pages cached, %d written back\n", round + 1, cached, written);
		sem_post(&turn[READER]);
	}
	pthread_barrier_wait(&all_done);
	return NULL;
}

int main(int argc, char **argv)
{
	void *(*const mains[NTHREADS])(void *) = {reader_main, evictor_main};
	pthread_t tid[NTHREADS];

	if (argc > 2 || (argc == 2 && strcmp(argv[1], "--fixed") != 0)) {
		fprintf(stderr, "usage: %s [--fixed]\n", argv[0]);
		return 2;
	}
	fixed = argc == 2;

	for (int i = 0; i < NTHREADS; i++)
		sem_init(&turn[i], 0, 0);
	pthread_barrier_init(&all_done, NULL, NTHREADS);

	/* Start both before the first one works, so they overlap. */
	for (int i = 0; i < NTHREADS; i++) {
		int err = pthread_create(&tid[i], NULL, mains[i], NULL); /* lg:create */
		if (err != 0) {
			fprintf(stderr, "clocklock_abba: pthread_create: %s\n", strerror(err));
			return 1;
		}
	}
	sem_post(&turn[READER]);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(tid[i], NULL);

	pthread_barrier_destroy(&all_done);
	for (int i = 0; i < NTHREADS; i++)
		sem_destroy(&turn[i]);
	return 0;
}
