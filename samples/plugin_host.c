/* plugin_host: an order desk that loads an audit plugin with dlopen
 * (audit_plugin.so, built from samples/plugin/audit_plugin.c) and unloads it
 * with dlclose before it exits.
 *
 * Verdict: BUGGY. One potential deadlock (lock-order inversion) between
 * host_lock (this program's global) and plugin_lock (the plugin's global),
 * across the module boundary: the report names the plugin's lock and
 * functions from audit_plugin.so, although it was unloaded before the end.
 *
 * place_order() (thread "order-desk") locks host_lock and, holding it, calls
 * the plugin's audit_record(), which locks plugin_lock. The plugin's
 * audit_flush() (thread "auditor") locks plugin_lock and, holding it, calls
 * back into the host, order_count(), which locks host_lock: the opposite
 * order. The two threads take turns (semaphores), so they never hang.
 *
 * --fixed: the auditor calls audit_flush_fixed(), which asks the host before
 * it takes plugin_lock. Verdict: CLEAN.
 *
 * Usage: plugin_host [--fixed] [PLUGIN]; PLUGIN defaults to audit_plugin.so
 * next to this program.
 *
 * Output (both variants):
 *   plugin: loaded
 *   audit: flushed 1 entry after order 1
 *   audit: flushed 1 entry after order 2
 *   orders: 2, total 400, audited 2
 *   plugin: unloaded
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "plugin/audit_plugin.h"

#define ROUNDS 2

pthread_mutex_t host_lock = PTHREAD_MUTEX_INITIALIZER; /* protects orders, order_total */

static long orders;
static long order_total;
static const long amounts[ROUNDS] = {250, 150};
static int flushed[ROUNDS];

static struct {
	audit_init_fn *init;
	audit_record_fn *record;
	audit_flush_fn *flush;
	audit_entries_fn *entries;
} plugin;

enum { DESK, AUDITOR, NTHREADS };
static sem_t turn[NTHREADS];       /* the two take turns: no real deadlock */
static pthread_barrier_t all_done; /* neither leaves before the other is done */

/* The functions that take locks stay out of line so that stack traces (and
 * the tests that read them) name them at -O2. */

/* Holds host_lock while the plugin logs the order. */
static __attribute__((noinline)) void place_order(long amount)
{
	pthread_mutex_lock(&host_lock); /* lg:place-host */
	orders++;
	order_total += amount;
	plugin.record(orders, amount); /* lg:place-record */
	pthread_mutex_unlock(&host_lock);
}

/* The plugin's call back into the host. */
static __attribute__((noinline)) long order_count(long *total)
{
	pthread_mutex_lock(&host_lock); /* lg:count-host */
	long n = orders;
	*total = order_total;
	pthread_mutex_unlock(&host_lock);
	return n;
}

static const struct audit_host host_calls = {order_count};

static void *desk_main(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "order-desk");
	for (int round = 0; round < ROUNDS; round++) {
		sem_wait(&turn[DESK]);
		place_order(amounts[round]);
		sem_post(&turn[AUDITOR]);
	}
	pthread_barrier_wait(&all_done);
	return NULL;
}

static void *auditor_main(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "auditor");
	for (int round = 0; round < ROUNDS; round++) {
		sem_wait(&turn[AUDITOR]);
		flushed[round] = plugin.flush(); /* lg:auditor-flush */
		sem_post(&turn[DESK]);
	}
	pthread_barrier_wait(&all_done);
	return NULL;
}

/* audit_plugin.so in this program's directory. */
static bool default_plugin(char *out, size_t size)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return false;
	self[n] = 0;
	char *slash = strrchr(self, '/');
	if (!slash)
		return false;
	*slash = 0;
	return snprintf(out, size, "%s/audit_plugin.so", self) < (int)size;
}

static void *symbol(void *handle, const char *name)
{
	void *p = dlsym(handle, name);
	if (!p)
		fprintf(stderr, "plugin_host: %s: %s\n", name, dlerror());
	return p;
}

int main(int argc, char **argv)
{
	void *(*roles[NTHREADS])(void *) = {desk_main, auditor_main};
	pthread_t tid[NTHREADS];
	char path[PATH_MAX];
	bool fixed = false;
	int arg = 1;

	if (arg < argc && strcmp(argv[arg], "--fixed") == 0) {
		fixed = true;
		arg++;
	}
	if (argc - arg > 1 || (arg < argc && argv[arg][0] == '-')) {
		fprintf(stderr, "usage: %s [--fixed] [PLUGIN]\n", argv[0]);
		return 2;
	}
	if (arg < argc)
		snprintf(path, sizeof(path), "%s", argv[arg]);
	else if (!default_plugin(path, sizeof(path))) {
		fprintf(stderr, "plugin_host: cannot find my own directory\n");
		return 1;
	}

	void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL); /* lg:dlopen */
	if (!handle) {
		fprintf(stderr, "plugin_host: %s\n", dlerror());
		return 1;
	}
	plugin.init = (audit_init_fn *)symbol(handle, "audit_init");
	plugin.record = (audit_record_fn *)symbol(handle, "audit_record");
	plugin.flush =
	        (audit_flush_fn *)symbol(handle, fixed ? "audit_flush_fixed" : "audit_flush");
	plugin.entries = (audit_entries_fn *)symbol(handle, "audit_entries");
	if (!plugin.init || !plugin.record || !plugin.flush || !plugin.entries)
		return 1;
	plugin.init(&host_calls);
	printf("plugin: loaded\n");

	for (int i = 0; i < NTHREADS; i++)
		sem_init(&turn[i], 0, 0);
	pthread_barrier_init(&all_done, NULL, NTHREADS);
	/* Start both threads before either works, so they overlap. */
	for (int i = 0; i < NTHREADS; i++) {
		int err = pthread_create(&tid[i], NULL, roles[i], NULL); /* lg:create */
		if (err != 0) {
			fprintf(stderr, "plugin_host: pthread_create: %s\n", strerror(err));
			return 1;
		}
	}
	sem_post(&turn[DESK]);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(tid[i], NULL);

	for (int round = 0; round < ROUNDS; round++)
		printf("audit: flushed %d entr%s after order %d\n", flushed[round],
		       flushed[round] == 1 ? "y" : "ies", round + 1);
	printf("orders: %ld, total %ld, audited %ld\n", orders, order_total, plugin.entries());

	/* Unloaded before the end: the report must still name its code and lock. */
	if (dlclose(handle) != 0) { /* lg:dlclose */
		fprintf(stderr, "plugin_host: dlclose: %s\n", dlerror());
		return 1;
	}
	handle = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
	printf("plugin: %s\n", handle ? "still loaded" : "unloaded");

	pthread_barrier_destroy(&all_done);
	for (int i = 0; i < NTHREADS; i++)
		sem_destroy(&turn[i]);
	return 0;
}
