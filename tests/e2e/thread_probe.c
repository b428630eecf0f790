/* Threads that lockgraph must leave alone however they are made: a thread
 * with the smallest stack pthreads allows that uses most of it, a signal
 * handler on a small alternate stack that takes locks, and thousands of
 * short-lived threads one after another. Each prints what it computed, the
 * same with or without lockgraph.
 *
 *   thread_probe small-stack   a PTHREAD_STACK_MIN thread, 6 KiB of locals,
 *                              then two nested locks (one order: no finding)
 *   thread_probe altstack      SIGUSR1 handled on a small alternate stack
 *                              (MINSIGSTKSZ + 2 KiB, a guard page below),
 *                              locking two locks in the handler in the
 *                              order main takes them too
 *   thread_probe churn N       N threads, one at a time, each taking two
 *                              nested locks and exiting (half through
 *                              pthread_exit)
 */
#define _GNU_SOURCE
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static pthread_mutex_t outer = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t inner = PTHREAD_MUTEX_INITIALIZER;
static volatile unsigned long total;

static void nested(unsigned long v)
{
	pthread_mutex_lock(&outer);
	pthread_mutex_lock(&inner);
	total += v;
	pthread_mutex_unlock(&inner);
	pthread_mutex_unlock(&outer);
}

static void *use_small_stack(void *arg)
{
	(void)arg;
	/* Most of a 16 KiB stack is the program's own. */
	volatile unsigned char locals[6 * 1024];
	memset((unsigned char *)locals, 7, sizeof(locals));
	unsigned long sum = 0;
	for (size_t i = 0; i < sizeof(locals); i += 512)
		sum += locals[i];
	nested(sum);
	return NULL;
}

static int small_stack(void)
{
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	int rc = pthread_attr_setstacksize(&attr, PTHREAD_STACK_MIN);
	pthread_t t;
	if (rc == 0)
		rc = pthread_create(&t, &attr, use_small_stack, NULL);
	if (rc != 0) {
		printf("pthread_create: %s\n", strerror(rc));
		return 1;
	}
	pthread_join(t, NULL);
	printf("small stack: total %lu\n", total);
	return 0;
}

static void on_usr1(int sig)
{
	(void)sig;
	nested(1);
}

static int altstack(void)
{
	/* A guard page below the alternate stack: overflowing it faults
	 * instead of silently overwriting whatever lies below. */
	long page = sysconf(_SC_PAGESIZE);
	size_t size = ((MINSIGSTKSZ + 2048) + (size_t)page - 1) / (size_t)page * (size_t)page;
	char *mem = mmap(NULL, size + (size_t)page, PROT_READ | PROT_WRITE,
	                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	stack_t ss = {.ss_size = size};
	ss.ss_sp = mem == MAP_FAILED ? NULL : mem + page;
	if (!ss.ss_sp || mprotect(mem, (size_t)page, PROT_NONE) != 0 ||
	    sigaltstack(&ss, NULL) != 0) {
		perror("sigaltstack");
		return 1;
	}
	struct sigaction sa = {.sa_handler = on_usr1, .sa_flags = SA_ONSTACK};
	sigaction(SIGUSR1, &sa, NULL);
	for (int i = 0; i < 100; i++) {
		raise(SIGUSR1);
		nested(2);
	}
	printf("altstack: total %lu\n", total);
	return 0;
}

static void *short_lived(void *arg)
{
	long i = (long)arg;
	nested((unsigned long)i);
	if (i % 2)
		pthread_exit(NULL);
	return NULL;
}

static int churn(long n)
{
	for (long i = 0; i < n; i++) {
		pthread_t t;
		int rc = pthread_create(&t, NULL, short_lived, (void *)i);
		if (rc != 0) {
			printf("pthread_create: %s\n", strerror(rc));
			return 1;
		}
		pthread_join(t, NULL);
	}
	printf("churn %ld: total %lu\n", n, total);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "small-stack") == 0)
		return small_stack();
	if (argc >= 2 && strcmp(argv[1], "altstack") == 0)
		return altstack();
	if (argc >= 3 && strcmp(argv[1], "churn") == 0)
		return churn(atol(argv[2]));
	fprintf(stderr, "usage: %s small-stack|altstack|churn N\n", argv[0]);
	return 2;
}
