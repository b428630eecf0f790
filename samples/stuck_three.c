/* stuck_three: a three-stage pipeline (parse, store, notify) whose last
 * stage acknowledges back to the first, and hangs with all three stages
 * waiting on each other.
 *
 * Verdict: STUCK. An actual deadlock of three threads around three locks,
 * parse_lock -> store_lock -> notify_lock -> parse_lock, every run: without
 * lockgraph the program hangs forever (kill it); under lockgraph it is
 * stopped with status 66.
 *
 * Each stage holds its own lock while it hands a batch to the next stage,
 * whose lock it then takes: "parser" holds parse_lock and waits for
 * store_lock, "storer" holds store_lock and waits for notify_lock. The
 * notify stage closes the loop: acknowledge() ("notifier") holds notify_lock
 * and waits for parse_lock to tell the parser the batch is done. No two
 * threads take the same two locks in opposite orders; only the three
 * together make a cycle. A barrier between each stage's two lock calls makes
 * all three meet every time.
 *
 * Output (then it hangs):
 *   pipeline: parse -> store -> notify, 3 stages
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define NSTAGES 3

static pthread_mutex_t parse_lock = PTHREAD_MUTEX_INITIALIZER;  /* protects parsed */
static pthread_mutex_t store_lock = PTHREAD_MUTEX_INITIALIZER;  /* protects stored */
static pthread_mutex_t notify_lock = PTHREAD_MUTEX_INITIALIZER; /* protects notified */
static int parsed, stored, notified, acked;

/* Every stage holds its own lock before any asks for the next one. */
static pthread_barrier_t all_hold_one;

/* The functions that take locks stay out of line so that stack traces (and
 * the tests that read them) name them at -O2. */

/* Moves a batch from one stage to the next, holding both stages' locks. */
static __attribute__((noinline)) void hand_over(pthread_mutex_t *own, int *from,
                                                pthread_mutex_t *next, int *to)
{
	pthread_mutex_lock(own); /* lg:hand-own */
	pthread_barrier_wait(&all_hold_one);
	pthread_mutex_lock(next); /* lg:hand-next */
	(*from)--;
	(*to)++;
	pthread_mutex_unlock(next);
	pthread_mutex_unlock(own);
}

/* The loop's last link: the notifier tells the parser, under the parser's
 * lock, that the batch it sent out is done. */
static __attribute__((noinline)) void acknowledge(void)
{
	pthread_mutex_lock(&notify_lock); /* lg:ack-own */
	pthread_barrier_wait(&all_hold_one);
	pthread_mutex_lock(&parse_lock); /* lg:ack-parse */
	notified--;
	acked++;
	pthread_mutex_unlock(&parse_lock);
	pthread_mutex_unlock(&notify_lock);
}

static void *parser_main(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "parser");
	hand_over(&parse_lock, &parsed, &store_lock, &stored);
	return NULL;
}

static void *storer_main(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "storer");
	hand_over(&store_lock, &stored, &notify_lock, &notified);
	return NULL;
}

static void *notifier_main(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "notifier");
	acknowledge();
	return NULL;
}

int main(int argc, char **argv)
{
	void *(*stage_main[NSTAGES])(void *) = {parser_main, storer_main, notifier_main};
	pthread_t tid[NSTAGES];

	if (argc != 1) {
		fprintf(stderr, "usage: %s\n", argv[0]);
		return 2;
	}

	parsed = stored = notified = 1; /* one batch in every stage */
	printf("pipeline: parse -> store -> notify, %d stages\n", NSTAGES);
	/* Flushed now: a program stopped by a deadlock never gets to flush
	 * stdout at exit. */
	fflush(stdout);

	pthread_barrier_init(&all_hold_one, NULL, NSTAGES);
	for (int i = 0; i < NSTAGES; i++) {
		int err = pthread_create(&tid[i], NULL, stage_main[i], NULL); /* lg:create */
		if (err != 0) {
			fprintf(stderr, "stuck_three: pthread_create: %s\n", strerror(err));
			return 1;
		}
	}
	for (int i = 0; i < NSTAGES; i++)
		pthread_join(tid[i], NULL);

	/* Never reached: the stages never return. */
	printf("parsed %d, stored %d, notified %d, acknowledged %d\n", parsed, stored, notified,
	       acked);
	pthread_barrier_destroy(&all_hold_one);
	return 0;
}
