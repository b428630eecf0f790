/* config_reload: the unit test of a small thread-safe configuration module
 * with a cache derived from the configuration. The test itself is
 * single-threaded, like most unit tests of thread-safe libraries.
 *
 * Verdict: LATENT. One latent lock-order inversion between config_lock and
 * cache_lock ("latent": true, seen in one thread only).
 *
 * The startup path, load_config(), locks config_lock, then cache_lock. The
 * reload path, reload_config(), flushes the cache first: it locks cache_lock,
 * then config_lock. This test runs both paths in the main thread, so it
 * cannot deadlock as run; but a program that reloads its configuration in one
 * thread while another thread loads it would deadlock.
 *
 * --fixed: reload_config_fixed() locks config_lock first, like startup.
 * Verdict: CLEAN.
 *
 * Output (both variants):
 *   test_startup: ok
 *   test_reload: ok
 *   test_reload_twice: ok
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static pthread_mutex_t config_lock = PTHREAD_MUTEX_INITIALIZER; /* protects config */
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;  /* protects cache */

static struct config {
	int version;
	int cache_size;
} config;

static struct cache {
	int capacity;
	int entries;
	int built_for; /* config version the cache was built for */
} cache;

static bool fixed;

/* The functions that take locks stay out of line so that stack traces (and
 * the tests that read them) name them at -O2. */

static __attribute__((noinline)) void load_config(int version, int cache_size)
{
	pthread_mutex_lock(&config_lock); /* lg:startup-config */
	config.version = version;
	config.cache_size = cache_size;
	pthread_mutex_lock(&cache_lock); /* lg:startup-cache */
	cache.capacity = config.cache_size;
	cache.entries = 0;
	cache.built_for = config.version;
	pthread_mutex_unlock(&cache_lock);
	pthread_mutex_unlock(&config_lock);
}

/* The bug: flushes the cache first, so it takes cache_lock before
 * config_lock, the opposite of load_config(). */
static __attribute__((noinline)) void reload_config(int version, int cache_size)
{
	pthread_mutex_lock(&cache_lock); /* lg:reload-cache */
	cache.entries = 0;
	pthread_mutex_lock(&config_lock); /* lg:reload-config */
	config.version = version;
	config.cache_size = cache_size;
	cache.capacity = config.cache_size;
	cache.built_for = config.version;
	pthread_mutex_unlock(&config_lock);
	pthread_mutex_unlock(&cache_lock);
}

/* The fix: config_lock first, like load_config(). */
static __attribute__((noinline)) void reload_config_fixed(int version, int cache_size)
{
	pthread_mutex_lock(&config_lock); /* lg:reload-fixed-config */
	config.version = version;
	config.cache_size = cache_size;
	pthread_mutex_lock(&cache_lock); /* lg:reload-fixed-cache */
	cache.entries = 0;
	cache.capacity = config.cache_size;
	cache.built_for = config.version;
	pthread_mutex_unlock(&cache_lock);
	pthread_mutex_unlock(&config_lock);
}

static void cache_fill(int n)
{
	pthread_mutex_lock(&cache_lock); /* lg:cache-fill */
	cache.entries = n < cache.capacity ? n : cache.capacity;
	pthread_mutex_unlock(&cache_lock);
}

static bool cache_matches(int version, int capacity, int entries)
{
	pthread_mutex_lock(&cache_lock); /* lg:cache-check */
	bool ok = cache.built_for == version && cache.capacity == capacity &&
	          cache.entries == entries;
	pthread_mutex_unlock(&cache_lock);
	return ok;
}

static void do_reload(int version, int cache_size)
{
	if (fixed)
		reload_config_fixed(version, cache_size);
	else
		reload_config(version, cache_size);
}

static int failures;

static void report(const char *test, bool ok)
{
	printf("%s: %s\n", test, ok ? "ok" : "FAILED");
	if (!ok)
		failures++;
}

static void test_startup(void)
{
	load_config(1, 64);
	cache_fill(10);
	report("test_startup", cache_matches(1, 64, 10));
}

static void test_reload(void)
{
	load_config(1, 64);
	cache_fill(10);
	do_reload(2, 32);
	report("test_reload", cache_matches(2, 32, 0));
}

static void test_reload_twice(void)
{
	load_config(7, 128);
	do_reload(8, 32);
	cache_fill(100);
	do_reload(9, 16);
	cache_fill(100);
	report("test_reload_twice", cache_matches(9, 16, 16));
}

int main(int argc, char **argv)
{
	if (argc > 2 || (argc == 2 && strcmp(argv[1], "--fixed") != 0)) {
		fprintf(stderr, "usage: %s [--fixed]\n", argv[0]);
		return 2;
	}
	fixed = argc == 2;

	test_startup();
	test_reload();
	test_reload_twice();
	return failures == 0 ? 0 : 1;
}
