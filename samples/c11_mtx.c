/* c11_mtx: a ledger written with C11 <threads.h>: a poster books entries
 * into the ledger and notes them in the journal, a closer closes the journal
 * and totals the ledger.
 *
 * Verdict: BUGGY. One potential deadlock (lock-order inversion) between
 * ledger_mtx and journal_mtx, two C11 mtx_t locks (lock kind "mtx").
 *
 * post_entry() (thread "poster") locks ledger_mtx, then journal_mtx;
 * close_day() (thread "closer") locks journal_mtx, then ledger_mtx. Had both
 * run at the same moment, each could hold one lock and wait forever for the
 * other. Here they take turns (semaphores), so the program always finishes,
 * but both orders are taken by two threads that are alive at the same time.
 * The threads are started with thrd_create (C11 threads have no names; each
 * names itself with pthread_setname_np, which works on them with glibc).
 *
 * --fixed: close_day_fixed() locks ledger_mtx first, like post_entry().
 * Verdict: CLEAN.
 *
 * Output (both variants):
 *   day 1: 2 entries, balance 150
 *   day 2: 4 entries, balance 300
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <threads.h>

#define ROUNDS 2

static mtx_t ledger_mtx;  /* protects balance */
static mtx_t journal_mtx; /* protects entries */

static long balance;
static int entries;
static bool fixed;

enum { POSTER, CLOSER, NTHREADS };
static sem_t turn[NTHREADS];       /* the two take turns: no real deadlock */
static pthread_barrier_t all_done; /* neither leaves before the other is done */

/* The functions that take locks stay out of line so that stack traces (and
 * the tests that read them) name them at -O2. */

static __attribute__((noinline)) void post_entry(long amount)
{
	mtx_lock(&ledger_mtx);  /* lg:post-ledger */
	mtx_lock(&journal_mtx); /* lg:post-journal */
	balance += amount;
	entries++;
	mtx_unlock(&journal_mtx);
	mtx_unlock(&ledger_mtx);
}

/* The bug: the journal first, the opposite of post_entry(). */
static __attribute__((noinline)) void close_day(int *n, long *total)
{
	mtx_lock(&journal_mtx); /* lg:close-journal */
	mtx_lock(&ledger_mtx);  /* lg:close-ledger */
	*n = entries;
	*total = balance;
	mtx_unlock(&ledger_mtx);
	mtx_unlock(&journal_mtx);
}

/* The fix: the ledger first, like post_entry(). */
static __attribute__((noinline)) void close_day_fixed(int *n, long *total)
{
	mtx_lock(&ledger_mtx);  /* lg:fixed-ledger */
	mtx_lock(&journal_mtx); /* lg:fixed-journal */
	*n = entries;
	*total = balance;
	mtx_unlock(&journal_mtx);
	mtx_unlock(&ledger_mtx);
}

static int poster_main(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "poster");
	for (int round = 0; round < ROUNDS; round++) {
		sem_wait(&turn[POSTER]);
		post_entry(100);
		post_entry(50);
		sem_post(&turn[CLOSER]);
	}
	pthread_barrier_wait(&all_done);
	return 0;
}

static int closer_main(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "closer");
	for (int round = 0; round < ROUNDS; round++) {
		int n;
		long total;

		sem_wait(&turn[CLOSER]);
		if (fixed)
			close_day_fixed(&n, &total);
		else
			close_day(&n, &total);
		printf("day %d: %d entries, balance %ld\n", round + 1, n, total);
		sem_post(&turn[POSTER]);
	}
	pthread_barrier_wait(&all_done);
	return 0;
}

int main(int argc, char **argv)
{
	const thrd_start_t mains[NTHREADS] = {poster_main, closer_main};
	thrd_t tid[NTHREADS];

	if (argc > 2 || (argc == 2 && strcmp(argv[1], "--fixed") != 0)) {
		fprintf(stderr, "usage: %s [--fixed]\n", argv[0]);
		return 2;
	}
	fixed = argc == 2;

	if (mtx_init(&ledger_mtx, mtx_plain) != thrd_success ||
	    mtx_init(&journal_mtx, mtx_plain) != thrd_success) {
		fprintf(stderr, "c11_mtx: mtx_init failed\n");
		return 1;
	}
	for (int i = 0; i < NTHREADS; i++)
		sem_init(&turn[i], 0, 0);
	pthread_barrier_init(&all_done, NULL, NTHREADS);

	/* Start both before the first one works, so they overlap. */
	for (int i = 0; i < NTHREADS; i++) {
		if (thrd_create(&tid[i], mains[i], NULL) != thrd_success) { /* lg:create */
			fprintf(stderr, "c11_mtx: thrd_create failed\n");
			return 1;
		}
	}
	sem_post(&turn[POSTER]);
	for (int i = 0; i < NTHREADS; i++)
		thrd_join(tid[i], NULL);

	pthread_barrier_destroy(&all_done);
	for (int i = 0; i < NTHREADS; i++)
		sem_destroy(&turn[i]);
	mtx_destroy(&journal_mtx);
	mtx_destroy(&ledger_mtx);
	return 0;
}
