/* retry_storm: two movers shift stock between two shards, each locking the
 * shard it takes from, then the one it gives to with a timeout; when the
 * timeout expires they let go and try again, in the same order.
 *
 * Verdict: BROKEN BY TIMEOUT. An actual deadlock between shards[0].lock and
 * shards[1].lock that forms 4 times and is broken by the timeouts every time
 * (a "phoenix" deadlock). The program finishes and prints the right totals,
 * but each collision cost both movers a 50 ms timeout; under load such
 * movers can livelock. lockgraph reports one actual deadlock
 * ("broken_by_timeout": true, "times": 4) and exits 66.
 *
 * move() locks the source shard, then pthread_mutex_timedlock()s the
 * destination. "pusher" moves 100 from shard 0 to shard 1 while "puller"
 * moves 70 from shard 1 to shard 0: each holds one shard and waits for the
 * other's until both time out, release, and retry in the same order. Here
 * barriers make the first 4 attempts collide exactly, and a semaphore lets
 * the 5th go through one after the other.
 *
 * --fixed: move_ordered() locks the lower-numbered shard first, whichever
 * way the stock moves (backing off with jitter if a timed lock ever fails,
 * which cannot happen with one global order). The movers start together and
 * contend, but never wait in a cycle: verdict CLEAN.
 *
 * Output:
 *   pusher moved 100 from shard 0 to shard 1 after 4 retries
 *   puller moved 70 from shard 1 to shard 0 after 4 retries
 *   shard 0: 970, shard 1: 1030
 * --fixed: the same with "after 0 retries".
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NSHARDS    2
#define COLLISIONS 4  /* attempts that collide before one goes through */
#define TIMEOUT_MS 50 /* how long a mover waits for its second shard */

static struct shard {
	pthread_mutex_t lock; /* protects items */
	long items;
} shards[NSHARDS] = {
        {PTHREAD_MUTEX_INITIALIZER, 1000},
        {PTHREAD_MUTEX_INITIALIZER, 1000},
};

struct mover {
	const char *name;
	int index;
	int from, to;
	long amount;
	int retries; /* the mover's own */
	unsigned seed;
};

static struct mover movers[] = {
        {"pusher", 0, 0, 1, 100, 0, 1},
        {"puller", 1, 1, 0, 70, 0, 2},
};

#define NMOVERS (int)(sizeof(movers) / sizeof(movers[0]))

static bool fixed;

/* The schedule. `meet`, in each colliding attempt: both movers hold their
 * source shard before either asks for the destination, both have given up
 * before either lets go (so neither gets through while the other still
 * waits), and both have let go before either tries again. `last_round`: the
 * puller's final attempt starts after the pusher's has finished. */
static pthread_barrier_t meet;
static sem_t last_round;

static void deadline_in(struct timespec *deadline, long ms)
{
	clock_gettime(CLOCK_REALTIME, deadline);
	deadline->tv_sec += ms / 1000;
	deadline->tv_nsec += (ms % 1000) * 1000000;
	if (deadline->tv_nsec >= 1000000000) {
		deadline->tv_sec++;
		deadline->tv_nsec -= 1000000000;
	}
}

/* The functions that take locks stay out of line so that stack traces (and
 * the tests that read them) name them at -O2. */

/* One attempt; true if the stock moved. The bug: the source shard first, so
 * moves in opposite directions take the two locks in opposite orders, and
 * retrying in the same order meets the same cycle again. */
static __attribute__((noinline)) bool move(struct mover *m, bool collide)
{
	struct shard *from = &shards[m->from];
	struct shard *to = &shards[m->to];
	struct timespec deadline;

	pthread_mutex_lock(&from->lock); /* lg:take-source */
	if (collide)
		pthread_barrier_wait(&meet);
	deadline_in(&deadline, TIMEOUT_MS);
	int err = pthread_mutex_timedlock(&to->lock, &deadline); /* lg:take-destination */
	if (err != 0) {
		if (collide)
			pthread_barrier_wait(&meet);
		pthread_mutex_unlock(&from->lock);
		return false;
	}
	from->items -= m->amount;
	to->items += m->amount;
	pthread_mutex_unlock(&to->lock);
	pthread_mutex_unlock(&from->lock);
	return true;
}

/* The fix: the lower-numbered shard first, whichever way the stock moves. */
static __attribute__((noinline)) bool move_ordered(struct mover *m)
{
	struct shard *first = &shards[m->from < m->to ? m->from : m->to];
	struct shard *second = &shards[m->from < m->to ? m->to : m->from];
	struct timespec deadline;

	pthread_mutex_lock(&first->lock); /* lg:take-lower */
	deadline_in(&deadline, TIMEOUT_MS);
	int err = pthread_mutex_timedlock(&second->lock, &deadline); /* lg:take-higher */
	if (err != 0) {
		pthread_mutex_unlock(&first->lock);
		return false;
	}
	shards[m->from].items -= m->amount;
	shards[m->to].items += m->amount;
	pthread_mutex_unlock(&second->lock);
	pthread_mutex_unlock(&first->lock);
	return true;
}

/* Backs off 1 to 10 ms, different for each mover, so that two movers that
 * keep colliding drift apart. */
static void back_off(struct mover *m)
{
	struct timespec pause = {0, (1 + rand_r(&m->seed) % 10) * 1000000L};

	nanosleep(&pause, NULL);
}

static void *mover_main(void *arg)
{
	struct mover *m = arg;

	pthread_setname_np(pthread_self(), m->name);
	if (fixed) {
		pthread_barrier_wait(&meet); /* start together: real contention */
		while (!move_ordered(m)) {
			m->retries++;
			back_off(m);
		}
		return NULL;
	}
	for (int attempt = 0;; attempt++) {
		bool collide = attempt < COLLISIONS;

		if (!collide && m->index == 1)
			sem_wait(&last_round);
		if (move(m, collide))
			break;
		m->retries++;
		if (collide)
			pthread_barrier_wait(&meet);
	}
	if (m->index == 0)
		sem_post(&last_round);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t tid[NMOVERS];

	if (argc > 2 || (argc == 2 && strcmp(argv[1], "--fixed") != 0)) {
		fprintf(stderr, "usage: %s [--fixed]\n", argv[0]);
		return 2;
	}
	fixed = argc == 2;

	pthread_barrier_init(&meet, NULL, NMOVERS);
	sem_init(&last_round, 0, 0);
	for (int i = 0; i < NMOVERS; i++) {
		int err = pthread_create(&tid[i], NULL, mover_main, &movers[i]); /* lg:create */
		if (err != 0) {
			fprintf(stderr, "retry_storm: pthread_create: %s\n", strerror(err));
			return 1;
		}
	}
	for (int i = 0; i < NMOVERS; i++)
		pthread_join(tid[i], NULL);

	for (int i = 0; i < NMOVERS; i++) {
		struct mover *m = &movers[i];

		printf("%s moved %ld from shard %d to shard %d after %d retries\n", m->name,
		       m->amount, m->from, m->to, m->retries);
	}
	printf("shard 0: %ld, shard 1: %ld\n", shards[0].items, shards[1].items);

	sem_destroy(&last_round);
	pthread_barrier_destroy(&meet);
	return 0;
}
