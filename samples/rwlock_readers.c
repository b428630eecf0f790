/* rwlock_readers: a small search engine. A searcher looks keys up in the
 * index, then reads the documents; a scanner walks the documents, then checks
 * them against the index. Both guard their data with rwlocks.
 *
 * Verdict: CLEAN. search() (thread "searcher") read-locks index_lock, then
 * data_lock; scan() (thread "scanner") read-locks data_lock, then index_lock:
 * opposite orders, but readers never block readers, so no schedule can make
 * them wait for each other (read/read does not conflict).
 *
 * --writer: the look-alike that is a bug. Each thread takes its second lock
 * for writing (the searcher counts hits in the documents, the scanner marks
 * stale index entries). Now each lock is held for reading by one thread and
 * wanted for writing by the other: had both run at the same moment, each
 * would wait forever for the other's read lock to go. Verdict: BUGGY, one
 * potential deadlock between index_lock and data_lock, both edges held in
 * "read" mode and wanted in "write" mode. The threads take turns
 * (semaphores), so the program always finishes.
 *
 * --one-writer: only the searcher writes (data_lock); the scanner reads both.
 * data_lock conflicts (held for reading, wanted for writing), but index_lock
 * does not (read by both), and a cycle needs a conflict on every lock: the
 * scanner always gets its read lock on index_lock, finishes, and lets the
 * searcher through. Verdict: CLEAN.
 *
 * Output (every variant):
 *   search 1: key 3 -> 30
 *   scan 1: 8 documents, 8 indexed
 *   search 2: key 5 -> 50
 *   scan 2: 8 documents, 8 indexed
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define NDOCS  8
#define ROUNDS 2

static pthread_rwlock_t index_lock = PTHREAD_RWLOCK_INITIALIZER; /* protects index */
static pthread_rwlock_t data_lock = PTHREAD_RWLOCK_INITIALIZER;  /* protects docs */

static int index_of[NDOCS]; /* key -> document */
static bool stale[NDOCS];
static struct doc {
	long value;
	long hits;
} docs[NDOCS];

/* Which locks are taken for writing. */
static bool search_writes_data, scan_writes_index;

enum { SEARCHER, SCANNER, NTHREADS };
static sem_t turn[NTHREADS];       /* the two take turns: no real deadlock */
static pthread_barrier_t all_done; /* neither leaves before the other is done */

/* The functions that take locks stay out of line so that stack traces (and
 * the tests that read them) name them at -O2. */

static __attribute__((noinline)) long search(int key)
{
	pthread_rwlock_rdlock(&index_lock); /* lg:search-index */
	int d = index_of[key];
	if (search_writes_data)
		pthread_rwlock_wrlock(&data_lock); /* lg:search-data-write */
	else
		pthread_rwlock_rdlock(&data_lock); /* lg:search-data-read */
	long value = docs[d].value;
	if (search_writes_data)
		docs[d].hits++;
	pthread_rwlock_unlock(&data_lock);
	pthread_rwlock_unlock(&index_lock);
	return value;
}

/* Counts the documents and how many of them the index points to. */
static __attribute__((noinline)) int scan(int *indexed)
{
	int count = 0;

	pthread_rwlock_rdlock(&data_lock); /* lg:scan-data */
	for (int d = 0; d < NDOCS; d++)
		count += docs[d].value != 0;
	if (scan_writes_index)
		pthread_rwlock_wrlock(&index_lock); /* lg:scan-index-write */
	else
		pthread_rwlock_rdlock(&index_lock); /* lg:scan-index-read */
	*indexed = 0;
	for (int k = 0; k < NDOCS; k++) {
		bool ok = docs[index_of[k]].value == (k + 1) * 10L;
		if (scan_writes_index)
			stale[k] = !ok;
		*indexed += ok;
	}
	pthread_rwlock_unlock(&index_lock);
	pthread_rwlock_unlock(&data_lock);
	return count;
}

static void *searcher_main(void *arg)
{
	static const int keys[ROUNDS] = {2, 4};

	(void)arg;
	pthread_setname_np(pthread_self(), "searcher");
	for (int round = 0; round < ROUNDS; round++) {
		sem_wait(&turn[SEARCHER]);
		long value = search(keys[round]);
		printf("search %d: key %d -> %ld\n", round + 1, keys[round] + 1, value);
		sem_post(&turn[SCANNER]);
	}
	pthread_barrier_wait(&all_done);
	return NULL;
}

static void *scanner_main(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "scanner");
	for (int round = 0; round < ROUNDS; round++) {
		int indexed;

		sem_wait(&turn[SCANNER]);
		int count = scan(&indexed);
		printf("scan %d: %d documents, %d indexed\n", round + 1, count, indexed);
		sem_post(&turn[SEARCHER]);
	}
	pthread_barrier_wait(&all_done);
	return NULL;
}

int main(int argc, char **argv)
{
	void *(*const mains[NTHREADS])(void *) = {searcher_main, scanner_main};
	pthread_t tid[NTHREADS];

	if (argc > 2 || (argc == 2 && strcmp(argv[1], "--writer") != 0 &&
	                 strcmp(argv[1], "--one-writer") != 0)) {
		fprintf(stderr, "usage: %s [--writer | --one-writer]\n", argv[0]);
		return 2;
	}
	search_writes_data = argc == 2;
	scan_writes_index = argc == 2 && strcmp(argv[1], "--writer") == 0;

	/* Document d holds key NDOCS-1-d, whose value is (key+1)*10. */
	for (int k = 0; k < NDOCS; k++) {
		index_of[k] = NDOCS - 1 - k;
		docs[NDOCS - 1 - k].value = (k + 1) * 10L;
	}
	for (int i = 0; i < NTHREADS; i++)
		sem_init(&turn[i], 0, 0);
	pthread_barrier_init(&all_done, NULL, NTHREADS);

	/* Start both before the first one works, so they overlap. */
	for (int i = 0; i < NTHREADS; i++) {
		int err = pthread_create(&tid[i], NULL, mains[i], NULL); /* lg:create */
		if (err != 0) {
			fprintf(stderr, "rwlock_readers: pthread_create: %s\n", strerror(err));
			return 1;
		}
	}
	sem_post(&turn[SEARCHER]);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(tid[i], NULL);

	pthread_barrier_destroy(&all_done);
	for (int i = 0; i < NTHREADS; i++)
		sem_destroy(&turn[i]);
	return 0;
}
