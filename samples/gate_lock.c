/* gate_lock: two clerks move stock between a warehouse and a shop, each
 * locking the place the stock leaves first.
 *
 * Verdict: BUGGY. One potential deadlock (lock-order inversion) between
 * warehouse_lock and shop_lock.
 *
 * restock() (thread "restocker") locks warehouse_lock, then shop_lock;
 * give_back() (thread "returner") locks shop_lock, then warehouse_lock. Had
 * both run at the same moment, each clerk could hold one lock and wait
 * forever for the other's. Here the clerks take turns (semaphores), so the
 * program always finishes, but both orders are taken by two threads that are
 * alive at the same time.
 *
 * --fixed: both clerks take gate_lock around the whole move (restock() and
 * give_back() themselves are unchanged, so the pair is still taken in
 * opposite orders). Whoever holds one of the pair holds gate_lock, so the
 * other clerk cannot be between its two lock calls at the same time: the
 * cycle can never close. Verdict: CLEAN (a cycle whose edges were all taken
 * while holding one common lock is not reported).
 *
 * Output (both variants):
 *   warehouse: 70, shop: 30
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define ROUNDS 3

static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;      /* serializes moves */
static pthread_mutex_t warehouse_lock = PTHREAD_MUTEX_INITIALIZER; /* protects warehouse */
static pthread_mutex_t shop_lock = PTHREAD_MUTEX_INITIALIZER;      /* protects shop */

static long warehouse = 100;
static long shop;
static bool fixed;

enum { RESTOCKER, RETURNER, NCLERKS };
static sem_t turn[NCLERKS];        /* the clerks take turns: no real deadlock */
static pthread_barrier_t all_done; /* neither leaves before the other is done */

/* The functions that take locks stay out of line so that stack traces (and
 * the tests that read them) name them at -O2. */

static __attribute__((noinline)) void restock(long amount)
{
	pthread_mutex_lock(&warehouse_lock); /* lg:restock-warehouse */
	pthread_mutex_lock(&shop_lock);      /* lg:restock-shop */
	warehouse -= amount;
	shop += amount;
	pthread_mutex_unlock(&shop_lock);
	pthread_mutex_unlock(&warehouse_lock);
}

/* The bug: the shop first, the opposite of restock(). */
static __attribute__((noinline)) void give_back(long amount)
{
	pthread_mutex_lock(&shop_lock);      /* lg:return-shop */
	pthread_mutex_lock(&warehouse_lock); /* lg:return-warehouse */
	shop -= amount;
	warehouse += amount;
	pthread_mutex_unlock(&warehouse_lock);
	pthread_mutex_unlock(&shop_lock);
}

/* The fix: one gate around every move that takes both locks. */
static __attribute__((noinline)) void gated(void (*move)(long), long amount)
{
	pthread_mutex_lock(&gate_lock); /* lg:gate */
	move(amount);
	pthread_mutex_unlock(&gate_lock);
}

static void *clerk_main(void *arg)
{
	int me = (int)(long)arg;
	void (*move)(long) = me == RESTOCKER ? restock : give_back;
	long amount = me == RESTOCKER ? 20 : 10;

	pthread_setname_np(pthread_self(), me == RESTOCKER ? "restocker" : "returner");
	for (int round = 0; round < ROUNDS; round++) {
		sem_wait(&turn[me]);
		if (fixed)
			gated(move, amount);
		else
			move(amount);
		sem_post(&turn[(me + 1) % NCLERKS]);
	}
	pthread_barrier_wait(&all_done);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t tid[NCLERKS];

	if (argc > 2 || (argc == 2 && strcmp(argv[1], "--fixed") != 0)) {
		fprintf(stderr, "usage: %s [--fixed]\n", argv[0]);
		return 2;
	}
	fixed = argc == 2;

	for (int i = 0; i < NCLERKS; i++)
		sem_init(&turn[i], 0, 0);
	pthread_barrier_init(&all_done, NULL, NCLERKS);

	/* Start both clerks before the first one works, so they overlap. */
	for (long i = 0; i < NCLERKS; i++) {
		int err = pthread_create(&tid[i], NULL, clerk_main, (void *)i); /* lg:create */
		if (err != 0) {
			fprintf(stderr, "gate_lock: pthread_create: %s\n", strerror(err));
			return 1;
		}
	}
	sem_post(&turn[RESTOCKER]);
	for (int i = 0; i < NCLERKS; i++)
		pthread_join(tid[i], NULL);

	printf("warehouse: %ld, shop: %ld\n", warehouse, shop);

	pthread_barrier_destroy(&all_done);
	for (int i = 0; i < NCLERKS; i++)
		sem_destroy(&turn[i]);
	return 0;
}
