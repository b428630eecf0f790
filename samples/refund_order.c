/* refund_order: transfers lock both accounts, the one at the lower address
 * first; refunds, written later by someone else, lock the account the money
 * comes from first.
 *
 * Verdict: BUGGY within one lock class (a potential deadlock with "scope":
 * "class", "within_class": true), CLEAN between objects. The account locks
 * are one class (all created by account_open()). In this run the transfers
 * take accounts 0 and 1, 0 and 2, 1 and 2, always the lower address first;
 * the one refund takes accounts[3] and then accounts[1], the higher address
 * first. No two accounts are taken in both orders, so an instance-level
 * detector stays silent; but as soon as a refund from 2 to 1 meets a
 * transfer between 1 and 2, the refund holds accounts[2] and waits for
 * accounts[1] while the transfer holds accounts[1] and waits for
 * accounts[2].
 *
 * transfer() (thread "payer"): lower address, then higher.
 * refund() (thread "refunder"): accounts[3].lock, then accounts[1].lock.
 *
 * --fixed: refund() orders the two accounts by address, as transfer() does.
 * Verdict: CLEAN at both levels.
 *
 * --serial: the refunder starts after the payer was joined. Verdict: LATENT
 * within the class (the threads never ran at the same time).
 *
 * Output (both variants):
 *   balances: 85 125 100 100
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define ACCOUNTS 4
#define ROUNDS   3

struct account {
	pthread_mutex_t lock;
	long balance;
};

static struct account accounts[ACCOUNTS];
static pthread_barrier_t both_started;
static bool fixed, serial;

static __attribute__((noinline)) void account_open(struct account *a, long balance)
{
	pthread_mutex_init(&a->lock, NULL); /* lg:account-init */
	a->balance = balance;
}

static void lock_by_address(struct account *x, struct account *y)
{
	struct account *first = (uintptr_t)x < (uintptr_t)y ? x : y;
	struct account *second = first == x ? y : x;
	pthread_mutex_lock(&first->lock);  /* lg:ordered-first */
	pthread_mutex_lock(&second->lock); /* lg:ordered-second */
}

static __attribute__((noinline)) void transfer(struct account *from, struct account *to,
                                               long amount)
{
	lock_by_address(from, to);
	from->balance -= amount;
	to->balance += amount;
	pthread_mutex_unlock(&to->lock);
	pthread_mutex_unlock(&from->lock);
}

static __attribute__((noinline)) void refund(struct account *from, struct account *to, long amount)
{
	if (fixed) {
		lock_by_address(from, to);
	} else {
		pthread_mutex_lock(&from->lock); /* lg:refund-first */
		pthread_mutex_lock(&to->lock);   /* lg:refund-second */
	}
	from->balance -= amount;
	to->balance += amount;
	pthread_mutex_unlock(&to->lock);
	pthread_mutex_unlock(&from->lock);
}

static void *payer(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "payer");
	pthread_barrier_wait(&both_started);
	for (int r = 0; r < ROUNDS; r++) {
		transfer(&accounts[0], &accounts[1], 10);
		transfer(&accounts[2], &accounts[0], 5);
		transfer(&accounts[1], &accounts[2], 5);
	}
	return NULL;
}

static void *refunder(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "refunder");
	pthread_barrier_wait(&both_started);
	refund(&accounts[3], &accounts[1], 10);
	return NULL;
}

int main(int argc, char **argv)
{
	fixed = argc > 1 && strcmp(argv[1], "--fixed") == 0;
	serial = argc > 1 && strcmp(argv[1], "--serial") == 0;
	for (int i = 0; i < ACCOUNTS; i++)
		account_open(&accounts[i], i == 3 ? 110 : 100);
	pthread_barrier_init(&both_started, NULL, serial ? 1 : 2);
	pthread_t t, u;
	pthread_create(&t, NULL, payer, NULL);
	if (serial)
		pthread_join(t, NULL);
	pthread_create(&u, NULL, refunder, NULL);
	if (!serial)
		pthread_join(t, NULL);
	pthread_join(u, NULL);
	printf("balances: %ld %ld %ld %ld\n", accounts[0].balance, accounts[1].balance,
	       accounts[2].balance, accounts[3].balance);
	return 0;
}
