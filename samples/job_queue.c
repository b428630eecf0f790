/* job_queue: a thread pool. Four producers push jobs into a bounded queue,
 * four workers pop them, and each job updates one of eight per-bucket
 * totals; a stats lock is taken inside the queue lock to count what passes
 * through.
 *
 * Verdict: CLEAN. The only nesting is queue_lock -> stats_lock, always in
 * that order, and workers never hold queue_lock while they work on a
 * bucket. Producers and workers sleep in pthread_cond_wait (which gives up
 * queue_lock while they sleep) whenever the queue is full or empty, so the
 * mutex changes hands many times under real contention: nothing may be
 * reported, and no thread waiting in a condition variable may be taken for
 * a holder of its mutex.
 *
 * The totals only add up, so the output does not depend on the schedule.
 *
 * Output:
 *   jobs: 40000, through the queue: 40000
 *   checksum: 800020000
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#define PRODUCERS 4
#define WORKERS   4
#define JOBS      10000 /* per producer */
#define CAPACITY  16
#define BUCKETS   8

static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER;
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t bucket_locks[BUCKETS] = {[0 ... BUCKETS - 1] = PTHREAD_MUTEX_INITIALIZER};

static uint64_t ring[CAPACITY];
static unsigned head, count, producers_left = PRODUCERS;
static uint64_t passed;          /* stats_lock */
static uint64_t totals[BUCKETS]; /* bucket_locks[i] */

/* noinline: the reports name these functions; keep them real frames. */
static __attribute__((noinline)) void push(uint64_t job)
{
	pthread_mutex_lock(&queue_lock); /* lg:push-queue */
	while (count == CAPACITY)
		pthread_cond_wait(&not_full, &queue_lock);
	ring[(head + count++) % CAPACITY] = job;
	pthread_mutex_lock(&stats_lock); /* lg:push-stats */
	passed++;
	pthread_mutex_unlock(&stats_lock);
	pthread_cond_signal(&not_empty);
	pthread_mutex_unlock(&queue_lock);
}

/* The next job, or 0 when every producer is done and the queue is empty. */
static __attribute__((noinline)) uint64_t pop(void)
{
	pthread_mutex_lock(&queue_lock); /* lg:pop-queue */
	while (count == 0 && producers_left > 0)
		pthread_cond_wait(&not_empty, &queue_lock);
	uint64_t job = 0;
	if (count > 0) {
		job = ring[head];
		head = (head + 1) % CAPACITY;
		count--;
		pthread_cond_signal(&not_full);
	}
	pthread_mutex_unlock(&queue_lock);
	return job;
}

static __attribute__((noinline)) void work(uint64_t job)
{
	unsigned b = (unsigned)(job % BUCKETS);
	pthread_mutex_lock(&bucket_locks[b]); /* lg:work-bucket */
	totals[b] += job;
	pthread_mutex_unlock(&bucket_locks[b]);
}

static void *producer_main(void *arg)
{
	uintptr_t index = (uintptr_t)arg;
	char name[16];
	snprintf(name, sizeof(name), "producer-%u", (unsigned)index);
	pthread_setname_np(pthread_self(), name);
	for (uint64_t i = 1; i <= JOBS; i++)
		push(index * JOBS + i);
	pthread_mutex_lock(&queue_lock); /* lg:producer-done */
	producers_left--;
	pthread_cond_broadcast(&not_empty);
	pthread_mutex_unlock(&queue_lock);
	return NULL;
}

static void *worker_main(void *arg)
{
	char name[16];
	snprintf(name, sizeof(name), "worker-%u", (unsigned)(uintptr_t)arg);
	pthread_setname_np(pthread_self(), name);
	for (uint64_t job; (job = pop()) != 0;)
		work(job);
	return NULL;
}

int main(void)
{
	pthread_t producers[PRODUCERS], workers[WORKERS];
	for (uintptr_t i = 0; i < WORKERS; i++)
		pthread_create(&workers[i], NULL, worker_main, (void *)i); /* lg:create-worker */
	for (uintptr_t i = 0; i < PRODUCERS; i++)
		pthread_create(&producers[i], NULL, producer_main,
		               (void *)i); /* lg:create-producer */
	for (int i = 0; i < PRODUCERS; i++)
		pthread_join(producers[i], NULL);
	for (int i = 0; i < WORKERS; i++)
		pthread_join(workers[i], NULL);
	uint64_t sum = 0;
	for (int i = 0; i < BUCKETS; i++)
		sum += totals[i];
	printf("jobs: %d, through the queue: %llu\n", PRODUCERS * JOBS, (unsigned long long)passed);
	printf("checksum: %llu\n", (unsigned long long)sum);
	return 0;
}
