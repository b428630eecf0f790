/* many_held: a lock hierarchy with many levels. A climber takes every level
 * at once, in index order; later a shortcut thread takes two levels.
 *
 * Verdict: BUGGY. Exactly one potential deadlock (lock-order inversion)
 * between levels[20] and levels[150].
 *
 * climb() (thread "climber") holds all 200 levels at once, taken in index
 * order, so it takes levels[20] before levels[150] (and every level before
 * every higher one). shortcut() (thread "shortcut") then locks levels[150],
 * then levels[20]: the reverse. Had both run at the same moment, the climber
 * could hold levels[20] and wait for levels[150] while the shortcut holds
 * levels[150] and waits for levels[20]. Here the two take turns
 * (semaphores), so the program always finishes, but both orders are taken by
 * two threads that are alive at the same time. That is the only cycle: every
 * other order among the levels comes from the climber alone, in one
 * direction, and a cycle through two of its orders would need it to be in
 * two places at once.
 *
 * Before the threads start, the main thread holds 1,000 other locks
 * (deep[0..999]) at once, in index order, to show that nothing limits how
 * many locks one thread holds; they are never taken in another order.
 *
 * --fixed: shortcut_ordered() locks levels[20] first, in index order like
 * everyone else. Verdict: CLEAN.
 *
 * Output (both variants):
 *   main held 1000 locks at once
 *   climber held 200 locks at once
 *   shortcut moved levels 150 and 20
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define NLEVELS 200
#define NDEEP   1000
#define LOW     20
#define HIGH    150

/* Statically initialized: each one is a lock of its own, never passed to
 * pthread_mutex_init. */
static pthread_mutex_t levels[NLEVELS] = {[0 ... NLEVELS - 1] = PTHREAD_MUTEX_INITIALIZER};
static pthread_mutex_t deep[NDEEP] = {[0 ... NDEEP - 1] = PTHREAD_MUTEX_INITIALIZER};

static long counters[NLEVELS]; /* counters[i] is protected by levels[i] */
static bool fixed;

enum { CLIMBER, SHORTCUT, NTHREADS };
static sem_t turn[NTHREADS];       /* the two take turns: no real deadlock */
static pthread_barrier_t all_done; /* neither leaves before the other is done */

/* The functions that take locks stay out of line so that stack traces (and
 * the tests that read them) name them at -O2. */

/* Takes locks[0..n-1] in index order, all held at once, then releases them
 * in reverse. Returns how many were held at once. */
static __attribute__((noinline)) int hold_all(pthread_mutex_t *locks, int n)
{
	int held = 0;

	for (int i = 0; i < n; i++) {
		pthread_mutex_lock(&locks[i]); /* lg:hold-all */
		held++;
	}
	for (int i = n - 1; i >= 0; i--)
		pthread_mutex_unlock(&locks[i]);
	return held;
}

/* The bug: the higher level first. */
static __attribute__((noinline)) void shortcut(void)
{
	pthread_mutex_lock(&levels[HIGH]); /* lg:shortcut-high */
	pthread_mutex_lock(&levels[LOW]);  /* lg:shortcut-low */
	counters[HIGH]--;
	counters[LOW]++;
	pthread_mutex_unlock(&levels[LOW]);
	pthread_mutex_unlock(&levels[HIGH]);
}

/* The fix: index order, like the climber. */
static __attribute__((noinline)) void shortcut_ordered(void)
{
	pthread_mutex_lock(&levels[LOW]);  /* lg:ordered-low */
	pthread_mutex_lock(&levels[HIGH]); /* lg:ordered-high */
	counters[HIGH]--;
	counters[LOW]++;
	pthread_mutex_unlock(&levels[HIGH]);
	pthread_mutex_unlock(&levels[LOW]);
}

static void *climber_main(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "climber");
	sem_wait(&turn[CLIMBER]);
	printf("climber held %d locks at once\n", hold_all(levels, NLEVELS));
	sem_post(&turn[SHORTCUT]);
	pthread_barrier_wait(&all_done);
	return NULL;
}

static void *shortcut_main(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "shortcut");
	sem_wait(&turn[SHORTCUT]);
	if (fixed)
		shortcut_ordered();
	else
		shortcut();
	printf("shortcut moved levels %d and %d\n", HIGH, LOW);
	pthread_barrier_wait(&all_done);
	return NULL;
}

int main(int argc, char **argv)
{
	void *(*const mains[NTHREADS])(void *) = {climber_main, shortcut_main};
	pthread_t tid[NTHREADS];

	if (argc > 2 || (argc == 2 && strcmp(argv[1], "--fixed") != 0)) {
		fprintf(stderr, "usage: %s [--fixed]\n", argv[0]);
		return 2;
	}
	fixed = argc == 2;

	printf("main held %d locks at once\n", hold_all(deep, NDEEP));

	for (int i = 0; i < NTHREADS; i++)
		sem_init(&turn[i], 0, 0);
	pthread_barrier_init(&all_done, NULL, NTHREADS);

	/* Start both before the first one works, so they overlap. */
	for (int i = 0; i < NTHREADS; i++) {
		int err = pthread_create(&tid[i], NULL, mains[i], NULL); /* lg:create */
		if (err != 0) {
			fprintf(stderr, "many_held: pthread_create: %s\n", strerror(err));
			return 1;
		}
	}
	sem_post(&turn[CLIMBER]);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(tid[i], NULL);

	pthread_barrier_destroy(&all_done);
	for (int i = 0; i < NTHREADS; i++)
		sem_destroy(&turn[i]);
	return 0;
}
