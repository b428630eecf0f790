/* ordered_workers: eight workers update counters guarded by sixteen locks,
 * each time taking a random subset of the locks at once.
 *
 * Verdict: CLEAN. Every worker takes its locks in increasing index order
 * (levels[0] before levels[1] before ...), so no two threads can ever wait on
 * each other in a cycle, however their lock calls interleave. The workers run
 * truly concurrently (no turns), which makes this a stress test for false
 * positives and for the detector's own thread safety.
 *
 * Each worker's random numbers come from its own fixed seed, and the counters
 * only add up, so the result does not depend on the interleaving.
 *
 * Output:
 *   levels: 16, workers: 8, iterations: 20000
 *   checksum: 14632342572928091623
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define NWORKERS   8
#define NLEVELS    16
#define ITERATIONS 20000

/* Statically initialized: each level is a lock of its own. */
static pthread_mutex_t levels[NLEVELS] = {[0 ... NLEVELS - 1] = PTHREAD_MUTEX_INITIALIZER};
static uint64_t counters[NLEVELS]; /* counters[i] is protected by levels[i] */

struct worker {
	int index;
	char name[16];
	uint64_t rng; /* xorshift64 state, private to the worker */
};

static struct worker workers[NWORKERS];
static pthread_barrier_t start_line; /* everyone starts together: real contention */

static uint64_t next_random(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	return x;
}

/* Takes the locks of `mask` in increasing order, adds to their counters and
 * releases them in reverse order. */
static __attribute__((noinline)) void update_levels(unsigned mask, uint64_t amount)
{
	for (int i = 0; i < NLEVELS; i++) {
		if (mask & (1u << i))
			pthread_mutex_lock(&levels[i]); /* lg:take-level */
	}
	for (int i = 0; i < NLEVELS; i++) {
		if (mask & (1u << i))
			counters[i] += amount * (uint64_t)(i + 1);
	}
	for (int i = NLEVELS - 1; i >= 0; i--) {
		if (mask & (1u << i))
			pthread_mutex_unlock(&levels[i]);
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	pthread_setname_np(pthread_self(), w->name);
	pthread_barrier_wait(&start_line);
	for (int it = 0; it < ITERATIONS; it++) {
		uint64_t r = next_random(&w->rng);
		/* AND of two random masks: about four locks at a time. */
		unsigned mask = (unsigned)(r & (r >> 16)) & ((1u << NLEVELS) - 1);

		if (mask == 0)
			mask = 1u << (r >> 60);
		update_levels(mask, (uint64_t)w->index + 1);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t tid[NWORKERS];

	if (argc != 1) {
		fprintf(stderr, "usage: %s\n", argv[0]);
		return 2;
	}

	pthread_barrier_init(&start_line, NULL, NWORKERS);
	for (int i = 0; i < NWORKERS; i++) {
		struct worker *w = &workers[i];

		w->index = i;
		w->rng = 0x9e3779b97f4a7c15ull * (uint64_t)(i + 1);
		snprintf(w->name, sizeof(w->name), "worker-%d", i);
		int err = pthread_create(&tid[i], NULL, worker_main, w); /* lg:create */
		if (err != 0) {
			fprintf(stderr, "ordered_workers: pthread_create: %s\n", strerror(err));
			return 1;
		}
	}
	for (int i = 0; i < NWORKERS; i++)
		pthread_join(tid[i], NULL);
	pthread_barrier_destroy(&start_line);

	uint64_t checksum = 0;
	for (int i = 0; i < NLEVELS; i++)
		checksum = checksum * 31 + counters[i];
	printf("levels: %d, workers: %d, iterations: %d\n", NLEVELS, NWORKERS, ITERATIONS);
	printf("checksum: %llu\n", (unsigned long long)checksum);
	return 0;
}
