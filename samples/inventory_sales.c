/* inventory_sales: a shop whose cashier records sales while an auditor checks
 * that the books balance.
 *
 * Verdict: BUGGY. One potential deadlock (lock-order inversion) between
 * inventory_lock and sales_lock.
 *
 * record_sale() (thread "cashier") locks inventory_lock, then sales_lock.
 * audit_books() (thread "auditor") locks sales_lock, then inventory_lock.
 * A sale and an audit running at the same moment could each hold one lock
 * and wait forever for the other. Here the two threads take turns
 * (semaphores), so the program always finishes, but both orders are taken by
 * two threads that are alive at the same time.
 *
 * --fixed: audit_books_fixed() takes inventory_lock first, the same order as
 * record_sale(). Verdict: CLEAN.
 *
 * Output (both variants):
 *   audit 1: sold 5 items for 2350, in stock 55, books balance
 *   audit 2: sold 10 items for 4700, in stock 50, books balance
 *   sales refused: 2
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define NITEMS 3
#define ROUNDS 2

pthread_mutex_t inventory_lock = PTHREAD_MUTEX_INITIALIZER; /* protects stock */
pthread_mutex_t sales_lock = PTHREAD_MUTEX_INITIALIZER;     /* protects sold, revenue */

static const long initial_stock[NITEMS] = {20, 20, 20};
static const long price[NITEMS] = {300, 450, 650};
static long stock[NITEMS] = {20, 20, 20};
static long sold;
static long revenue;

struct audit {
	long sold, revenue, in_stock;
	bool balanced;
};

static struct audit audits[ROUNDS];
static int refused; /* sales refused for lack of stock; the cashier's own */
static bool fixed;

enum { CASHIER, AUDITOR, NTHREADS };
static sem_t turn[NTHREADS];       /* the two take turns: no real deadlock */
static pthread_barrier_t all_done; /* neither leaves before the other is done */

/* The functions that take locks stay out of line so that stack traces (and
 * the tests that read them) name them at -O2. */

static __attribute__((noinline)) bool record_sale(int item, long quantity)
{
	bool ok = false;

	pthread_mutex_lock(&inventory_lock); /* lg:sale-inventory */
	if (stock[item] >= quantity) {
		stock[item] -= quantity;
		pthread_mutex_lock(&sales_lock); /* lg:sale-sales */
		sold += quantity;
		revenue += quantity * price[item];
		pthread_mutex_unlock(&sales_lock);
		ok = true;
	}
	pthread_mutex_unlock(&inventory_lock);
	return ok;
}

/* Called with both locks held. */
static void count_books(struct audit *out)
{
	long in_stock = 0;
	long missing = 0;

	for (int i = 0; i < NITEMS; i++) {
		in_stock += stock[i];
		missing += initial_stock[i] - stock[i];
	}
	out->sold = sold;
	out->revenue = revenue;
	out->in_stock = in_stock;
	out->balanced = missing == sold;
}

/* The bug: sales first, the opposite of record_sale(). */
static __attribute__((noinline)) void audit_books(struct audit *out)
{
	pthread_mutex_lock(&sales_lock);     /* lg:audit-sales */
	pthread_mutex_lock(&inventory_lock); /* lg:audit-inventory */
	count_books(out);
	pthread_mutex_unlock(&inventory_lock);
	pthread_mutex_unlock(&sales_lock);
}

/* The fix: inventory first, like record_sale(). */
static __attribute__((noinline)) void audit_books_fixed(struct audit *out)
{
	pthread_mutex_lock(&inventory_lock); /* lg:audit-fixed-inventory */
	pthread_mutex_lock(&sales_lock);     /* lg:audit-fixed-sales */
	count_books(out);
	pthread_mutex_unlock(&sales_lock);
	pthread_mutex_unlock(&inventory_lock);
}

static void *cashier_main(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "cashier");
	for (int round = 0; round < ROUNDS; round++) {
		sem_wait(&turn[CASHIER]);
		refused += !record_sale(0, 2);
		refused += !record_sale(1, 1);
		refused += !record_sale(2, 2);
		refused += !record_sale(2, 100); /* more than in stock */
		sem_post(&turn[AUDITOR]);
	}
	pthread_barrier_wait(&all_done);
	return NULL;
}

static void *auditor_main(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "auditor");
	for (int round = 0; round < ROUNDS; round++) {
		sem_wait(&turn[AUDITOR]);
		if (fixed)
			audit_books_fixed(&audits[round]);
		else
			audit_books(&audits[round]);
		sem_post(&turn[CASHIER]);
	}
	pthread_barrier_wait(&all_done);
	return NULL;
}

int main(int argc, char **argv)
{
	void *(*roles[NTHREADS])(void *) = {cashier_main, auditor_main};
	pthread_t tid[NTHREADS];

	if (argc > 2 || (argc == 2 && strcmp(argv[1], "--fixed") != 0)) {
		fprintf(stderr, "usage: %s [--fixed]\n", argv[0]);
		return 2;
	}
	fixed = argc == 2;

	for (int i = 0; i < NTHREADS; i++)
		sem_init(&turn[i], 0, 0);
	pthread_barrier_init(&all_done, NULL, NTHREADS);

	/* Start both threads before either works, so they overlap. */
	for (int i = 0; i < NTHREADS; i++) {
		int err = pthread_create(&tid[i], NULL, roles[i], NULL); /* lg:create */
		if (err != 0) {
			fprintf(stderr, "inventory_sales: pthread_create: %s\n", strerror(err));
			return 1;
		}
	}
	sem_post(&turn[CASHIER]);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(tid[i], NULL);

	for (int round = 0; round < ROUNDS; round++) {
		const struct audit *a = &audits[round];
		printf("audit %d: sold %ld items for %ld, in stock %ld, %s\n", round + 1, a->sold,
		       a->revenue, a->in_stock,
		       a->balanced ? "books balance" : "BOOKS DO NOT BALANCE");
	}
	printf("sales refused: %d\n", refused);

	pthread_barrier_destroy(&all_done);
	for (int i = 0; i < NTHREADS; i++)
		sem_destroy(&turn[i]);
	return 0;
}
