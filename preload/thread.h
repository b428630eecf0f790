/* Per-thread state, in initial-exec TLS so the fast path reaches it with one
 * segment-relative load. A new thread's state is all zeroes: its caches
 * never hit, so its first lock call takes the slow path, which registers
 * it (no "is this thread set up?" test on the fast path). */
#ifndef LOCKGRAPH_THREAD_H
#define LOCKGRAPH_THREAD_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "edges.h"

struct lg_group;
struct lg_lock;
struct lg_wait_holding;
struct lg_wait_slot;
struct lg_site;
struct lg_stack;

#define LG_LOCK_CACHE  256 /* address -> lock record, direct-mapped */
#define LG_SITE_CACHE  128 /* return address -> call site, direct-mapped */
#define LG_EDGE_CACHE  512 /* acquisitions already traced, direct-mapped */
#define LG_GROUP_CACHE 256 /* this thread's witness groups (edges.h), direct-mapped */
#define LG_HELD_INLINE 32  /* held locks before the held array moves to the arena */

/* A lock the thread holds. */
struct lg_held {
	struct lg_lock *lock;
	struct lg_stack *stack; /* where it was taken; NULL if not captured */
	uintptr_t site;         /* return address of the locking call */
	uint32_t count;         /* > 1: re-entered (recursive mutex) */
	uint8_t mode;           /* enum lg_mode */
	uint8_t flags;          /* enum lg_acq_flags */
	uint64_t taken_ns;      /* CLOCK_MONOTONIC, only with hold_warn_ms */
};

struct lg_thread {
	/* Set while lockgraph's own code runs on this thread: locking calls
	 * made meanwhile (by libunwind, by a signal handler) go straight to
	 * glibc. */
	int in_tool;
	uint32_t id; /* 0 until registered */
	uint32_t parent;
	uint64_t create_seq; /* lg_thread_next_seq() when it was created; 0: main */
	pid_t os_tid;
	struct lg_stack *create_stack;
	uint32_t written_epoch; /* trace lock */
	uint32_t depth;         /* entries used in held */
	uint32_t held_cap;
	uint64_t held_hash; /* XOR of lg_held_key() over held, see acquire.h */
	struct lg_held *held;
	struct lg_held held_inline[LG_HELD_INLINE];
	uint32_t *scratch; /* lock ids of the held set, sorted (slow path) */
	uint32_t scratch_cap;
	uint32_t scratch_inline[LG_HELD_INLINE];
	struct lg_edges_news news;             /* what the last new acquisition added */
	struct lg_wait_slot *slot;             /* this thread's wait, once it ever waited */
	struct lg_wait_holding *view_holdings; /* copies of others' holdings (waitfor.c) */
	uint32_t view_cap;
	unsigned wait_slices; /* slices the current wait has lasted */
	struct lg_lock *lock_cache[LG_LOCK_CACHE];
	struct lg_site *site_cache[LG_SITE_CACHE];
	/* Per site_cache slot: stacks captured at that (nesting) site since
	 * one was last used by a new edge. Past LG_SITE_SETTLED the site is
	 * settled for this thread and no longer unwinds (see sites.h). */
	uint16_t site_unused[LG_SITE_CACHE];
	uint64_t edge_cache[LG_EDGE_CACHE];
	struct lg_group *group_cache[LG_GROUP_CACHE];
};

extern __thread struct lg_thread lg_self __attribute__((tls_model("initial-exec")));

bool lg_threads_init(void);

/* Gives the calling thread its id (if it has none yet) and makes it known
 * by its pthread_t; idempotent. */
void lg_thread_register(struct lg_thread *t);

/* A fresh thread id, for a thread about to be created. */
uint32_t lg_thread_new_id(void);

/* Thread th has id `id` (a reused pthread_t: the newer thread). */
void lg_thread_known(pthread_t th, uint32_t id);

/* The id of the (live, or joinable) thread th, 0 if unknown. */
uint32_t lg_thread_id_of(pthread_t th);

/* The next number in the one order of thread creations and joins. */
uint64_t lg_thread_next_seq(void);

/* Makes room for one more held lock; false when out of memory. */
int lg_thread_grow_held(struct lg_thread *t);

/* Creation details handed from pthread_create to the new thread. */
struct lg_thread_start {
	void *(*fn)(void *);   /* pthread_create's start routine, or */
	int (*c11_fn)(void *); /* thrd_create's */
	void *arg;
	uint32_t id;
	uint32_t parent;
	uint64_t create_seq;
	struct lg_stack *create_stack;
};

/* The start routines lockgraph passes to the real pthread_create and
 * thrd_create. */
void *lg_thread_trampoline(void *start);
int lg_thread_trampoline_c11(void *start);

/* In a forked child: the caller is the only thread; forget what its caches
 * claim was already traced. */
void lg_thread_fork_child(void);

#endif
