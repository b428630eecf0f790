/* hot_lock: a price cache whose four workers refresh entries under one
 * global lock, and do the slow part (recomputing the price) while holding it.
 *
 * Verdict: CLEAN (no lock-order problem), but SLOW: the workers spend most of
 * their time waiting for cache_lock. `lockgraph run --profile` names
 * cache_lock and refresh_entry() as the lock and the call site responsible
 * for the waiting. With --fixed each worker refreshes only its own bucket
 * under that bucket's lock (bucket_locks[i]): nobody ever waits for one
 * (only stats_lock, taken once per worker at the end, may be busy).
 *
 * Known numbers of lock calls, for checking a profile:
 *   cache_lock (default): WORKERS x ROUNDS = 4 x 400 acquisitions, from
 *     refresh_entry()
 *   bucket_locks[i] (--fixed): ROUNDS = 400 acquisitions each, no waits
 *   stats_lock: WORKERS = 4 acquisitions, from report_done()
 *
 * Output (both variants):
 *   cache: 1600 refreshes, checksum 0x...  (the same with and without --fixed)
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define WORKERS 4
#define ROUNDS  400
#define ENTRIES 64
#define WORK    20000 /* rounds of mixing per refresh: the slow part */

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER; /* the whole cache */
static pthread_mutex_t bucket_locks[WORKERS];                  /* --fixed: one per bucket */
static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER; /* protects refreshes */

static uint64_t cache[WORKERS][ENTRIES];
static unsigned long refreshes;
static int fixed;

static uint64_t mix(uint64_t x)
{
	x ^= x >> 31;
	x *= 0x9e3779b97f4a7c15ULL;
	return x ^ (x >> 29);
}

/* Recomputes one entry's price: slow, and done under the lock. */
static void refresh_entry(int bucket, int entry, uint64_t seed)
{
	pthread_mutex_t *lock = fixed ? &bucket_locks[bucket] : &cache_lock;
	pthread_mutex_lock(lock); /* lg:refresh */
	uint64_t price = cache[bucket][entry] ^ seed;
	for (int k = 0; k < WORK; k++)
		price = mix(price + (uint64_t)k);
	cache[bucket][entry] = price;
	pthread_mutex_unlock(lock);
}

static void report_done(unsigned long n)
{
	pthread_mutex_lock(&stats_lock); /* lg:stats */
	refreshes += n;
	pthread_mutex_unlock(&stats_lock);
}

static void *worker(void *arg)
{
	int bucket = (int)(intptr_t)arg;
	char name[16];
	snprintf(name, sizeof(name), "refresher-%d", bucket);
	pthread_setname_np(pthread_self(), name);
	for (int r = 0; r < ROUNDS; r++)
		refresh_entry(bucket, r % ENTRIES, (uint64_t)r * WORKERS + (uint64_t)bucket);
	report_done(ROUNDS);
	return NULL;
}

int main(int argc, char **argv)
{
	fixed = argc > 1 && strcmp(argv[1], "--fixed") == 0;
	for (int i = 0; i < WORKERS; i++)
		pthread_mutex_init(&bucket_locks[i], NULL);
	pthread_t t[WORKERS];
	for (int i = 0; i < WORKERS; i++)
		pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i);
	for (int i = 0; i < WORKERS; i++)
		pthread_join(t[i], NULL);
	uint64_t sum = 0;
	for (int b = 0; b < WORKERS; b++)
		for (int e = 0; e < ENTRIES; e++)
			sum = mix(sum ^ cache[b][e]);
	printf("cache: %lu refreshes, checksum 0x%016llx\n", refreshes, (unsigned long long)sum);
	return 0;
}
