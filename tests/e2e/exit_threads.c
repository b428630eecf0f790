/* exit_threads: the end-to-end tests' probe for threads that are still
 * taking locks while the process exits.
 *
 * Four "locker" threads keep creating, nesting and destroying locks (new
 * locks and new orders: lockgraph's slow paths), and a "waiter" thread is
 * blocked on gate_lock, which main holds; main waits until every locker is
 * well under way, then ends the process while all of them still run, by
 * exit(STATUS) or by returning STATUS from main. Exit handlers (and
 * lockgraph's own) run while the threads go on locking.
 *
 * Verdict: CLEAN: the lockers take their locks in address order under
 * table_lock; the waiter waits for a lock that main holds, but main waits
 * for nothing.
 *
 * Usage: exit_threads exit|return STATUS
 *
 * Output:
 *   main: 4 lockers and 1 waiter still running, ending with STATUS
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NLOCKERS    4
#define WARM_ROUNDS 1000
#define SET_LOCKS   8

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER; /* protects rounds */
static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;  /* main holds it to the end */

static atomic_int warm; /* lockers past WARM_ROUNDS */
static atomic_int waiting;
static long rounds;

/* The functions that take locks stay out of line so that stack traces (and
 * the tests that read them) name them. */

/* One round: a fresh set of locks, taken in address order under table_lock. */
static __attribute__((noinline)) void locker_round(void)
{
	pthread_mutex_t *set = malloc(SET_LOCKS * sizeof(*set));
	if (!set)
		abort();
	for (int i = 0; i < SET_LOCKS; i++)
		pthread_mutex_init(&set[i], NULL);
	pthread_mutex_lock(&table_lock); /* lg:locker-table */
	for (int i = 0; i < SET_LOCKS; i++)
		pthread_mutex_lock(&set[i]); /* lg:locker-set */
	rounds++;
	for (int i = SET_LOCKS - 1; i >= 0; i--)
		pthread_mutex_unlock(&set[i]);
	pthread_mutex_unlock(&table_lock);
	for (int i = 0; i < SET_LOCKS; i++)
		pthread_mutex_destroy(&set[i]);
	free(set);
}

static void *locker_main(void *arg)
{
	static const char *const names[NLOCKERS] = {"locker-1", "locker-2", "locker-3", "locker-4"};

	pthread_setname_np(pthread_self(), names[(intptr_t)arg]);
	for (long round = 0;; round++) {
		locker_round();
		if (round == WARM_ROUNDS)
			atomic_fetch_add(&warm, 1);
	}
	return NULL;
}

static __attribute__((noinline)) void wait_for_gate(void)
{
	atomic_store(&waiting, 1);
	/* Blocks until the process ends: main never releases gate_lock. */
	pthread_mutex_lock(&gate_lock); /* lg:waiter-gate */
	pthread_mutex_unlock(&gate_lock);
}

static void *waiter_main(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "waiter");
	wait_for_gate();
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t tid;
	char *end;

	if (argc != 3 || (strcmp(argv[1], "exit") != 0 && strcmp(argv[1], "return") != 0)) {
		fprintf(stderr, "usage: exit_threads exit|return STATUS\n");
		return 2;
	}
	long status = strtol(argv[2], &end, 10);
	if (end == argv[2] || *end != '\0' || status < 0 || status > 255) {
		fprintf(stderr, "exit_threads: bad status '%s' (want 0-255)\n", argv[2]);
		return 2;
	}

	pthread_mutex_lock(&gate_lock); /* lg:main-gate */
	for (int i = 0; i < NLOCKERS; i++) {
		int err = pthread_create(&tid, NULL, locker_main, (void *)(intptr_t)i);
		if (err != 0) {
			fprintf(stderr, "exit_threads: pthread_create: %s\n", strerror(err));
			return 1;
		}
	}
	int err = pthread_create(&tid, NULL, waiter_main, NULL);
	if (err != 0) {
		fprintf(stderr, "exit_threads: pthread_create: %s\n", strerror(err));
		return 1;
	}
	while (atomic_load(&warm) < NLOCKERS || !atomic_load(&waiting))
		sched_yield();

	printf("main: %d lockers and 1 waiter still running, ending with %ld\n", NLOCKERS, status);
	if (strcmp(argv[1], "exit") == 0)
		exit((int)status);
	return (int)status;
}
