/* transfer_deadlock: two clients send each other money at the same moment,
 * and the bank hangs.
 *
 * Verdict: STUCK. An actual deadlock between acct_lock[0] and acct_lock[1],
 * every run: without lockgraph the program hangs forever (kill it); under
 * lockgraph it is stopped with status 66 and the report names both threads,
 * the lock each one waits for, where it waits, and where it took the lock
 * the other one waits for.
 *
 * transfer() locks the sender's account, then the receiver's. "alice" sends
 * 100 from account 0 to account 1 while "bob" sends 70 from account 1 to
 * account 0: alice holds acct_lock[0] and waits for acct_lock[1], bob holds
 * acct_lock[1] and waits for acct_lock[0]. There is no timeout, so neither
 * ever gives up. A busy machine makes the two transfers meet now and then;
 * here a barrier between the two lock calls makes them meet every time.
 *
 * The same cycle is also a lock-order inversion (potential deadlock); it is
 * reported once, as the actual deadlock.
 *
 * Output (then it hangs):
 *   alice sends 100 to bob, bob sends 70 to alice
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define NACCOUNTS 2

/* acct_lock[i] protects balance[i]. */
static pthread_mutex_t acct_lock[NACCOUNTS] = {PTHREAD_MUTEX_INITIALIZER,
                                               PTHREAD_MUTEX_INITIALIZER};
static long balance[NACCOUNTS] = {1000, 1000};

struct client {
	const char *name;
	int from, to;
	long amount;
};

static struct client clients[] = {
        {"alice", 0, 1, 100},
        {"bob", 1, 0, 70},
};

#define NCLIENTS (int)(sizeof(clients) / sizeof(clients[0]))

/* Both clients hold their sender's account before either asks for the
 * receiver's: the unlucky schedule, every run. */
static pthread_barrier_t both_hold_one;

/* Stays out of line so that stack traces (and the tests that read them)
 * name it at -O2. */
static __attribute__((noinline)) void transfer(int from, int to, long amount)
{
	pthread_mutex_lock(&acct_lock[from]); /* lg:take-from */
	pthread_barrier_wait(&both_hold_one);
	pthread_mutex_lock(&acct_lock[to]); /* lg:take-to */
	balance[from] -= amount;
	balance[to] += amount;
	pthread_mutex_unlock(&acct_lock[to]);
	pthread_mutex_unlock(&acct_lock[from]);
}

static void *client_main(void *arg)
{
	struct client *c = arg;

	pthread_setname_np(pthread_self(), c->name);
	transfer(c->from, c->to, c->amount);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t tid[NCLIENTS];

	if (argc != 1) {
		fprintf(stderr, "usage: %s\n", argv[0]);
		return 2;
	}

	printf("alice sends 100 to bob, bob sends 70 to alice\n");
	/* Flushed now: a program stopped by a deadlock never gets to flush
	 * stdout at exit. */
	fflush(stdout);

	pthread_barrier_init(&both_hold_one, NULL, NCLIENTS);
	for (int i = 0; i < NCLIENTS; i++) {
		int err = pthread_create(&tid[i], NULL, client_main, &clients[i]); /* lg:create */
		if (err != 0) {
			fprintf(stderr, "transfer_deadlock: pthread_create: %s\n", strerror(err));
			return 1;
		}
	}
	for (int i = 0; i < NCLIENTS; i++)
		pthread_join(tid[i], NULL);

	/* Never reached: the clients never return. */
	for (int i = 0; i < NACCOUNTS; i++)
		printf("account %d: %ld\n", i, balance[i]);
	pthread_barrier_destroy(&both_hold_one);
	return 0;
}
