/* fork_snapshot: a key-value store saves a snapshot the way Redis does: it
 * forks, and the child writes its copy of the data while the parent goes on.
 * The parent is multithreaded: its "journal" thread holds journal_lock at the
 * moment of the fork.
 *
 * Verdict: BUGGY. One potential deadlock (lock-order inversion) between
 * dict_lock and dump_lock, in the child process only. The parent has none,
 * and no finding involves journal_lock.
 *
 * The parent's main thread holds dict_lock across fork() so that the child's
 * copy of the dictionary is consistent; the child's only thread (the one
 * that forked) still holds it there and releases it. The journal thread holds
 * journal_lock during the fork: in the child that lock stays locked forever
 * by a thread that does not exist there, so the child only tries it
 * (trylock, busy) and never believes that it holds it. The child then
 * compresses and writes the snapshot in two threads: "compressor"
 * (compress_pages) takes dict_lock, then dump_lock; "writer" (flush_dump)
 * takes dump_lock, then dict_lock, the inversion. They take turns
 * (semaphores), so the child always finishes.
 *
 * --fixed: flush_dump_fixed() takes dict_lock first, like compress_pages().
 * Verdict: CLEAN.
 *
 * Output (both variants):
 *   child: journal busy (held by a thread of the parent), skipped
 *   child: snapshot of 8 keys in 2 pages, 2 flushes
 *   parent: journal has 2 entries, snapshot child exited with status 0
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define NKEYS  8
#define NPAGES 2

static pthread_mutex_t dict_lock = PTHREAD_MUTEX_INITIALIZER;    /* protects dict */
static pthread_mutex_t dump_lock = PTHREAD_MUTEX_INITIALIZER;    /* protects dump */
static pthread_mutex_t journal_lock = PTHREAD_MUTEX_INITIALIZER; /* protects journal */

static long dict[NKEYS];
static struct {
	int pages, flushes;
	long keys;
} dump;
static int journal_entries;

static bool fixed;

/* The parent: the journal thread holds journal_lock during the fork. */
static sem_t journal_holding, forked;

/* The child: compressor and writer take turns. */
enum { COMPRESSOR, WRITER, NTHREADS };
static sem_t turn[NTHREADS];
static pthread_barrier_t all_done; /* neither leaves before the other is done */

/* The functions that take locks stay out of line so that stack traces (and
 * the tests that read them) name them at -O2. */

/* The parent's journal thread: holds journal_lock while main forks, then
 * records the fork (journal_lock, then dict_lock: the parent's only order). */
static __attribute__((noinline)) void journal_append(void)
{
	pthread_mutex_lock(&journal_lock); /* lg:journal-hold */
	journal_entries++;
	sem_post(&journal_holding);
	sem_wait(&forked);
	pthread_mutex_lock(&dict_lock); /* lg:journal-dict */
	journal_entries++;
	pthread_mutex_unlock(&dict_lock);
	pthread_mutex_unlock(&journal_lock);
}

static void *journal_main(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "journal");
	journal_append();
	return NULL;
}

/* One page of the snapshot: half the keys. */
static __attribute__((noinline)) void compress_pages(int page)
{
	pthread_mutex_lock(&dict_lock); /* lg:compress-dict */
	pthread_mutex_lock(&dump_lock); /* lg:compress-dump */
	for (int k = page * NKEYS / NPAGES; k < (page + 1) * NKEYS / NPAGES; k++)
		dump.keys += dict[k] != 0;
	dump.pages++;
	pthread_mutex_unlock(&dump_lock);
	pthread_mutex_unlock(&dict_lock);
}

/* The bug: the dump buffer first, then the dictionary (to check it was not
 * changed): the opposite of compress_pages(). */
static __attribute__((noinline)) void flush_dump(void)
{
	pthread_mutex_lock(&dump_lock); /* lg:flush-dump */
	pthread_mutex_lock(&dict_lock); /* lg:flush-dict */
	dump.flushes++;
	pthread_mutex_unlock(&dict_lock);
	pthread_mutex_unlock(&dump_lock);
}

