/* prefork_server: a pre-forking server. The master loads its configuration
 * and warms the cache, then forks two worker processes; in each worker a
 * "handler" thread serves requests while a "reloader" thread reloads the
 * configuration.
 *
 * Verdict: BUGGY. One potential deadlock (lock-order inversion) between
 * config_lock and cache_lock in each worker process: the same finding, seen
 * in 2 processes (the workers). The master has none.
 *
 * The master's start-up, warm_cache(), takes config_lock, then cache_lock,
 * before it forks. In each worker, serve_request() (thread "handler") takes
 * config_lock, then cache_lock, the same order, but reload_config() (thread
 * "reloader") takes cache_lock, then config_lock: a request and a reload at
 * the same moment could each hold one lock and wait forever for the other.
 * The two threads take turns (semaphores), so the workers always finish.
 * After fork each process has its own copy of every lock: the orders the
 * master took before forking are never part of a worker's cycle.
 *
 * --fixed: reload_config_fixed() takes config_lock first, like
 * serve_request(). One order everywhere: verdict CLEAN.
 *
 * --own-order: in the workers, the handler calls serve_request_cache_first()
 * instead, so both threads take cache_lock first: the reverse of the master's
 * start-up order. Each process has one order of its own, and orders in
 * different processes never meet: verdict CLEAN.
 *
 * Output (every variant):
 *   master: config version 1, cache warmed with 4 entries
 *   worker 1: 2 requests (1 hit, 1 miss), 2 reloads, config version 3
 *   worker 2: 2 requests (1 hit, 1 miss), 2 reloads, config version 3
 *   master: 2 workers exited cleanly
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define NWORKERS 2
#define ROUNDS   2

static pthread_mutex_t config_lock = PTHREAD_MUTEX_INITIALIZER; /* protects config */
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;  /* protects cache */

static struct {
	int version;
	int cache_size;
} config;

static struct {
	int entries;
	long hits, misses;
} cache;

enum variant { BUGGY, FIXED, OWN_ORDER };
static enum variant variant;

/* In a worker: the two threads take turns. */
enum { HANDLER, RELOADER, NTHREADS };
static sem_t turn[NTHREADS];
static pthread_barrier_t all_done; /* neither leaves before the other is done */
static int requests, reloads;

static const int request_keys[ROUNDS] = {1, 6};

/* The functions that take locks stay out of line so that stack traces (and
 * the tests that read them) name them at -O2. */

/* The master, at start-up: config first, then the cache it sizes. */
static __attribute__((noinline)) void warm_cache(void)
{
	pthread_mutex_lock(&config_lock); /* lg:warm-config */
	pthread_mutex_lock(&cache_lock);  /* lg:warm-cache */
	cache.entries = config.cache_size;
	pthread_mutex_unlock(&cache_lock);
	pthread_mutex_unlock(&config_lock);
}

/* Called with both locks held. */
static void look_up(int key)
{
	if (key < cache.entries) {
		cache.hits++;
	} else {
		cache.misses++;
		if (cache.entries < config.cache_size)
			cache.entries++;
	}
}

/* Called with both locks held. */
static void reload(void)
{
	config.version++;
	cache.entries = 0; /* the new configuration invalidates the cache */
}

/* A request reads the configuration, then the cache. */
static __attribute__((noinline)) void serve_request(int key)
{
	pthread_mutex_lock(&config_lock); /* lg:serve-config */
	pthread_mutex_lock(&cache_lock);  /* lg:serve-cache */
	look_up(key);
	pthread_mutex_unlock(&cache_lock);
	pthread_mutex_unlock(&config_lock);
}

/* --own-order: the cache first, like reload_config(). */
static __attribute__((noinline)) void serve_request_cache_first(int key)
{
	pthread_mutex_lock(&cache_lock);  /* lg:serve-own-cache */
	pthread_mutex_lock(&config_lock); /* lg:serve-own-config */
	look_up(key);
	pthread_mutex_unlock(&config_lock);
	pthread_mutex_unlock(&cache_lock);
}

/* The bug: empties the cache first, then changes the configuration: the
 * opposite of serve_request(). */
static __attribute__((noinline)) void reload_config(void)
{
	pthread_mutex_lock(&cache_lock);  /* lg:reload-cache */
	pthread_mutex_lock(&config_lock); /* lg:reload-config */
	reload();
	pthread_mutex_unlock(&config_lock);
	pthread_mutex_unlock(&cache_lock);
}

