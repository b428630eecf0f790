/* single_thread_flip: a mail worker moves messages from the inbox to the
 * outbox, and bounces undeliverable ones back; one thread does both.
 *
 * Verdict: LATENT. One latent lock-order inversion between inbox_lock and
 * outbox_lock ("latent": true, "seen in one thread only"); it does not change
 * the exit status.
 *
 * deliver() locks inbox_lock, then outbox_lock; bounce() locks outbox_lock,
 * then inbox_lock. Only thread "mailer" runs them (one after the other), so
 * this run cannot deadlock; a second mailer thread would.
 *
 * --fixed: bounce_fixed() locks inbox_lock first, like deliver(). Verdict:
 * CLEAN.
 *
 * Output (both variants):
 *   inbox: 1, outbox: 1
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static pthread_mutex_t inbox_lock = PTHREAD_MUTEX_INITIALIZER;  /* protects inbox */
static pthread_mutex_t outbox_lock = PTHREAD_MUTEX_INITIALIZER; /* protects outbox */

static int inbox = 2;
static int outbox;
static bool fixed;

/* The functions that take locks stay out of line so that stack traces (and
 * the tests that read them) name them at -O2. */

static __attribute__((noinline)) void deliver(void)
{
	pthread_mutex_lock(&inbox_lock);  /* lg:deliver-inbox */
	pthread_mutex_lock(&outbox_lock); /* lg:deliver-outbox */
	inbox--;
	outbox++;
	pthread_mutex_unlock(&outbox_lock);
	pthread_mutex_unlock(&inbox_lock);
}

/* The bug: the outbox first, the opposite of deliver(). */
static __attribute__((noinline)) void bounce(void)
{
	pthread_mutex_lock(&outbox_lock); /* lg:bounce-outbox */
	pthread_mutex_lock(&inbox_lock);  /* lg:bounce-inbox */
	outbox--;
	inbox++;
	pthread_mutex_unlock(&inbox_lock);
	pthread_mutex_unlock(&outbox_lock);
}

/* The fix: the inbox first, like deliver(). */
static __attribute__((noinline)) void bounce_fixed(void)
{
	pthread_mutex_lock(&inbox_lock);  /* lg:fixed-inbox */
	pthread_mutex_lock(&outbox_lock); /* lg:fixed-outbox */
	outbox--;
	inbox++;
	pthread_mutex_unlock(&outbox_lock);
	pthread_mutex_unlock(&inbox_lock);
}

static void *mailer_main(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "mailer");
	deliver();
	deliver();
	if (fixed)
		bounce_fixed();
	else
		bounce();
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t tid;

	if (argc > 2 || (argc == 2 && strcmp(argv[1], "--fixed") != 0)) {
		fprintf(stderr, "usage: %s [--fixed]\n", argv[0]);
		return 2;
	}
	fixed = argc == 2;

	int err = pthread_create(&tid, NULL, mailer_main, NULL); /* lg:create */
	if (err != 0) {
		fprintf(stderr, "single_thread_flip: pthread_create: %s\n", strerror(err));
		return 1;
	}
	pthread_join(tid, NULL);
	printf("inbox: %d, outbox: %d\n", inbox, outbox);
	return 0;
}
