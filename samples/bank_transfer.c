/* bank_transfer: two tellers move money back and forth between two accounts.
 *
 * Verdict: BUGGY. One potential deadlock (lock-order inversion) between
 * accounts[0].lock and accounts[1].lock.
 *
 * transfer() locks the source account, then the destination. Teller
 * "teller-1" moves money from account 0 to account 1 while teller "teller-2"
 * moves money from account 1 to account 0, so the two threads take the same
 * two locks in opposite orders: had both transfers run at the same moment,
 * each teller could hold its source account and wait forever for the other's.
 * Here the tellers take turns (semaphores), so the program always finishes,
 * but both orders are taken by two threads that are alive at the same time.
 *
 * --fixed: transfer_ordered() locks the account with the lower id first,
 * whichever way the money moves. One global order: verdict CLEAN.
 *
 * Output (both variants):
 *   account 0: 910
 *   account 1: 1090
 *   total: 2000
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define NACCOUNTS 2
#define NTELLERS  2
#define ROUNDS    3

static struct account {
	long balance;
	int id;
	pthread_mutex_t lock; /* protects balance */
} accounts[NACCOUNTS];

struct teller {
	const char *name;
	int index; /* whose turn: turn[index] */
	int from, to;
	long amount;
};

static struct teller tellers[NTELLERS] = {
        {"teller-1", 0, 0, 1, 100},
        {"teller-2", 1, 1, 0, 70},
};

static bool fixed;
static sem_t turn[NTELLERS];       /* the tellers take turns: no real deadlock */
static pthread_barrier_t all_done; /* no teller leaves before the others are done */

/* The functions that take locks stay out of line so that stack traces (and
 * the tests that read them) name them at -O2. */

/* The bug: locks `from` first, so transfers in opposite directions lock the
 * two accounts in opposite orders. */
static __attribute__((noinline)) void transfer(struct account *from, struct account *to,
                                               long amount)
{
	pthread_mutex_lock(&from->lock); /* lg:take-from */
	pthread_mutex_lock(&to->lock);   /* lg:take-to */
	from->balance -= amount;
	to->balance += amount;
	pthread_mutex_unlock(&to->lock);
	pthread_mutex_unlock(&from->lock);
}

/* The fix: always lock the account with the lower id first. */
static __attribute__((noinline)) void transfer_ordered(struct account *from, struct account *to,
                                                       long amount)
{
	struct account *first = from->id < to->id ? from : to;
	struct account *second = from->id < to->id ? to : from;

	pthread_mutex_lock(&first->lock);  /* lg:take-lower */
	pthread_mutex_lock(&second->lock); /* lg:take-higher */
	from->balance -= amount;
	to->balance += amount;
	pthread_mutex_unlock(&second->lock);
	pthread_mutex_unlock(&first->lock);
}

static void *teller_main(void *arg)
{
	struct teller *t = arg;

	pthread_setname_np(pthread_self(), t->name);
	for (int round = 0; round < ROUNDS; round++) {
		sem_wait(&turn[t->index]);
		if (fixed)
			transfer_ordered(&accounts[t->from], &accounts[t->to], t->amount);
		else
			transfer(&accounts[t->from], &accounts[t->to], t->amount);
		sem_post(&turn[(t->index + 1) % NTELLERS]);
	}
	pthread_barrier_wait(&all_done);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t tid[NTELLERS];

	if (argc > 2 || (argc == 2 && strcmp(argv[1], "--fixed") != 0)) {
		fprintf(stderr, "usage: %s [--fixed]\n", argv[0]);
		return 2;
	}
	fixed = argc == 2;

	for (int i = 0; i < NACCOUNTS; i++) {
		accounts[i].id = i;
		accounts[i].balance = 1000;
		pthread_mutex_init(&accounts[i].lock, NULL);
	}
	for (int i = 0; i < NTELLERS; i++)
		sem_init(&turn[i], 0, 0);
	pthread_barrier_init(&all_done, NULL, NTELLERS);

	/* Start every teller before the first one works, so they overlap. */
	for (int i = 0; i < NTELLERS; i++) {
		int err = pthread_create(&tid[i], NULL, teller_main, &tellers[i]); /* lg:create */
		if (err != 0) {
			fprintf(stderr, "bank_transfer: pthread_create: %s\n", strerror(err));
			return 1;
		}
	}
	sem_post(&turn[0]);
	for (int i = 0; i < NTELLERS; i++)
		pthread_join(tid[i], NULL);

	long total = 0;
	for (int i = 0; i < NACCOUNTS; i++) {
		printf("account %d: %ld\n", accounts[i].id, accounts[i].balance);
		total += accounts[i].balance;
		pthread_mutex_destroy(&accounts[i].lock);
	}
	printf("total: %ld\n", total);

	pthread_barrier_destroy(&all_done);
	for (int i = 0; i < NTELLERS; i++)
		sem_destroy(&turn[i]);
	return 0;
}
