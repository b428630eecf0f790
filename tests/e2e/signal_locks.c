/* signal_locks: the end-to-end tests' probe for locks taken in signal
 * handlers. (Not async-signal-safe, and common in real programs all the
 * same: a handler that updates statistics, or logs.)
 *
 * Usage: signal_locks MODE
 *
 * raise: the handler (log_on_signal) takes signal_lock; main raises the
 *   signal twice, once while it holds work_lock, once while it holds nothing.
 *   Verdict: CLEAN (signal_lock is only ever taken last). Output:
 *     raise: handler ran 2 times, work 2
 *
 * timer: a 1 ms interval timer sends SIGALRM to the process while two threads
 *   take work_lock and, under it, locks of a table they keep creating (new
 *   locks and new orders: lockgraph's slow paths); the handler takes
 *   signal_lock in whichever thread it interrupts, possibly inside
 *   lockgraph's own bookkeeping. Verdict: CLEAN. Output:
 *     timer: 2 threads, 40000 or more rounds, handler ran: yes
 *
 * contended: a "maker" thread keeps creating, taking and destroying locks
 *   (lockgraph's slow paths, under its internal locks) while main sends it
 *   SIGUSR1 every 10 us; its handler takes signal_lock. A "holder" thread, which
 *   blocks the signal, keeps taking signal_lock and, under it, a new lock of
 *   its own. The handler may wait for the holder, never the other way round:
 *   the holder waits for nothing while it holds signal_lock. Verdict: CLEAN.
 *   Output:
 *     contended: handler ran 2000 times or more
 *
 * same: main takes stats_lock in update_stats(); the signal arrives while it
 *   holds it, and the handler (log_on_signal) takes stats_lock again: a normal
 *   mutex is not recursive, so the thread waits for itself. Verdict: STUCK,
 *   an actual deadlock of one thread on one lock; natively it hangs after its
 *   output (kill it), under lockgraph it is stopped with status 66. Output:
 *     same: updating stats
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#define TIMER_THREADS    2
#define TIMER_ROUNDS     20000
#define TABLE_LOCKS      64
#define MIN_HANDLER_RUNS 20
#define CONTENDED_RUNS   2000
#define MAKER_LOCKS      64

static pthread_mutex_t work_lock = PTHREAD_MUTEX_INITIALIZER;   /* protects work */
static pthread_mutex_t signal_lock = PTHREAD_MUTEX_INITIALIZER; /* protects handler_runs */
static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;  /* protects stats */

static long work;
static long handler_runs; /* under signal_lock */
static atomic_long handler_seen;
static long stats;
static bool same_lock; /* the handler takes stats_lock, not signal_lock */
static atomic_int stop;

/* The functions that take locks stay out of line so that stack traces (and
 * the tests that read them) name them. */

static __attribute__((noinline)) void log_on_signal(void)
{
	if (same_lock) {
		pthread_mutex_lock(&stats_lock); /* lg:handler-stats */
		stats++;
		pthread_mutex_unlock(&stats_lock);
		return;
	}
	pthread_mutex_lock(&signal_lock); /* lg:handler-signal */
	handler_runs++;
	pthread_mutex_unlock(&signal_lock);
	atomic_fetch_add(&handler_seen, 1);
}

static void on_signal(int sig)
{
	(void)sig;
	log_on_signal();
}

static void catch (int sig)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(sig, &sa, NULL);
}

static __attribute__((noinline)) void work_and_raise(void)
{
	pthread_mutex_lock(&work_lock); /* lg:raise-work */
	work++;
	raise(SIGUSR1); /* handled now, in this thread, while it holds work_lock */
	pthread_mutex_unlock(&work_lock);
}

static int mode_raise(void)
{
	catch (SIGUSR1);
	work_and_raise();
	raise(SIGUSR1);                 /* holding nothing */
	pthread_mutex_lock(&work_lock); /* lg:raise-work-again */
	work++;
	pthread_mutex_unlock(&work_lock);
	pthread_mutex_lock(&signal_lock); /* lg:raise-count */
	long runs = handler_runs;
	pthread_mutex_unlock(&signal_lock);
	printf("raise: handler ran %ld times, work %ld\n", runs, work);
	return 0;
}

/* timer: each thread's table of locks, re-created every 500 rounds so that
 * lockgraph keeps seeing new locks. */
struct table {
	pthread_mutex_t locks[TABLE_LOCKS];
};

static __attribute__((noinline)) void table_round(struct table *t, unsigned round)
{
	pthread_mutex_lock(&work_lock); /* lg:timer-work */
	pthread_mutex_t *a = &t->locks[round % TABLE_LOCKS];
	pthread_mutex_t *b = &t->locks[(round * 7 + 1) % TABLE_LOCKS];
	if (a > b) {
		pthread_mutex_t *swap = a;
		a = b;
		b = swap;
	}
	pthread_mutex_lock(a); /* lg:timer-first */
	if (b != a)
		pthread_mutex_lock(b); /* lg:timer-second */
	work++;
	if (b != a)
		pthread_mutex_unlock(b);
	pthread_mutex_unlock(a);
	pthread_mutex_unlock(&work_lock);
}

static void table_init(struct table *t)
{
	for (int i = 0; i < TABLE_LOCKS; i++)
		pthread_mutex_init(&t->locks[i], NULL);
}

static void table_destroy(struct table *t)
{
	for (int i = 0; i < TABLE_LOCKS; i++)
		pthread_mutex_destroy(&t->locks[i]);
}

