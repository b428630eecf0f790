/* spin_abba: a ring buffer with a spinlock for each end. A pusher appends
 * and updates the head; a trimmer drops from the tail and checks the head.
 *
 * Verdict: BUGGY. One potential deadlock (lock-order inversion) between
 * head_spin and tail_spin, two pthread spinlocks (lock kind "spinlock").
 *
 * push() (thread "pusher") locks head_spin, then tail_spin; trim() (thread
 * "trimmer") locks tail_spin, then head_spin. Had both run at the same
 * moment, each could hold one spinlock and spin forever waiting for the
 * other's. Here the two take turns (semaphores), so the program always
 * finishes, but both orders are taken by two threads that are alive at the
 * same time.
 *
 * --fixed: trim_fixed() locks head_spin first, like push(). Verdict: CLEAN.
 *
 * Output (both variants):
 *   round 1: 2 queued
 *   round 2: 4 queued
 *   round 3: 6 queued
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define ROUNDS 3

static pthread_spinlock_t head_spin; /* protects head */
static pthread_spinlock_t tail_spin; /* protects tail */

static long head, tail;
static bool fixed;

enum { PUSHER, TRIMMER, NTHREADS };
static sem_t turn[NTHREADS];       /* the two take turns: no real deadlock */
static pthread_barrier_t all_done; /* neither leaves before the other is done */

/* The functions that take locks stay out of line so that stack traces (and
 * the tests that read them) name them at -O2. */

static __attribute__((noinline)) void push(int n)
{
	pthread_spin_lock(&head_spin); /* lg:push-head */
	pthread_spin_lock(&tail_spin); /* lg:push-tail */
	head += n;
	pthread_spin_unlock(&tail_spin);
	pthread_spin_unlock(&head_spin);
}

/* The bug: the tail first, the opposite of push(). Drops one entry. */
static __attribute__((noinline)) long trim(void)
{
	pthread_spin_lock(&tail_spin); /* lg:trim-tail */
	pthread_spin_lock(&head_spin); /* lg:trim-head */
	if (tail < head)
		tail++;
	long queued = head - tail;
	pthread_spin_unlock(&head_spin);
	pthread_spin_unlock(&tail_spin);
	return queued;
}

/* The fix: the head first, like push(). */
static __attribute__((noinline)) long trim_fixed(void)
{
	pthread_spin_lock(&head_spin); /* lg:fixed-head */
	pthread_spin_lock(&tail_spin); /* lg:fixed-tail */
	if (tail < head)
		tail++;
	long queued = head - tail;
	pthread_spin_unlock(&tail_spin);
	pthread_spin_unlock(&head_spin);
	return queued;
}

static void *pusher_main(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "pusher");
	for (int round = 0; round < ROUNDS; round++) {
		sem_wait(&turn[PUSHER]);
		push(3);
		sem_post(&turn[TRIMMER]);
	}
	pthread_barrier_wait(&all_done);
	return NULL;
}

static void *trimmer_main(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "trimmer");
	for (int round = 0; round < ROUNDS; round++) {
		sem_wait(&turn[TRIMMER]);
		long queued = fixed ? trim_fixed() : trim();
		printf("round %d: %ld queued\n", round + 1, queued);
		sem_post(&turn[PUSHER]);
	}
	pthread_barrier_wait(&all_done);
	return NULL;
}

int main(int argc, char **argv)
{
	void *(*const mains[NTHREADS])(void *) = {pusher_main, trimmer_main};
	pthread_t tid[NTHREADS];

	if (argc > 2 || (argc == 2 && strcmp(argv[1], "--fixed") != 0)) {
		fprintf(stderr, "usage: %s [--fixed]\n", argv[0]);
		return 2;
	}
	fixed = argc == 2;

	pthread_spin_init(&head_spin, PTHREAD_PROCESS_PRIVATE);
	pthread_spin_init(&tail_spin, PTHREAD_PROCESS_PRIVATE);
	for (int i = 0; i < NTHREADS; i++)
		sem_init(&turn[i], 0, 0);
	pthread_barrier_init(&all_done, NULL, NTHREADS);

	/* Start both before the first one works, so they overlap. */
	for (int i = 0; i < NTHREADS; i++) {
		int err = pthread_create(&tid[i], NULL, mains[i], NULL); /* lg:create */
		if (err != 0) {
			fprintf(stderr, "spin_abba: pthread_create: %s\n", strerror(err));
			return 1;
		}
	}
	sem_post(&turn[PUSHER]);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(tid[i], NULL);

	pthread_barrier_destroy(&all_done);
	for (int i = 0; i < NTHREADS; i++)
		sem_destroy(&turn[i]);
	pthread_spin_destroy(&tail_spin);
	pthread_spin_destroy(&head_spin);
	return 0;
}
