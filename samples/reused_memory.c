/* reused_memory: a server keeps its sessions and its I/O buffers in one pool
 * of fixed-size slots; a freed slot is handed out again, last freed first.
 * Each object has its own mutex, initialized when the object is made and
 * destroyed before its slot goes back to the pool.
 *
 * Verdict: CLEAN. session_end() (thread "ender") locks session 7's lock,
 * then registry_lock; then the session is freed (pthread_mutex_destroy) and
 * its slot returned. load_buffer() (thread "loader") locks registry_lock,
 * makes a buffer, which gets the very same slot (the program checks and
 * prints it), and locks the buffer's lock: a new mutex at the address of the
 * dead one (pthread_mutex_init). The two orders involve registry_lock and two
 * different mutexes that never existed at the same time, so no schedule can
 * make them wait for each other. (A lock is an address plus a generation:
 * destroy and init start a new one.)
 *
 * --same-object: the look-alike that is a bug. The session is not freed, and
 * flush_session() (thread "loader") locks registry_lock, then the same live
 * session's lock. Verdict: BUGGY, one potential deadlock between
 * registry_lock and the session's lock (a heap lock: it has no variable
 * name). The threads take turns (semaphores), so the program always
 * finishes.
 *
 * The pool itself is only ever used by one thread at a time (the turns), so
 * it needs no lock of its own here.
 *
 * Output:
 *   session 7 ended: 100 bytes
 *   buffer for session 7 loaded: 64 bytes, in the session's old slot: yes
 * --same-object:
 *   session 7 ended: 100 bytes
 *   session 7 flushed: 100 bytes
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NSLOTS     4
#define SESSION_ID 7

struct session {
	pthread_mutex_t lock; /* protects bytes */
	int id;
	long bytes;
};

struct buffer {
	pthread_mutex_t lock; /* protects bytes */
	int session_id;
	long bytes;
};

union slot {
	struct session session;
	struct buffer buffer;
	union slot *next_free;
};

static union slot *pool; /* malloc'd once: the locks in it have no variable name */
static union slot *free_slots;

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER; /* protects open_sessions */
static int open_sessions;

static struct session *current; /* the session; passed from thread to thread by the turns */
static uintptr_t ended_slot;    /* where the freed session was */
static bool same_object;

enum { ENDER, LOADER, NTHREADS };
static sem_t turn[NTHREADS];       /* the two take turns: no real deadlock */
static pthread_barrier_t all_done; /* neither leaves before the other is done */

static void *pool_alloc(void)
{
	union slot *s = free_slots;

	if (s)
		free_slots = s->next_free;
	return s;
}

static void pool_free(void *p)
{
	union slot *s = p;

	s->next_free = free_slots;
	free_slots = s;
}

/* Sessions and buffers initialize their locks in different places: they are
 * different kinds of lock, whatever memory they happen to be in. Out of line
 * so that stack traces (and the tests) name where a lock was made. */

static __attribute__((noinline)) struct session *session_open(int id)
{
	struct session *s = pool_alloc();

	pthread_mutex_init(&s->lock, NULL); /* lg:session-init */
	s->id = id;
	s->bytes = 0;
	return s;
}

static void session_free(struct session *s)
{
	pthread_mutex_destroy(&s->lock);
	pool_free(s);
}

static __attribute__((noinline)) struct buffer *buffer_open(int session_id)
{
	struct buffer *b = pool_alloc();

	pthread_mutex_init(&b->lock, NULL); /* lg:buffer-init */
	b->session_id = session_id;
	b->bytes = 0;
	return b;
}

static void buffer_free(struct buffer *b)
{
	pthread_mutex_destroy(&b->lock);
	pool_free(b);
}

/* The functions that take locks stay out of line so that stack traces (and
 * the tests that read them) name them at -O2. */

/* The session's lock, then registry_lock. */
static __attribute__((noinline)) void session_end(struct session *s)
{
	pthread_mutex_lock(&s->lock); /* lg:end-session */
	s->bytes += 100;
	pthread_mutex_lock(&registry_lock); /* lg:end-registry */
	open_sessions--;
	pthread_mutex_unlock(&registry_lock);
	pthread_mutex_unlock(&s->lock);
}

/* registry_lock, then a new buffer's lock (in the freed session's slot). */
static __attribute__((noinline)) struct buffer *load_buffer(int session_id)
{
	pthread_mutex_lock(&registry_lock); /* lg:load-registry */
	struct buffer *b = buffer_open(session_id);
	pthread_mutex_lock(&b->lock); /* lg:load-buffer */
	b->bytes = 64;
	pthread_mutex_unlock(&b->lock);
	pthread_mutex_unlock(&registry_lock);
	return b;
}

/* The bug (--same-object): registry_lock, then the live session's lock, the
 * opposite of session_end(). */
static __attribute__((noinline)) long flush_session(struct session *s)
{
	pthread_mutex_lock(&registry_lock); /* lg:flush-registry */
	pthread_mutex_lock(&s->lock);       /* lg:flush-session */
	long bytes = s->bytes;
	pthread_mutex_unlock(&s->lock);
	pthread_mutex_unlock(&registry_lock);
	return bytes;
}

static void *ender_main(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "ender");
	sem_wait(&turn[ENDER]);
	session_end(current);
	printf("session %d ended: %ld bytes\n", current->id, current->bytes);
	if (!same_object) {
		ended_slot = (uintptr_t)current;
		session_free(current);
		current = NULL;
	}
	sem_post(&turn[LOADER]);
	pthread_barrier_wait(&all_done);
	return NULL;
}

static void *loader_main(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "loader");
	sem_wait(&turn[LOADER]);
	if (same_object) {
		long bytes = flush_session(current);
		printf("session %d flushed: %ld bytes\n", current->id, bytes);
	} else {
		struct buffer *b = load_buffer(SESSION_ID);
		printf("buffer for session %d loaded: %ld bytes, in the session's old slot: %s\n",
		       b->session_id, b->bytes, (uintptr_t)b == ended_slot ? "yes" : "no");
		buffer_free(b);
	}
	pthread_barrier_wait(&all_done);
	return NULL;
}

int main(int argc, char **argv)
{
	void *(*const mains[NTHREADS])(void *) = {ender_main, loader_main};
	pthread_t tid[NTHREADS];

	if (argc > 2 || (argc == 2 && strcmp(argv[1], "--same-object") != 0)) {
		fprintf(stderr, "usage: %s [--same-object]\n", argv[0]);
		return 2;
	}
	same_object = argc == 2;

	pool = calloc(NSLOTS, sizeof(*pool));
	if (!pool) {
		fprintf(stderr, "reused_memory: out of memory\n");
		return 1;
	}
	for (int i = NSLOTS - 1; i >= 0; i--)
		pool_free(&pool[i]);
	current = session_open(SESSION_ID);
	open_sessions = 1;
	for (int i = 0; i < NTHREADS; i++)
		sem_init(&turn[i], 0, 0);
	pthread_barrier_init(&all_done, NULL, NTHREADS);

	/* Start both before the first one works, so they overlap. */
	for (int i = 0; i < NTHREADS; i++) {
		int err = pthread_create(&tid[i], NULL, mains[i], NULL); /* lg:create */
		if (err != 0) {
			fprintf(stderr, "reused_memory: pthread_create: %s\n", strerror(err));
			return 1;
		}
	}
	sem_post(&turn[ENDER]);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(tid[i], NULL);

	if (current)
		session_free(current);
	free(pool);
	pthread_barrier_destroy(&all_done);
	for (int i = 0; i < NTHREADS; i++)
		sem_destroy(&turn[i]);
	return 0;
}