/* The fix: configuration first, like serve_request(). */
static __attribute__((noinline)) void reload_config_fixed(void)
{
	pthread_mutex_lock(&config_lock); /* lg:reload-fixed-config */
	pthread_mutex_lock(&cache_lock);  /* lg:reload-fixed-cache */
	reload();
	pthread_mutex_unlock(&cache_lock);
	pthread_mutex_unlock(&config_lock);
}

static void *handler_main(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "handler");
	for (int round = 0; round < ROUNDS; round++) {
		sem_wait(&turn[HANDLER]);
		if (variant == OWN_ORDER)
			serve_request_cache_first(request_keys[round]);
		else
			serve_request(request_keys[round]);
		requests++;
		sem_post(&turn[RELOADER]);
	}
	pthread_barrier_wait(&all_done);
	return NULL;
}

static void *reloader_main(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "reloader");
	for (int round = 0; round < ROUNDS; round++) {
		sem_wait(&turn[RELOADER]);
		if (variant == FIXED)
			reload_config_fixed();
		else
			reload_config();
		reloads++;
		sem_post(&turn[HANDLER]);
	}
	pthread_barrier_wait(&all_done);
	return NULL;
}

/* A worker process: runs its two threads, writes one line about them to
 * `out` (the master prints it) and exits. */
static void worker(int index, int out)
{
	void *(*roles[NTHREADS])(void *) = {handler_main, reloader_main};
	pthread_t tid[NTHREADS];

	for (int i = 0; i < NTHREADS; i++)
		sem_init(&turn[i], 0, 0);
	pthread_barrier_init(&all_done, NULL, NTHREADS);
	/* Start both threads before either works, so they overlap. */
	for (int i = 0; i < NTHREADS; i++) {
		int err = pthread_create(&tid[i], NULL, roles[i], NULL); /* lg:create */
		if (err != 0) {
			dprintf(out, "worker %d: pthread_create: %s\n", index, strerror(err));
			exit(1);
		}
	}
	sem_post(&turn[HANDLER]);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(tid[i], NULL);
	dprintf(out, "worker %d: %d requests (%ld hit, %ld miss), %d reloads, config version %d\n",
	        index, requests, cache.hits, cache.misses, reloads, config.version);
	exit(0);
}

/* Copies everything a worker wrote to its pipe to stdout. */
static void relay(int fd)
{
	char buf[256];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		fwrite(buf, 1, (size_t)n, stdout);
	}
}

int main(int argc, char **argv)
{
	pid_t pids[NWORKERS];
	int pipes[NWORKERS];

	if (argc > 2 ||
	    (argc == 2 && strcmp(argv[1], "--fixed") != 0 && strcmp(argv[1], "--own-order") != 0)) {
		fprintf(stderr, "usage: %s [--fixed | --own-order]\n", argv[0]);
		return 2;
	}
	variant = argc == 1 ? BUGGY : strcmp(argv[1], "--fixed") == 0 ? FIXED : OWN_ORDER;

	config.version = 1;
	config.cache_size = 4;
	warm_cache();
	printf("master: config version %d, cache warmed with %d entries\n", config.version,
	       cache.entries);
	/* Nothing buffered may be copied into the workers. */
	fflush(stdout);

	/* The workers run at the same time; each reports through its own
	 * pipe, so the output is in worker order. */
	for (int i = 0; i < NWORKERS; i++) {
		int fds[2];
		if (pipe(fds) != 0) {
			perror("prefork_server: pipe");
			return 1;
		}
		pids[i] = fork(); /* lg:fork */
		if (pids[i] < 0) {
			perror("prefork_server: fork");
			return 1;
		}
		if (pids[i] == 0) {
			close(fds[0]);
			for (int j = 0; j < i; j++)
				close(pipes[j]);
			worker(i + 1, fds[1]);
		}
		close(fds[1]);
		pipes[i] = fds[0];
	}

	int clean = 0;
	for (int i = 0; i < NWORKERS; i++) {
		int status;
		relay(pipes[i]);
		close(pipes[i]);
		while (waitpid(pids[i], &status, 0) < 0 && errno == EINTR)
			;
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			clean++;
		else
			printf("master: worker %d failed (status 0x%x)\n", i + 1, (unsigned)status);
	}
	printf("master: %d workers exited cleanly\n", clean);
	return clean == NWORKERS ? 0 : 1;
}