/* The fix: the dictionary first, like compress_pages(). */
static __attribute__((noinline)) void flush_dump_fixed(void)
{
	pthread_mutex_lock(&dict_lock); /* lg:flush-fixed-dict */
	pthread_mutex_lock(&dump_lock); /* lg:flush-fixed-dump */
	dump.flushes++;
	pthread_mutex_unlock(&dump_lock);
	pthread_mutex_unlock(&dict_lock);
}

static void *compressor_main(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "compressor");
	for (int page = 0; page < NPAGES; page++) {
		sem_wait(&turn[COMPRESSOR]);
		compress_pages(page);
		sem_post(&turn[WRITER]);
	}
	pthread_barrier_wait(&all_done);
	return NULL;
}

static void *writer_main(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "writer");
	for (int page = 0; page < NPAGES; page++) {
		sem_wait(&turn[WRITER]);
		if (fixed)
			flush_dump_fixed();
		else
			flush_dump();
		sem_post(&turn[COMPRESSOR]);
	}
	pthread_barrier_wait(&all_done);
	return NULL;
}

/* The snapshot child: the thread that forked, holding dict_lock. */
static __attribute__((noinline)) void snapshot_child(void)
{
	void *(*roles[NTHREADS])(void *) = {compressor_main, writer_main};
	pthread_t tid[NTHREADS];

	pthread_mutex_unlock(&dict_lock); /* held across fork: the child's copy */

	/* journal_lock is held by a thread that was not copied: never wait for it. */
	if (pthread_mutex_trylock(&journal_lock) == 0) { /* lg:child-journal */
		printf("child: journal free, appended\n");
		journal_entries++;
		pthread_mutex_unlock(&journal_lock);
	} else {
		printf("child: journal busy (held by a thread of the parent), skipped\n");
	}

	for (int i = 0; i < NTHREADS; i++)
		sem_init(&turn[i], 0, 0);
	pthread_barrier_init(&all_done, NULL, NTHREADS);
	/* Start both threads before either works, so they overlap. */
	for (int i = 0; i < NTHREADS; i++) {
		int err = pthread_create(&tid[i], NULL, roles[i], NULL); /* lg:create */
		if (err != 0) {
			fprintf(stderr, "fork_snapshot: pthread_create: %s\n", strerror(err));
			exit(1);
		}
	}
	sem_post(&turn[COMPRESSOR]);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(tid[i], NULL);
	printf("child: snapshot of %ld keys in %d pages, %d flushes\n", dump.keys, dump.pages,
	       dump.flushes);
	exit(0);
}

int main(int argc, char **argv)
{
	pthread_t journal;

	if (argc > 2 || (argc == 2 && strcmp(argv[1], "--fixed") != 0)) {
		fprintf(stderr, "usage: %s [--fixed]\n", argv[0]);
		return 2;
	}
	fixed = argc == 2;

	for (int k = 0; k < NKEYS; k++)
		dict[k] = k + 1;
	sem_init(&journal_holding, 0, 0);
	sem_init(&forked, 0, 0);
	int err = pthread_create(&journal, NULL, journal_main, NULL); /* lg:create-journal */
	if (err != 0) {
		fprintf(stderr, "fork_snapshot: pthread_create: %s\n", strerror(err));
		return 1;
	}
	sem_wait(&journal_holding);

	/* A consistent copy: no one changes the dictionary during the fork. */
	pthread_mutex_lock(&dict_lock); /* lg:fork-dict */
	fflush(stdout);
	pid_t child = fork(); /* lg:fork */
	if (child < 0) {
		perror("fork_snapshot: fork");
		return 1;
	}
	if (child == 0)
		snapshot_child();
	pthread_mutex_unlock(&dict_lock);
	sem_post(&forked);
	pthread_join(journal, NULL);

	int status;
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	printf("parent: journal has %d entries, snapshot child exited with status %d\n",
	       journal_entries, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
