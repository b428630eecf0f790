/* The workloads of lockgraph's benchmark (run_bench.py runs each natively,
 * under lockgraph, built with ThreadSanitizer, and under Helgrind). Each is
 * `bench CASE N`: N scales the work; the output is a checksum, the same
 * whatever runs it, so a tool that changes results is caught.
 *
 *   uncontended N   one thread, lock/unlock one mutex N times
 *   contended N     two threads, N lock/unlock each on one mutex
 *   nested N        two threads, N times each: lock A, lock B, unlock both
 *                   (both in the same order: no finding)
 *   chain N         one thread walks 1,000 locks N times, holding lock i
 *                   while it takes lock i+1 (999 edges, no cycle)
 *   distinct N      N distinct mutexes, each initialized, locked and unlocked
 *                   once; then two threads invert two of them (one finding)
 *   readers N       two threads, N read locks each on one rwlock
 *   job_queue N     a thread pool: 2 producers, 2 workers, a bounded queue with
 *                   condition variables, per-job work, N jobs in all
 *   hash_table N    4 threads, N operations each on a 256-bucket hash table
 *                   with a lock per bucket, hashing and probing between locks
 *   edges N [FIRST [invert]]
 *                   one thread creates N distinct lock-order edges among
 *                   locks FIRST..FIRST+N and exits (traces for the reporter's
 *                   benchmark; processes given different FIRSTs add up to one
 *                   long graph); with "invert" it then takes lock FIRST+1
 *                   before lock FIRST: one inversion to report
 *   deadlock N      N pairs of threads, each pair taking its two locks in
 *                   opposite orders after a barrier: a real deadlock that
 *                   hangs forever unless a tool ends it (detection latency)
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long n;
static volatile uint64_t sink;

static pthread_mutex_t one = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t pair_a = PTHREAD_MUTEX_INITIALIZER, pair_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t table_lock = PTHREAD_RWLOCK_INITIALIZER;

static uint64_t mix(uint64_t x)
{
	x ^= x >> 31;
	x *= 0x9e3779b97f4a7c15ULL;
	return x ^ (x >> 29);
}

static void run_threads(int count, void *(*fn)(void *))
{
	pthread_t t[8];
	for (long i = 0; i < count; i++)
		pthread_create(&t[i], NULL, fn, (void *)i);
	for (int i = 0; i < count; i++)
		pthread_join(t[i], NULL);
}

static uint64_t uncontended(void)
{
	uint64_t sum = 0;
	for (long i = 0; i < n; i++) {
		pthread_mutex_lock(&one);
		sum += (uint64_t)i;
		pthread_mutex_unlock(&one);
	}
	return sum;
}

static uint64_t shared_sum;

static void *contend(void *arg)
{
	(void)arg;
	for (long i = 0; i < n; i++) {
		pthread_mutex_lock(&one);
		shared_sum++;
		pthread_mutex_unlock(&one);
	}
	return NULL;
}

static void *nest(void *arg)
{
	(void)arg;
	for (long i = 0; i < n; i++) {
		pthread_mutex_lock(&pair_a);
		pthread_mutex_lock(&pair_b);
		shared_sum++;
		pthread_mutex_unlock(&pair_b);
		pthread_mutex_unlock(&pair_a);
	}
	return NULL;
}

#define CHAIN 1000
static pthread_mutex_t chain_locks[CHAIN];

static uint64_t chain(void)
{
	for (int i = 0; i < CHAIN; i++)
		pthread_mutex_init(&chain_locks[i], NULL);
	uint64_t sum = 0;
	for (long round = 0; round < n; round++) {
		pthread_mutex_lock(&chain_locks[0]);
		for (int i = 1; i < CHAIN; i++) {
			pthread_mutex_lock(&chain_locks[i]);
			pthread_mutex_unlock(&chain_locks[i - 1]);
			sum += (uint64_t)i;
		}
		pthread_mutex_unlock(&chain_locks[CHAIN - 1]);
	}
	return sum;
}

static pthread_mutex_t *many;
static sem_t turn;

static void *invert(void *arg)
{
	long second = (long)arg;
	if (second)
		sem_wait(&turn);
	pthread_mutex_t *x = &many[second ? n - 1 : 0], *y = &many[second ? 0 : n - 1];
	pthread_mutex_lock(x);
	pthread_mutex_lock(y);
	shared_sum++;
	pthread_mutex_unlock(y);
	pthread_mutex_unlock(x);
	if (!second)
		sem_post(&turn);
	return NULL;
}

static uint64_t distinct(void)
{
	many = calloc((size_t)n, sizeof(*many));
	if (!many)
		return 0;
	for (long i = 0; i < n; i++) {
		pthread_mutex_init(&many[i], NULL);
		pthread_mutex_lock(&many[i]);
		pthread_mutex_unlock(&many[i]);
	}
	sem_init(&turn, 0, 0);
	run_threads(2, invert);
	for (long i = 0; i < n; i++)
		pthread_mutex_destroy(&many[i]);
	free(many);
	return shared_sum + (uint64_t)n;
}

static void *read_table(void *arg)
{
	uint64_t sum = 0;
	for (long i = 0; i < n; i++) {
		pthread_rwlock_rdlock(&table_lock);
		sum += mix((uint64_t)i + (uint64_t)(long)arg);
		pthread_rwlock_unlock(&table_lock);
	}
	sink += sum;
	return NULL;
}

/* ---- job queue ---- */

