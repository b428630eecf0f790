/* contended_ok: a journal that one writer holds for a long time while
 * three others queue up for it, one of them with a timeout, and the main
 * thread queues behind one of those.
 *
 * Verdict: CLEAN. Heavy contention, no cycle: every waiting thread waits,
 * directly or through a chain, for a thread that is running, so everyone
 * gets through. Nothing is reported; a detector must not mistake a long wait
 * for a deadlock.
 *
 * "writer" locks journal_lock and keeps it for 200 ms. Meanwhile "reader-1"
 * blocks on it with pthread_mutex_lock(), "reader-2" with
 * pthread_mutex_timedlock() and a 10 s timeout (plenty), and "archiver" blocks
 * on it while holding archive_lock, which the main thread is blocked on in
 * turn: main -> archive_lock -> archiver -> journal_lock -> writer, a chain,
 * not a cycle. Every thread that gets the journal keeps it a little while,
 * so the others wait again, behind a new owner. The journal lock is always
 * taken after the archive lock, never before it: one global order.
 *
 * Output:
 *   journal: 4 entries
 *   reader-2: got the journal before its timeout
 *   archive: 1 snapshot of 2 or more entries
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define HOLD_MS     200   /* how long the writer keeps the journal */
#define BRIEF_MS    20    /* how long everyone else keeps it */
#define TIMEOUT_MS  10000 /* reader-2's patience */
#define NPARTIES    5     /* four threads and main */
#define MAX_ENTRIES 8

static pthread_mutex_t journal_lock = PTHREAD_MUTEX_INITIALIZER; /* protects journal */
static pthread_mutex_t archive_lock = PTHREAD_MUTEX_INITIALIZER; /* protects archive */

static struct journal {
	int entries;
	const char *who[MAX_ENTRIES];
} journal;

static struct archive {
	int snapshots;
	int entries; /* in the last snapshot */
} archive;

static bool timed_out; /* reader-2's own */

/* Every thread is in place (the writer holding the journal, the archiver
 * the archive) before anyone asks for a lock. */
static pthread_barrier_t all_set;

static void sleep_ms(long ms)
{
	struct timespec pause = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&pause, NULL);
}

static void append(const char *who)
{
	if (journal.entries < MAX_ENTRIES)
		journal.who[journal.entries++] = who;
}

/* The functions that take locks stay out of line so that stack traces (and
 * the tests that read them) name them at -O2. */

static __attribute__((noinline)) void *writer_main(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "writer");
	pthread_mutex_lock(&journal_lock); /* lg:writer-journal */
	pthread_barrier_wait(&all_set);
	sleep_ms(HOLD_MS); /* a slow write, with everyone waiting */
	append("writer");
	pthread_mutex_unlock(&journal_lock);
	return NULL;
}

static __attribute__((noinline)) void *reader1_main(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "reader-1");
	pthread_barrier_wait(&all_set);
	pthread_mutex_lock(&journal_lock); /* lg:reader1-journal */
	sleep_ms(BRIEF_MS);
	append("reader-1");
	pthread_mutex_unlock(&journal_lock);
	return NULL;
}

static __attribute__((noinline)) void *reader2_main(void *arg)
{
	struct timespec deadline;

	(void)arg;
	pthread_setname_np(pthread_self(), "reader-2");
	pthread_barrier_wait(&all_set);
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += TIMEOUT_MS / 1000;
	int err = pthread_mutex_timedlock(&journal_lock, &deadline); /* lg:reader2-journal */
	if (err != 0) {
		timed_out = true;
		return NULL;
	}
	sleep_ms(BRIEF_MS);
	append("reader-2");
	pthread_mutex_unlock(&journal_lock);
	return NULL;
}

static __attribute__((noinline)) void *archiver_main(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "archiver");
	pthread_mutex_lock(&archive_lock); /* lg:archiver-archive */
	pthread_barrier_wait(&all_set);
	pthread_mutex_lock(&journal_lock); /* lg:archiver-journal */
	sleep_ms(BRIEF_MS);
	append("archiver");
	archive.snapshots++;
	archive.entries = journal.entries;
	pthread_mutex_unlock(&journal_lock);
	pthread_mutex_unlock(&archive_lock);
	return NULL;
}

int main(int argc, char **argv)
{
	void *(*thread_main[])(void *) = {writer_main, reader1_main, reader2_main, archiver_main};
	pthread_t tid[NPARTIES - 1];

	if (argc != 1) {
		fprintf(stderr, "usage: %s\n", argv[0]);
		return 2;
	}

	pthread_barrier_init(&all_set, NULL, NPARTIES);
	for (int i = 0; i < NPARTIES - 1; i++) {
		int err = pthread_create(&tid[i], NULL, thread_main[i], NULL); /* lg:create */
		if (err != 0) {
			fprintf(stderr, "contended_ok: pthread_create: %s\n", strerror(err));
			return 1;
		}
	}
	pthread_barrier_wait(&all_set);

	/* Waits behind the archiver, which waits behind the writer. */
	pthread_mutex_lock(&archive_lock); /* lg:main-archive */
	int snapshots = archive.snapshots;
	int entries = archive.entries;
	pthread_mutex_unlock(&archive_lock);

	for (int i = 0; i < NPARTIES - 1; i++)
		pthread_join(tid[i], NULL);

	printf("journal: %d entries\n", journal.entries);
	printf("reader-2: %s\n", timed_out ? "timed out" : "got the journal before its timeout");
	printf("archive: %d snapshot%s of %s entries\n", snapshots, snapshots == 1 ? "" : "s",
	       entries >= 2 ? "2 or more" : "fewer than 2");
	return 0;
}
