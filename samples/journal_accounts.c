/* journal_accounts: deposits lock an account, then the journal to log the
 * deposit; an audit locks the journal, then an account to read its
 * balance.
 *
 * Verdict: BUGGY between lock classes (a potential deadlock with "scope":
 * "class"), CLEAN between objects. In this run the deposit thread only ever
 * touches accounts[1] and the audit thread only accounts[2]: no object is
 * taken in both orders, so an instance-level detector stays silent. But the
 * account locks are one class (all created by account_open()), and the two
 * code paths order that class and journal_lock oppositely: as soon as a
 * deposit and an audit meet on one account (any day in production), the
 * deposit holds the account and waits for the journal while the audit holds
 * the journal and waits for the account.
 *
 * deposit() (thread "teller"): accounts[1].lock, then journal_lock.
 * audit() (thread "auditor"): journal_lock, then accounts[2].lock.
 *
 * --fixed: audit() takes the account before the journal, the order deposit()
 * uses. Verdict: CLEAN at both levels.
 *
 * Output (both variants):
 *   balances: 100 300 300 400, audited 1200, journal: 8 entries
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define ACCOUNTS 4
#define ROUNDS   4

struct account {
	pthread_mutex_t lock;
	long balance;
};

static struct account accounts[ACCOUNTS];
static pthread_mutex_t journal_lock = PTHREAD_MUTEX_INITIALIZER;
static int journal_entries;
static long audited; /* the sum of the balances the audit read */
static bool fixed;
static pthread_barrier_t both_started; /* the threads overlap */

static __attribute__((noinline)) void account_open(struct account *a, long balance)
{
	pthread_mutex_init(&a->lock, NULL); /* lg:account-init */
	a->balance = balance;
}

static __attribute__((noinline)) void deposit(struct account *a, long amount)
{
	pthread_mutex_lock(&a->lock);      /* lg:deposit-account */
	pthread_mutex_lock(&journal_lock); /* lg:deposit-journal */
	a->balance += amount;
	journal_entries++;
	pthread_mutex_unlock(&journal_lock);
	pthread_mutex_unlock(&a->lock);
}

/* The bug: the journal first, the opposite of deposit(). */
static __attribute__((noinline)) long audit(struct account *a)
{
	long balance;
	if (fixed) {
		pthread_mutex_lock(&a->lock);      /* lg:audit-account-fixed */
		pthread_mutex_lock(&journal_lock); /* lg:audit-journal-fixed */
	} else {
		pthread_mutex_lock(&journal_lock); /* lg:audit-journal */
		pthread_mutex_lock(&a->lock);      /* lg:audit-account */
	}
	balance = a->balance;
	journal_entries++;
	pthread_mutex_unlock(&a->lock);
	pthread_mutex_unlock(&journal_lock);
	return balance;
}

static void *teller(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "teller");
	pthread_barrier_wait(&both_started);
	for (int r = 0; r < ROUNDS; r++)
		deposit(&accounts[1], 25);
	return NULL;
}

static void *auditor(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "auditor");
	pthread_barrier_wait(&both_started);
	long seen = 0;
	for (int r = 0; r < ROUNDS; r++)
		seen += audit(&accounts[2]);
	audited = seen;
	return NULL;
}

int main(int argc, char **argv)
{
	fixed = argc > 1 && strcmp(argv[1], "--fixed") == 0;
	for (int i = 0; i < ACCOUNTS; i++)
		account_open(&accounts[i], (i + 1) * 100);
	pthread_barrier_init(&both_started, NULL, 2);
	pthread_t t, u;
	pthread_create(&t, NULL, teller, NULL);
	pthread_create(&u, NULL, auditor, NULL);
	pthread_join(t, NULL);
	pthread_join(u, NULL);
	printf("balances: %ld %ld %ld %ld, audited %ld, journal: %d entries\n", accounts[0].balance,
	       accounts[1].balance, accounts[2].balance, accounts[3].balance, audited,
	       journal_entries);
	return 0;
}