#define QUEUE 32
static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t queue_nonempty = PTHREAD_COND_INITIALIZER;
static pthread_cond_t queue_nonfull = PTHREAD_COND_INITIALIZER;
static uint64_t queue[QUEUE];
static int queue_head, queue_count, producers_left = 2;
static pthread_mutex_t results_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t results;

static void *producer(void *arg)
{
	for (long i = 0; i < n / 2; i++) {
		pthread_mutex_lock(&queue_lock);
		while (queue_count == QUEUE)
			pthread_cond_wait(&queue_nonfull, &queue_lock);
		queue[(queue_head + queue_count++) % QUEUE] = (uint64_t)i * 2 + (uint64_t)(long)arg;
		pthread_cond_signal(&queue_nonempty);
		pthread_mutex_unlock(&queue_lock);
	}
	pthread_mutex_lock(&queue_lock);
	producers_left--;
	pthread_cond_broadcast(&queue_nonempty);
	pthread_mutex_unlock(&queue_lock);
	return NULL;
}

static void *worker(void *arg)
{
	(void)arg;
	for (;;) {
		pthread_mutex_lock(&queue_lock);
		while (queue_count == 0 && producers_left > 0)
			pthread_cond_wait(&queue_nonempty, &queue_lock);
		if (queue_count == 0) {
			pthread_mutex_unlock(&queue_lock);
			return NULL;
		}
		uint64_t job = queue[queue_head];
		queue_head = (queue_head + 1) % QUEUE;
		queue_count--;
		pthread_cond_signal(&queue_nonfull);
		pthread_mutex_unlock(&queue_lock);
		/* The job itself: real work between lock calls. */
		uint64_t r = job;
		for (int k = 0; k < 2000; k++)
			r = mix(r + (uint64_t)k);
		pthread_mutex_lock(&results_lock);
		results += r & 0xffff;
		pthread_mutex_unlock(&results_lock);
	}
}

static void *job_thread(void *arg)
{
	long i = (long)arg;
	return i < 2 ? producer((void *)i) : worker(NULL);
}

/* ---- hash table ---- */

#define BUCKETS 256
#define SLOTS   64
static pthread_mutex_t bucket_locks[BUCKETS];
static uint64_t buckets[BUCKETS][SLOTS];

static void *hash_worker(void *arg)
{
	uint64_t seed = (uint64_t)(long)arg + 1, found = 0;
	for (long i = 0; i < n; i++) {
		uint64_t key = mix(seed + (uint64_t)i);
		/* Hashing and probing outside the lock: real work. */
		uint64_t h = key;
		for (int k = 0; k < 200; k++)
			h = mix(h);
		unsigned b = (unsigned)(h % BUCKETS);
		pthread_mutex_lock(&bucket_locks[b]);
		uint64_t *slot = &buckets[b][key % SLOTS];
		if (*slot == key)
			found++;
		*slot = key;
		pthread_mutex_unlock(&bucket_locks[b]);
	}
	sink += found;
	return NULL;
}

