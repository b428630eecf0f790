/* Actual deadlocks: the wait-for graph (thread -> lock it waits for ->
 * thread holding it) of threads blocked in lock calls.
 *
 * Only contended calls come here: a wrapper tries the lock first, and only
 * when that fails registers the wait and blocks in slices (wrap_mutex.c),
 * checking for a cycle when the wait begins and after each slice, so a
 * cycle that closes later is found by its own members: no watchdog thread.
 *
 * A cycle is reported only when it is certain. The check walks the graph
 * (slot -> lock -> owner -> slot), then reads every owner and every wait
 * sequence number again: if all are unchanged, there was an instant at
 * which every thread of the cycle was blocked waiting for a lock the next
 * one held, and blocked threads release nothing. Each waiter publishes its
 * stacks and holdings into its own slot after its first slice (or at once
 * when it finds a cycle), so the report never reads another thread's live
 * state. One permanent deadlock is reported per process; then on_deadlock
 * decides (exit, abort, wait). A cycle with a timed wait in it is recorded
 * when that wait times out (the program goes on), every time it forms. */
#ifndef LOCKGRAPH_WAITFOR_H
#define LOCKGRAPH_WAITFOR_H

#include <stdbool.h>
#include <stdint.h>

struct lg_lock;
struct lg_stack;
struct lg_thread;

/* A lock a waiting thread holds, and where it took it. */
struct lg_wait_holding {
	struct lg_lock *lock;
	struct lg_stack *stack;
	uint8_t mode;
};

/* One thread's wait, in arena memory (never freed, so any thread may read
 * any slot at any time). Written only by its thread. */
struct lg_wait_slot {
	_Atomic uint64_t seq;         /* odd while the thread waits */
	struct lg_lock *_Atomic lock; /* what it waits for, while seq is odd */
	/* The seq of the wait the fields below describe (release-stored after
	 * them). */
	_Atomic uint64_t published;
	uint32_t thread;
	uint8_t mode;         /* the mode it wants */
	uint8_t flags;        /* LG_ACQ_TIMED for a timed wait */
	bool warned;          /* this wait was already reported as long */
	bool relock;          /* it waits for a lock it holds itself (a cycle of one) */
	uint64_t began_ns;    /* CLOCK_MONOTONIC */
	uint64_t deadline_ns; /* timed waits: CLOCK_MONOTONIC estimate, else 0 */
	struct lg_stack *wait_stack;
	/* When it passed wait_warn_ms: who held the lock, and where they took
	 * it if known. */
	uint32_t warn_holder;
	struct lg_stack *warn_holder_stack;
	char name[16];
	uint32_t nholding, holding_cap;
	struct lg_wait_holding *holding;
};

/* A copy of one published wait, taken while its thread was still in it:
 * what a report is written from, since the thread may leave the wait (a
 * timed one) and reuse its slot right after the check. */
struct lg_wait_view {
	uint32_t thread;
	struct lg_lock *lock;
	struct lg_stack *wait_stack;
	uint8_t mode, flags;
	uint64_t began_ns;
	char name[16];
	uint32_t nholding;
	const struct lg_wait_holding *holding; /* in the reporting thread's buffer */
};

/* Thread t starts waiting for l (its trylock failed); stack is the wait's
 * stack if the caller has one (else NULL). relock: t already holds l and
 * the lock's own state agrees (a normal mutex locked again by its owner: a
 * cycle of one). deadline_ns: when a timed wait gives up (CLOCK_MONOTONIC),
 * or 0. */
void lg_wait_begin(struct lg_thread *t, struct lg_lock *l, uint8_t mode, uint8_t flags,
                   struct lg_stack *stack, bool relock, uint64_t deadline_ns);

/* How long the next slice of t's wait may block, in nanoseconds: short at
 * first (so a deadlock is reported fast), then longer (so a long but
 * healthy wait costs nothing). */
uint64_t lg_wait_next_slice_ns(struct lg_thread *t);

/* A slice passed without the lock: publish (once), look for a cycle again,
 * report a long wait. */
void lg_wait_slice(struct lg_thread *t);

/* A timed wait's deadline passed: if a cycle held it, record the deadlock
 * its timeout broke. Then call lg_wait_end. */
void lg_wait_timed_out(struct lg_thread *t);

/* The wait is over (taken, failed or timed out). */
void lg_wait_end(struct lg_thread *t);

/* In a forked child: the other threads, and their waits, are gone. */
void lg_wait_fork_child(void);

uint64_t lg_now_ns(void);

#endif
