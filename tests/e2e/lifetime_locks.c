/* lifetime_locks: the end-to-end tests' probe for locks taken outside main:
 * in constructors (the program's own, and those of libearly_locks.so, which
 * run before lockgraph is initialized), held from a constructor across main,
 * in an atexit handler, and in destructors after main returned (the
 * library's after lockgraph wrote the end of its trace).
 *
 * Verdict: CLEAN: every nested pair is taken in one order.
 *
 * Usage: lifetime_locks STATUS: exits with STATUS by returning from main.
 *
 * Output:
 *   main: early library constructed 1 time, boot lock taken 1 time
 *   main: released the locks the constructors kept
 *   main: returning STATUS
 *   atexit: took late_lock
 *   destructor: took late_lock and boot_lock
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "early_locks.h"

static pthread_mutex_t boot_lock = PTHREAD_MUTEX_INITIALIZER; /* protects boots */
static pthread_mutex_t kept_lock = PTHREAD_MUTEX_INITIALIZER; /* held from start-up into main */
static pthread_mutex_t main_lock = PTHREAD_MUTEX_INITIALIZER; /* protects counter */
static pthread_mutex_t late_lock = PTHREAD_MUTEX_INITIALIZER; /* protects counter at exit */

static int boots;
static long counter;

/* The program's constructors run after lockgraph's: these are recorded. */
__attribute__((constructor)) static void boot(void)
{
	pthread_mutex_lock(&boot_lock); /* lg:boot */
	boots++;
	pthread_mutex_unlock(&boot_lock);
}

__attribute__((constructor)) static void boot_keep(void)
{
	pthread_mutex_lock(&kept_lock); /* lg:boot-keep */
}

static void at_exit(void)
{
	pthread_mutex_lock(&late_lock); /* lg:atexit-late */
	counter++;
	pthread_mutex_unlock(&late_lock);
	printf("atexit: took late_lock\n");
}

/* After main returned and the atexit handler ran; before lockgraph's own
 * destructor (the program is finalized first). */
__attribute__((destructor)) static void shutdown_locks(void)
{
	pthread_mutex_lock(&late_lock); /* lg:dtor-late */
	pthread_mutex_lock(&boot_lock); /* lg:dtor-boot */
	counter++;
	pthread_mutex_unlock(&boot_lock);
	pthread_mutex_unlock(&late_lock);
	printf("destructor: took late_lock and boot_lock\n");
}

static __attribute__((noinline)) void work_while_kept(void)
{
	/* kept_lock is held since boot_keep(): kept_lock before main_lock. */
	pthread_mutex_lock(&main_lock); /* lg:main-under-kept */
	counter++;
	pthread_mutex_unlock(&main_lock);
	pthread_mutex_unlock(&kept_lock);
}

int main(int argc, char **argv)
{
	char *end;

	if (argc != 2) {
		fprintf(stderr, "usage: lifetime_locks STATUS\n");
		return 2;
	}
	long status = strtol(argv[1], &end, 10);
	if (end == argv[1] || *end != '\0' || status < 0 || status > 255) {
		fprintf(stderr, "lifetime_locks: bad status '%s' (want 0-255)\n", argv[1]);
		return 2;
	}
	atexit(at_exit);

	pthread_mutex_lock(&boot_lock); /* lg:main-boot */
	int n = boots;
	pthread_mutex_unlock(&boot_lock);
	printf("main: early library constructed %d time%s, boot lock taken %d time%s\n",
	       early_constructed(), early_constructed() == 1 ? "" : "s", n, n == 1 ? "" : "s");

	work_while_kept();
	early_release();
	printf("main: released the locks the constructors kept\n");
	printf("main: returning %ld\n", status);
	return (int)status;
}