static void *timer_worker(void *arg)
{
	static const char *const names[TIMER_THREADS] = {"worker-1", "worker-2"};
	struct table *t = malloc(sizeof(*t));

	pthread_setname_np(pthread_self(), names[(intptr_t)arg]);
	if (!t)
		abort();
	table_init(t);
	for (unsigned round = 0;
	     round < TIMER_ROUNDS || atomic_load(&handler_seen) < MIN_HANDLER_RUNS; round++) {
		if (round % 500 == 499) {
			table_destroy(t);
			table_init(t);
		}
		table_round(t, round);
		if (round >= TIMER_ROUNDS)
			usleep(100);
	}
	table_destroy(t);
	free(t);
	return NULL;
}

static int mode_timer(void)
{
	pthread_t tid[TIMER_THREADS];
	struct itimerval every_ms = {{0, 1000}, {0, 1000}};
	struct itimerval off = {{0, 0}, {0, 0}};

	catch (SIGALRM);
	setitimer(ITIMER_REAL, &every_ms, NULL);
	for (int i = 0; i < TIMER_THREADS; i++) {
		int err = pthread_create(&tid[i], NULL, timer_worker, (void *)(intptr_t)i);
		if (err != 0) {
			fprintf(stderr, "signal_locks: pthread_create: %s\n", strerror(err));
			return 1;
		}
	}
	for (int i = 0; i < TIMER_THREADS; i++)
		pthread_join(tid[i], NULL);
	setitimer(ITIMER_REAL, &off, NULL);
	printf("timer: %d threads, %s rounds, handler ran: %s\n", TIMER_THREADS,
	       work >= (long)TIMER_THREADS * TIMER_ROUNDS ? "40000 or more" : "too few",
	       atomic_load(&handler_seen) >= MIN_HANDLER_RUNS ? "yes" : "no");
	return 0;
}

/* contended: the holder takes signal_lock and a new lock under it. */
static __attribute__((noinline)) void hold_and_create(void)
{
	pthread_mutex_t fresh;

	pthread_mutex_lock(&signal_lock); /* lg:holder-signal */
	pthread_mutex_init(&fresh, NULL);
	pthread_mutex_lock(&fresh); /* lg:holder-fresh */
	work++;
	pthread_mutex_unlock(&fresh);
	pthread_mutex_destroy(&fresh);
	pthread_mutex_unlock(&signal_lock);
}

static void *holder_main(void *arg)
{
	sigset_t usr1;

	(void)arg;
	pthread_setname_np(pthread_self(), "holder");
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &usr1, NULL);
	while (!atomic_load(&stop))
		hold_and_create();
	return NULL;
}

/* contended: the maker creates locks all the time, and gets the signals. */
static __attribute__((noinline)) void create_locks(pthread_mutex_t *set)
{
	for (int i = 0; i < MAKER_LOCKS; i++) {
		pthread_mutex_init(&set[i], NULL);
		pthread_mutex_lock(&set[i]); /* lg:maker-set */
		pthread_mutex_unlock(&set[i]);
	}
	for (int i = 0; i < MAKER_LOCKS; i++)
		pthread_mutex_destroy(&set[i]);
}

static void *maker_main(void *arg)
{
	pthread_mutex_t *set = malloc(MAKER_LOCKS * sizeof(*set));

	(void)arg;
	pthread_setname_np(pthread_self(), "maker");
	if (!set)
		abort();
	while (!atomic_load(&stop))
		create_locks(set);
	free(set);
	return NULL;
}

static int mode_contended(void)
{
	pthread_t holder, maker;
	sigset_t usr1;

	catch (SIGUSR1);
	/* Only the maker gets the signal: main and the holder block it. */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &usr1, NULL);
	int err = pthread_create(&holder, NULL, holder_main, NULL);
	if (err == 0) {
		pthread_sigmask(SIG_UNBLOCK, &usr1, NULL);
		err = pthread_create(&maker, NULL, maker_main, NULL);
		pthread_sigmask(SIG_BLOCK, &usr1, NULL);
	}
	if (err != 0) {
		fprintf(stderr, "signal_locks: pthread_create: %s\n", strerror(err));
		return 1;
	}
	while (atomic_load(&handler_seen) < CONTENDED_RUNS) {
		pthread_kill(maker, SIGUSR1);
		usleep(10);
	}
	atomic_store(&stop, 1);
	pthread_join(holder, NULL);
	pthread_join(maker, NULL);
	printf("contended: handler ran %d times or more\n", CONTENDED_RUNS);
	return 0;
}

/* same: the bug, a handler that needs the lock the interrupted code holds. */
static __attribute__((noinline)) void update_stats(void)
{
	pthread_mutex_lock(&stats_lock); /* lg:same-stats */
	stats++;
	raise(SIGUSR1);
	pthread_mutex_unlock(&stats_lock);
}

static int mode_same(void)
{
	same_lock = true;
	catch (SIGUSR1);
	printf("same: updating stats\n");
	/* Flushed now: a program stopped by a deadlock never gets to flush
	 * stdout at exit. */
	fflush(stdout);
	update_stats();
	printf("same: never reached, stats %ld\n", stats);
	return 1;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "raise") == 0)
		return mode_raise();
	if (argc == 2 && strcmp(argv[1], "timer") == 0)
		return mode_timer();
	if (argc == 2 && strcmp(argv[1], "contended") == 0)
		return mode_contended();
	if (argc == 2 && strcmp(argv[1], "same") == 0)
		return mode_same();
	fprintf(stderr, "usage: signal_locks raise|timer|contended|same\n");
	return 2;
}
