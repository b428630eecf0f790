/* ordered_transfer: transfers between accounts lock both accounts, the one
 * at the lower address first, whichever way the money goes.
 *
 * Verdict: CLEAN, at both levels. The account locks are one class (all
 * created by account_open()), and a transfer holds two of them: nesting
 * within one class, ordered by address on every path, so no two accounts
 * are ever taken in both orders. (bank_transfer.c is the buggy version: it
 * locks the source account first.)
 *
 * Threads "payer" (transfers from 0 to 1, 2 to 3) and "refunder" (1 to 0,
 * 3 to 2) run at the same time.
 *
 * Output:
 *   balances: 100 100 100 100
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#define ACCOUNTS 4
#define ROUNDS   5

struct account {
	pthread_mutex_t lock;
	long balance;
};

static struct account accounts[ACCOUNTS];
static pthread_barrier_t both_started;

static __attribute__((noinline)) void account_open(struct account *a, long balance)
{
	pthread_mutex_init(&a->lock, NULL); /* lg:account-init */
	a->balance = balance;
}

static __attribute__((noinline)) void transfer(struct account *from, struct account *to,
                                               long amount)
{
	/* One order for any two accounts: by address. */
	struct account *first = (uintptr_t)from < (uintptr_t)to ? from : to;
	struct account *second = first == from ? to : from;
	pthread_mutex_lock(&first->lock);  /* lg:transfer-first */
	pthread_mutex_lock(&second->lock); /* lg:transfer-second */
	from->balance -= amount;
	to->balance += amount;
	pthread_mutex_unlock(&second->lock);
	pthread_mutex_unlock(&first->lock);
}

static void *payer(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "payer");
	pthread_barrier_wait(&both_started);
	for (int r = 0; r < ROUNDS; r++) {
		transfer(&accounts[0], &accounts[1], 10);
		transfer(&accounts[2], &accounts[3], 10);
	}
	return NULL;
}

static void *refunder(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "refunder");
	pthread_barrier_wait(&both_started);
	for (int r = 0; r < ROUNDS; r++) {
		transfer(&accounts[1], &accounts[0], 10);
		transfer(&accounts[3], &accounts[2], 10);
	}
	return NULL;
}

int main(void)
{
	for (int i = 0; i < ACCOUNTS; i++)
		account_open(&accounts[i], 100);
	pthread_barrier_init(&both_started, NULL, 2);
	pthread_t t, u;
	pthread_create(&t, NULL, payer, NULL);
	pthread_create(&u, NULL, refunder, NULL);
	pthread_join(t, NULL);
	pthread_join(u, NULL);
	printf("balances: %ld %ld %ld %ld\n", accounts[0].balance, accounts[1].balance,
	       accounts[2].balance, accounts[3].balance);
	return 0;
}
