/* rwlock_deadlock: two indexers each hold one index for reading while they
 * scan it, then ask for the other index for writing to record what they
 * found, and hang.
 *
 * Verdict: STUCK. An actual deadlock through read-write locks, every run:
 * "indexer-a" holds name_index for reading and waits to write id_index;
 * "indexer-b" holds id_index for reading and waits to write name_index. A
 * writer waits for every reader, so each waits for the other. (Two readers
 * never wait for each other: taking the second index for reading would be
 * fine.) Without lockgraph the program hangs forever; under lockgraph it is
 * stopped with status 66. A barrier makes both hold their read lock before
 * either asks for the write lock.
 *
 * Output (then it hangs):
 *   indexing names and ids in two threads
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>

static pthread_rwlock_t name_index = PTHREAD_RWLOCK_INITIALIZER;
static pthread_rwlock_t id_index = PTHREAD_RWLOCK_INITIALIZER;
static int names, ids;

static pthread_barrier_t both_reading;

/* Out of line so that stack traces (and the tests) name it at -O2. Scans
 * `scanned` for reading, then records into `other` for writing. */
static __attribute__((noinline)) void cross_index(pthread_rwlock_t *scanned, const int *from,
                                                  pthread_rwlock_t *other, int *to)
{
	pthread_rwlock_rdlock(scanned); /* lg:scan-read */
	int found = *from + 1;
	pthread_barrier_wait(&both_reading);
	pthread_rwlock_wrlock(other); /* lg:record-write */
	*to += found;
	pthread_rwlock_unlock(other);
	pthread_rwlock_unlock(scanned);
}

static void *indexer_a(void *arg)
{
	pthread_setname_np(pthread_self(), "indexer-a");
	cross_index(&name_index, &names, &id_index, &ids);
	return arg;
}

static void *indexer_b(void *arg)
{
	pthread_setname_np(pthread_self(), "indexer-b");
	cross_index(&id_index, &ids, &name_index, &names);
	return arg;
}

int main(void)
{
	void *(*indexers[2])(void *) = {indexer_a, indexer_b};
	pthread_t t[2];

	pthread_barrier_init(&both_reading, NULL, 2);
	printf("indexing names and ids in two threads\n");
	fflush(stdout); /* lockgraph ends a stuck program with _exit */
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, indexers[i], NULL); /* lg:create */
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	printf("names %d, ids %d\n", names, ids);
	return 0;
}
