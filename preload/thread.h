/* Per-thread state: a small part in initial-exec TLS, which the fast path
 * reaches with one segment-relative load, and the thread's caches in a
 * block of their own (struct lg_caches). A new thread points at the shared
 * empty block, whose caches never hit, so its first lock call takes the
 * slow path, which registers it and gives it its own block (no "is this
 * thread set up?" test on the fast path).
 *
 * TLS stays small on purpose: glibc carves static TLS out of every thread's
 * stack, so kilobytes there would shrink the program's stacks, and a thread
 * created with PTHREAD_STACK_MIN would fail to start. */
#ifndef LOCKGRAPH_THREAD_H
#define LOCKGRAPH_THREAD_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "edges.h"

struct lg_group;
struct lg_profile_table;
struct lg_lock;
struct lg_wait_holding;
struct lg_wait_slot;
struct lg_site;
struct lg_stack;

#define LG_LOCK_CACHE  2048 /* address -> lock record, direct-mapped */
#define LG_SITE_CACHE  256  /* return address -> call site, direct-mapped */
#define LG_EDGE_CACHE  4096 /* acquisitions already traced, set-associative (acquire.h) */
#define LG_EDGE_WAYS   8    /* one cache line per set */
#define LG_HELD_INLINE 32   /* held locks before the held array moves to the arena */

/* A lock the thread holds. */
struct lg_held {
	uintptr_t addr; /* lock->node.key, here so finding it chases no pointer */
	struct lg_lock *lock;
	uint64_t key;           /* lg_held_key(lock, mode) */
	struct lg_stack *stack; /* where it was taken; NULL if not captured */
	uintptr_t site;         /* return address of the locking call */
	uint32_t count;         /* > 1: re-entered (recursive mutex) */
	uint8_t mode;           /* enum lg_mode */
	uint8_t flags;          /* enum lg_acq_flags */
	bool contended;         /* it had to wait for the lock (with timing) */
	uint64_t taken;         /* lg_ticks() when taken, only with lg_opts.timing */
	uint64_t wait;          /* ticks it waited, when contended */
};

/* A thread's caches. The pages of a block cost memory only as its entries
 * are used; when the thread exits the block is emptied (its pages given
 * back) and kept for the next thread. */
struct lg_caches {
	struct lg_lock *lock[LG_LOCK_CACHE];
	struct lg_site *site[LG_SITE_CACHE];
	/* Per site slot: stacks captured at that (nesting) site since one was
	 * last used by a new edge. Past LG_SITE_SETTLED the site is settled for
	 * this thread and no longer unwinds (see sites.h). */
	uint16_t site_unused[LG_SITE_CACHE];
	uint64_t edge[LG_EDGE_CACHE];
	struct lg_held held[LG_HELD_INLINE];
	uint32_t scratch[LG_HELD_INLINE];
	struct lg_caches *next_free;
};

/* The shared empty block of threads not registered (or already gone):
 * never written. */
extern struct lg_caches lg_no_caches;

struct lg_thread {
	/* Set while lockgraph's own code runs on this thread: locking calls
	 * made meanwhile (by libunwind, by a signal handler) go straight to
	 * glibc. */
	int in_tool;
	bool exited; /* its start routine returned: lock calls pass through */
	/* The lowest address its stack may use, when the program chose a small
	 * stack (0: a default stack, plenty of room). See lg_stack_room. */
	uintptr_t stack_lo;
	pthread_t pthread; /* pthread_self(), once registered */
	/* With lg_opts.timing: the last wait for a busy lock, in ticks, for the
	 * acquisition that ended it. */
	uint64_t pending_wait;
	bool pending_contended;
	struct lg_profile_table *profile; /* profile.h; NULL until it releases a lock */
	uint32_t id;                      /* 0 until registered */
	uint32_t parent;
	uint64_t create_seq; /* lg_thread_next_seq() when it was created; 0: main */
	pid_t os_tid;
	struct lg_stack *create_stack;
	uint32_t written_epoch; /* trace lock */
	uint32_t depth;         /* entries used in held */
	uint32_t held_cap;
	uint64_t held_hash;   /* XOR of lg_held_key() over held, see acquire.h */
	struct lg_held *held; /* c->held, or a bigger array in the arena */
	uint32_t *scratch;    /* lock ids of the held set, sorted (slow path) */
	uint32_t scratch_cap;
	struct lg_caches *c;                   /* &lg_no_caches until registered */
	struct lg_edges_news news;             /* what the last new acquisition added */
	struct lg_wait_slot *slot;             /* this thread's wait, once it ever waited */
	struct lg_wait_holding *view_holdings; /* copies of others' holdings (waitfor.c) */
	uint32_t view_cap;
	unsigned wait_slices; /* slices the current wait has lasted */
	/* Every witness group (edges.h) this thread owns, by hash, open
	 * addressing; only this thread reads or changes it. NULL until its
	 * first edge. */
	struct lg_group **groups;
	uint32_t groups_mask, groups_count;
};

extern __thread struct lg_thread lg_self __attribute__((tls_model("initial-exec")));

/* Stack that lockgraph's deepest slow path needs (unwinding with libunwind
 * included; measured at about 9 KiB), and what the rest of a slow path
 * needs without unwinding. A thread with less left than that below the
 * current frame gets call-site stacks only, or is not recorded at this
 * call: lockgraph must never be what overflows a small stack. */
#define LG_UNWIND_ROOM (24 * 1024)
#define LG_SLOW_ROOM   (8 * 1024)

static inline bool lg_stack_room(const struct lg_thread *t, uintptr_t need)
{
	uintptr_t here = (uintptr_t)__builtin_frame_address(0);
	return !t->stack_lo || (here > t->stack_lo && here - t->stack_lo > need);
}

bool lg_threads_init(void);

/* Gives the calling thread its id (if it has none yet), its caches, and
 * makes it known by its pthread_t; idempotent. False when the thread can
 * not be recorded (it exited, or no memory for its caches). */
bool lg_thread_register(struct lg_thread *t);

/* The calling thread's start routine returned or it called pthread_exit:
 * its caches go back for the next thread, and what it locks from now on
 * (in TLS destructors) is passed through unrecorded. */
void lg_thread_exit(void);

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
	/* From the creation attributes: the stack the program gave the thread
	 * (stack_lo), or the size it asked for; 0 when it is the default. */
	uintptr_t stack_lo;
	size_t stack_size;
	/* The signal mask the thread must run with: it starts with every
	 * signal blocked, until it knows who it is (see wrap_thread.c). */
	sigset_t sigmask;
};

/* The start routines lockgraph passes to the real pthread_create and
 * thrd_create. */
void *lg_thread_trampoline(void *start);
int lg_thread_trampoline_c11(void *start);

/* In a forked child: the caller is the only thread; forget what its caches
 * claim was already traced. */
void lg_thread_fork_child(void);

#endif
