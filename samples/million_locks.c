/* million_locks: a table of a million rows, each with its own lock. A
 * startup pass touches every row once; then two movers transfer between two
 * rows.
 *
 * Verdict: BUGGY. Exactly one potential deadlock (lock-order inversion)
 * between locks[123456] and locks[654321].
 *
 * The main thread first locks and unlocks each of the 1,000,000 locks once
 * (one at a time: no order between them), to show that nothing limits how
 * many locks a program has. Then move() (thread "forward") locks
 * locks[123456], then locks[654321], and move() (thread "backward") locks
 * locks[654321], then locks[123456]: each locks its source row first. Had
 * both run at the same moment, each could hold one lock and wait forever for
 * the other. Here the two take turns (semaphores), so the program always
 * finishes, but both orders are taken by two threads that are alive at the
 * same time.
 *
 * --fixed: move_ordered() locks the lower row first, whichever way the
 * value moves. Verdict: CLEAN.
 *
 * Output (both variants):
 *   touched 1000000 rows
 *   row 123456: 990, row 654321: 1010
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define NLOCKS 1000000
#define ROW_A  123456
#define ROW_B  654321

/* Zero-initialized, which is what PTHREAD_MUTEX_INITIALIZER is in glibc
 * (main checks it): spelling out a million initializers makes some compilers
 * crawl. None is passed to pthread_mutex_init. */
static pthread_mutex_t locks[NLOCKS];
static long rows[NLOCKS]; /* rows[i] is protected by locks[i] */
static bool fixed;

struct mover {
	const char *name;
	int index; /* whose turn: turn[index] */
	int from, to;
	long amount;
};

static struct mover movers[] = {
        {"forward", 0, ROW_A, ROW_B, 30},
        {"backward", 1, ROW_B, ROW_A, 20},
};

#define NMOVERS (int)(sizeof(movers) / sizeof(movers[0]))

static sem_t turn[NMOVERS];        /* the movers take turns: no real deadlock */
static pthread_barrier_t all_done; /* neither leaves before the other is done */

/* The functions that take locks stay out of line so that stack traces (and
 * the tests that read them) name them at -O2. */

static __attribute__((noinline)) long touch_all(void)
{
	long touched = 0;

	for (int i = 0; i < NLOCKS; i++) {
		pthread_mutex_lock(&locks[i]); /* lg:touch */
		rows[i] = 1000;
		touched++;
		pthread_mutex_unlock(&locks[i]);
	}
	return touched;
}

/* The bug: the source row first. */
static __attribute__((noinline)) void move(int from, int to, long amount)
{
	pthread_mutex_lock(&locks[from]); /* lg:move-from */
	pthread_mutex_lock(&locks[to]);   /* lg:move-to */
	rows[from] -= amount;
	rows[to] += amount;
	pthread_mutex_unlock(&locks[to]);
	pthread_mutex_unlock(&locks[from]);
}

/* The fix: the lower row first. */
static __attribute__((noinline)) void move_ordered(int from, int to, long amount)
{
	int first = from < to ? from : to;
	int second = from < to ? to : from;

	pthread_mutex_lock(&locks[first]);  /* lg:ordered-first */
	pthread_mutex_lock(&locks[second]); /* lg:ordered-second */
	rows[from] -= amount;
	rows[to] += amount;
	pthread_mutex_unlock(&locks[second]);
	pthread_mutex_unlock(&locks[first]);
}

static void *mover_main(void *arg)
{
	struct mover *m = arg;

	pthread_setname_np(pthread_self(), m->name);
	sem_wait(&turn[m->index]);
	if (fixed)
		move_ordered(m->from, m->to, m->amount);
	else
		move(m->from, m->to, m->amount);
	sem_post(&turn[(m->index + 1) % NMOVERS]);
	pthread_barrier_wait(&all_done);
	return NULL;
}

int main(int argc, char **argv)
{
	static const pthread_mutex_t initializer = PTHREAD_MUTEX_INITIALIZER;
	static const pthread_mutex_t zero;
	pthread_t tid[NMOVERS];

	if (argc > 2 || (argc == 2 && strcmp(argv[1], "--fixed") != 0)) {
		fprintf(stderr, "usage: %s [--fixed]\n", argv[0]);
		return 2;
	}
	fixed = argc == 2;
	if (memcmp(&initializer, &zero, sizeof(zero)) != 0) {
		fprintf(stderr, "million_locks: PTHREAD_MUTEX_INITIALIZER is not all zeros here\n");
		return 1;
	}

	printf("touched %ld rows\n", touch_all());

	for (int i = 0; i < NMOVERS; i++)
		sem_init(&turn[i], 0, 0);
	pthread_barrier_init(&all_done, NULL, NMOVERS);

	/* Start both before the first one works, so they overlap. */
	for (int i = 0; i < NMOVERS; i++) {
		int err = pthread_create(&tid[i], NULL, mover_main, &movers[i]); /* lg:create */
		if (err != 0) {
			fprintf(stderr, "million_locks: pthread_create: %s\n", strerror(err));
			return 1;
		}
	}
	sem_post(&turn[0]);
	for (int i = 0; i < NMOVERS; i++)
		pthread_join(tid[i], NULL);

	printf("row %d: %ld, row %d: %ld\n", ROW_A, rows[ROW_A], ROW_B, rows[ROW_B]);

	pthread_barrier_destroy(&all_done);
	for (int i = 0; i < NMOVERS; i++)
		sem_destroy(&turn[i]);
	return 0;
}