static uint64_t hash_table(void)
{
	for (int i = 0; i < BUCKETS; i++)
		pthread_mutex_init(&bucket_locks[i], NULL);
	run_threads(4, hash_worker);
	uint64_t sum = 0;
	for (int i = 0; i < BUCKETS; i++)
		for (int k = 0; k < SLOTS; k++)
			sum += buckets[i][k] & 1;
	return sum;
}

#define EDGE_LOCKS (1 << 17)

static uint64_t edges(long first, bool invert)
{
	/* Lock i held while taking lock i+1: N distinct edges, two at a time. */
	static pthread_mutex_t locks[EDGE_LOCKS];
	if (first < 0 || first + n >= EDGE_LOCKS)
		return 0;
	for (long i = first; i <= first + n; i++)
		pthread_mutex_init(&locks[i], NULL);
	for (long i = first; i < first + n; i++) {
		pthread_mutex_lock(&locks[i]);
		pthread_mutex_lock(&locks[i + 1]);
		pthread_mutex_unlock(&locks[i + 1]);
		pthread_mutex_unlock(&locks[i]);
	}
	if (invert) {
		pthread_mutex_lock(&locks[first + 1]);
		pthread_mutex_lock(&locks[first]);
		pthread_mutex_unlock(&locks[first]);
		pthread_mutex_unlock(&locks[first + 1]);
	}
	return (uint64_t)n;
}

#define MAX_PAIRS 4
static pthread_mutex_t pair_locks[MAX_PAIRS][2];
static pthread_barrier_t all_hold_one;

static void *take_pair(void *arg)
{
	long t = (long)arg, pair = t / 2, first = t % 2;
	pthread_mutex_lock(&pair_locks[pair][first]);
	pthread_barrier_wait(&all_hold_one);
	pthread_mutex_lock(&pair_locks[pair][!first]); /* every thread blocks here */
	pthread_mutex_unlock(&pair_locks[pair][!first]);
	pthread_mutex_unlock(&pair_locks[pair][first]);
	return NULL;
}

static uint64_t deadlock(void)
{
	int threads = 2 * (int)(n < MAX_PAIRS ? n : MAX_PAIRS);
	for (int p = 0; p < MAX_PAIRS; p++)
		for (int k = 0; k < 2; k++)
			pthread_mutex_init(&pair_locks[p][k], NULL);
	pthread_barrier_init(&all_hold_one, NULL, (unsigned)threads);
	run_threads(threads, take_pair);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3 || argc > 5 || (n = atol(argv[2])) <= 0) {
		fprintf(stderr, "usage: %s CASE N [FIRST [invert]]\n", argv[0]);
		return 2;
	}
	const char *c = argv[1];
	uint64_t result;
	if (strcmp(c, "uncontended") == 0) {
		result = uncontended();
	} else if (strcmp(c, "contended") == 0) {
		run_threads(2, contend);
		result = shared_sum;
	} else if (strcmp(c, "nested") == 0) {
		run_threads(2, nest);
		result = shared_sum;
	} else if (strcmp(c, "chain") == 0) {
		result = chain();
	} else if (strcmp(c, "distinct") == 0) {
		result = distinct();
	} else if (strcmp(c, "readers") == 0) {
		run_threads(2, read_table);
		result = sink;
	} else if (strcmp(c, "job_queue") == 0) {
		run_threads(4, job_thread);
		result = results;
	} else if (strcmp(c, "hash_table") == 0) {
		result = hash_table();
	} else if (strcmp(c, "edges") == 0) {
		result = edges(argc >= 4 ? atol(argv[3]) : 0,
		               argc == 5 && strcmp(argv[4], "invert") == 0);
	} else if (strcmp(c, "deadlock") == 0) {
		result = deadlock();
	} else {
		fprintf(stderr, "%s: unknown case '%s'\n", argv[0], c);
		return 2;
	}
	printf("%s %ld: %llu\n", c, n, (unsigned long long)result);
	return 0;
}
