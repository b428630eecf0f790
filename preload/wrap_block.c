/* See wrap_block.h. */
#define _GNU_SOURCE
#include "wrap_block.h"

#include <errno.h>

#include "acquire.h"
#include "profile.h"
#include "waitfor.h"

static struct timespec add_ns(struct timespec ts, uint64_t ns)
{
	ts.tv_sec += (time_t)(ns / 1000000000u);
	ts.tv_nsec += (long)(ns % 1000000000u);
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	return ts;
}

static bool before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

static int64_t ns_between(const struct timespec *from, const struct timespec *to)
{
	return (int64_t)(to->tv_sec - from->tv_sec) * 1000000000 + (to->tv_nsec - from->tv_nsec);
}

/* Registers the wait; false (nothing registered) when out of memory or the
 * thread is not recorded any more. */
static bool begin(struct lg_thread *t, void *lock, const struct lg_blocking *b, uint8_t flags,
                  uint64_t deadline)
{
	t->in_tool = 1;
	struct lg_lock *l = lg_stack_room(t, LG_SLOW_ROOM) && lg_thread_register(t)
	                            ? lg_lock_of(t, (uintptr_t)lock, b->kind)
	                            : NULL;
	struct lg_stack *stack = NULL;
	/* The order is a fact as soon as the thread waits, whether or not the
	 * wait ever ends. (Not for a lock it holds: no order there.) */
	if (l && !lg_held_find(t, (uintptr_t)lock))
		lg_record_order(t, l, b->mode, flags, &stack);
	if (l)
		lg_wait_begin(t, l, b->mode, flags, stack, b->relock, deadline);
	t->in_tool = 0;
	return l != NULL;
}

static void between_slices(struct lg_thread *t, bool timed_out)
{
	t->in_tool = 1;
	if (timed_out)
		lg_wait_timed_out(t);
	else
		lg_wait_slice(t);
	t->in_tool = 0;
}

static uint64_t next_slice(struct lg_thread *t)
{
	t->in_tool = 1;
	uint64_t slice = lg_wait_next_slice_ns(t);
	t->in_tool = 0;
	return slice;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ volatile("yield");
#endif
}

/* A spinlock has no timed call: spin on its try call, as the real one
 * spins, and look up between slices. */
static int spin(struct lg_thread *t, void *lock, const struct lg_blocking *b)
{
	for (;;) {
		uint64_t end = lg_now_ns() + next_slice(t);
		do {
			for (int i = 0; i < 256; i++) {
				if (b->try_lock(lock) == 0)
					return 0;
				cpu_relax();
			}
		} while (lg_now_ns() < end);
		between_slices(t, false);
	}
}

static int block(struct lg_thread *t, void *lock, const struct lg_blocking *b, clockid_t clock,
                 const struct timespec *abstime)
{
	uint8_t flags = abstime ? LG_ACQ_TIMED : 0;
	uint64_t deadline = 0;
	struct timespec now;
	if (abstime) {
		clock_gettime(clock, &now);
		int64_t left = ns_between(&now, abstime);
		deadline = lg_now_ns() + (left > 0 ? (uint64_t)left : 0);
	}
	if (!begin(t, lock, b, flags, deadline)) /* out of memory: just wait */
		return b->clocked ? b->clocked(lock, abstime ? clock : CLOCK_MONOTONIC, abstime)
		                  : spin(t, lock, b);
	int rc;
	if (!b->clocked) {
		rc = spin(t, lock, b);
	} else {
		clockid_t slice_clock = abstime ? clock : CLOCK_MONOTONIC;
		for (;;) {
			uint64_t slice = next_slice(t);
			clock_gettime(slice_clock, &now);
			struct timespec until = add_ns(now, slice);
			bool last = abstime && !before(&until, abstime);
			if (last)
				until = *abstime;
			rc = b->clocked(lock, slice_clock, &until);
			if (rc != ETIMEDOUT)
				break;
			between_slices(t, last);
			if (last)
				break;
		}
	}
	t->in_tool = 1;
	lg_wait_end(t);
	t->in_tool = 0;
	return rc;
}

/* Waiting for a busy lock ended (rc): with timing, how long, for the
 * acquisition that follows (lg_hold_starting). */
static int waited(struct lg_thread *t, uint64_t since, int rc)
{
	if (since && (rc == 0 || rc == EOWNERDEAD)) {
		t->pending_wait = lg_ticks() - since;
		t->pending_contended = true;
	}
	return rc;
}

int lg_block(struct lg_thread *t, void *lock, const struct lg_blocking *b, clockid_t clock,
             const struct timespec *abstime)
{
	uint64_t since = lg_opts.timing ? lg_ticks() : 0;
	return waited(t, since, block(t, lock, b, clock, abstime));
}
