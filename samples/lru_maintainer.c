/* lru_maintainer: an item cache in the style of memcached. Workers lock an
 * item, then the LRU list it is on; a maintainer walks each LRU list and,
 * holding the list, only *tries* each item's lock (skipping busy items). A
 * trylock never waits, so those thousands of opposite orders can never
 * deadlock. Separately, the worker updates the stats after taking the last
 * item, and the maintainer takes the stats first: a real inversion.
 *
 * Verdict: BUGGY. Exactly one potential deadlock, between item lock
 * items[ITEMS-1] (created at cache_init) and stats_lock; none of the
 * 8 x ITEMS trylock orders is reported, however many there are (they once
 * used up the cycle search's bounds and hid the real one).
 *
 * With --concurrent the maintainer runs while the worker does (some
 * trylocks then fail and are skipped); without it, after.
 *
 * --fixed: the maintainer takes the last item before the stats, as the
 * worker does. Verdict: CLEAN.
 *
 * Output (every variant):
 *   cache: 1024 items, 8 LRU lists, 8192 links
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LRUS  8
#define ITEMS 1024 /* 8 x 1024 trylock orders: far past the search's bounds */

static pthread_mutex_t *items;
static pthread_mutex_t lrus[LRUS];
static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static long links, stats;
static bool concurrent, fixed;
static pthread_barrier_t turn;

static __attribute__((noinline)) void cache_init(void)
{
	items = calloc(ITEMS, sizeof(*items));
	if (!items)
		abort();
	for (int i = 0; i < ITEMS; i++)
		pthread_mutex_init(&items[i], NULL); /* lg:item-init */
	for (int j = 0; j < LRUS; j++)
		pthread_mutex_init(&lrus[j], NULL);
}

/* Item, then its LRU list: the cache's order. */
static __attribute__((noinline)) void link_item(int i, int j)
{
	pthread_mutex_lock(&items[i]); /* lg:link-item */
	pthread_mutex_lock(&lrus[j]);  /* lg:link-lru */
	links++;
	pthread_mutex_unlock(&lrus[j]);
	pthread_mutex_unlock(&items[i]);
}

static __attribute__((noinline)) void count_last(void)
{
	pthread_mutex_lock(&items[ITEMS - 1]); /* lg:count-item */
	pthread_mutex_lock(&stats_lock);       /* lg:count-stats */
	stats++;
	pthread_mutex_unlock(&stats_lock);
	pthread_mutex_unlock(&items[ITEMS - 1]);
}

/* List, then *try* each item: never waits, never deadlocks. */
static __attribute__((noinline)) void crawl(int j)
{
	for (int i = 0; i < ITEMS; i++) {
		pthread_mutex_lock(&lrus[j]); /* lg:crawl-lru */
		if (pthread_mutex_trylock(&items[i]) == 0)
			pthread_mutex_unlock(&items[i]);
		pthread_mutex_unlock(&lrus[j]);
	}
}

/* The bug: the stats first, the opposite of count_last(). */
static __attribute__((noinline)) void sample_last(void)
{
	if (fixed) {
		pthread_mutex_lock(&items[ITEMS - 1]); /* lg:sample-item-fixed */
		pthread_mutex_lock(&stats_lock);       /* lg:sample-stats-fixed */
	} else {
		pthread_mutex_lock(&stats_lock);       /* lg:sample-stats */
		pthread_mutex_lock(&items[ITEMS - 1]); /* lg:sample-item */
	}
	stats++;
	pthread_mutex_unlock(&items[ITEMS - 1]);
	pthread_mutex_unlock(&stats_lock);
}

static void *worker(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "worker");
	for (int j = 0; j < LRUS; j++)
		for (int i = 0; i < ITEMS; i++)
			link_item(i, j);
	count_last();
	pthread_barrier_wait(&turn); /* the worker is done (the stats too) */
	pthread_barrier_wait(&turn); /* both stay alive until here */
	return NULL;
}

static void *maintainer(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "maintainer");
	if (!concurrent)
		pthread_barrier_wait(&turn);
	for (int j = 0; j < LRUS; j++)
		crawl(j);
	if (concurrent)
		pthread_barrier_wait(&turn);
	sample_last();
	pthread_barrier_wait(&turn);
	return NULL;
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		concurrent |= strcmp(argv[i], "--concurrent") == 0;
		fixed |= strcmp(argv[i], "--fixed") == 0;
	}
	cache_init();
	pthread_barrier_init(&turn, NULL, 2);
	void *(*roles[])(void *) = {worker, maintainer};
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, roles[i], NULL); /* lg:create */
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	printf("cache: %d items, %d LRU lists, %ld links\n", ITEMS, LRUS, links);
	return 0;
}
