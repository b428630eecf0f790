/* self_relock: a request handler keeps latency statistics and logs the slow
 * requests; the first slow request hangs it.
 *
 * Verdict: STUCK. An actual deadlock of one thread on one lock: "handler"
 * waits for stats_lock, which it already holds. Without lockgraph the
 * program hangs forever at the third request (kill it); under lockgraph it is
 * stopped with status 66.
 *
 * update_stats() locks stats_lock and, for a slow request, calls log_stat(),
 * which locks stats_lock again: a normal (default) mutex is not recursive, so
 * the thread waits for itself. The path only runs for slow requests, so the
 * first two requests go through. The fix is a log_stat_locked() for callers
 * that already hold stats_lock (or a recursive mutex, which hides the design
 * problem instead).
 *
 * Output (then it hangs):
 *   request 1: 12 ms
 *   request 2: 8 ms
 *   request 3: 250 ms
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define SLOW_MS 100

static const long latencies_ms[] = {12, 8, 250, 9};

#define NREQUESTS (int)(sizeof(latencies_ms) / sizeof(latencies_ms[0]))

/* A normal mutex: statically initialized with the default type. */
static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER; /* protects stats */

static struct stats {
	long requests;
	long total_ms;
	long max_ms;
	long slow;
} stats;

/* The functions that take locks stay out of line so that stack traces (and
 * the tests that read them) name them at -O2. */

/* Public: writes the statistics to the log, after the request that made
 * the caller log them. Takes stats_lock itself. */
static __attribute__((noinline)) void log_stat(long request_ms)
{
	pthread_mutex_lock(&stats_lock); /* lg:log-relock */
	fprintf(stderr, "slow request (%ld ms): %ld requests, %ld ms, max %ld ms, %ld slow\n",
	        request_ms, stats.requests, stats.total_ms, stats.max_ms, stats.slow);
	pthread_mutex_unlock(&stats_lock);
}

/* The bug: logs a slow request while still holding stats_lock. */
static __attribute__((noinline)) void update_stats(long ms)
{
	pthread_mutex_lock(&stats_lock); /* lg:update-stats */
	stats.requests++;
	stats.total_ms += ms;
	if (ms > stats.max_ms)
		stats.max_ms = ms;
	if (ms > SLOW_MS) {
		stats.slow++;
		log_stat(ms);
	}
	pthread_mutex_unlock(&stats_lock);
}

static void *handler_main(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "handler");
	for (int i = 0; i < NREQUESTS; i++) {
		printf("request %d: %ld ms\n", i + 1, latencies_ms[i]);
		/* Flushed now: a program stopped by a deadlock never gets to
		 * flush stdout at exit. */
		fflush(stdout);
		update_stats(latencies_ms[i]);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t tid;

	if (argc != 1) {
		fprintf(stderr, "usage: %s\n", argv[0]);
		return 2;
	}

	int err = pthread_create(&tid, NULL, handler_main, NULL); /* lg:create */
	if (err != 0) {
		fprintf(stderr, "self_relock: pthread_create: %s\n", strerror(err));
		return 1;
	}
	pthread_join(tid, NULL);

	/* Never reached: the handler never returns. */
	printf("%ld requests, %ld slow\n", stats.requests, stats.slow);
	return 0;
}
