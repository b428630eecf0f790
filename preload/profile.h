/* The lock profile (LOCKGRAPH_OPTIONS=profile=1, `lockgraph run --profile`):
 * per thread, per (lock, call site that took it): acquisitions, how many had
 * to wait, total and longest wait, total and longest hold. The reporter sums
 * them into "which locks make the program wait, and where".
 *
 * Without profile nothing here runs: the fast path already tests one flag
 * (lg_opts.timing) for hold_warn_ms, and profile only sets that same flag.
 * With it, each acquisition and release reads the time stamp counter
 * (about 10 ns; clock_gettime costs three times that), each release adds to
 * the thread's own table (no shared writes), and the ticks are converted to
 * nanoseconds when written, against CLOCK_MONOTONIC anchors taken at start
 * and at the write.
 *
 * Tables are written as PROFILE records when their thread ends and, for
 * threads still running, when the process ends (their counters read as
 * they are at that moment). */
#ifndef LOCKGRAPH_PROFILE_H
#define LOCKGRAPH_PROFILE_H

#include <stdbool.h>
#include <stdint.h>

#include "waitfor.h"

struct lg_thread;
struct lg_lock;

static inline uint64_t lg_ticks(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return __builtin_ia32_rdtsc();
#else
	return lg_now_ns();
#endif
}

/* Anchors the tick clock and registers the profile's lock (outermost of
 * the internal locks: it is held while tables are written); at start-up. */
void lg_profile_init(void);

/* A duration in ticks, in nanoseconds (against the anchors: a clock read). */
uint64_t lg_profile_ticks_to_ns(uint64_t ticks);

/* Thread t released l, taken at site, after holding it `hold` ticks; the
 * acquisition had waited `wait` ticks (contended) or not at all. */
void lg_profile_add(struct lg_thread *t, struct lg_lock *l, uintptr_t site, uint64_t hold,
                    uint64_t wait, bool contended);

/* Thread t is ending: its table goes into the trace. */
void lg_profile_thread_end(struct lg_thread *t);

/* The process is ending: the tables of threads still running go into the
 * trace. */
void lg_profile_process_end(void);

/* In a forked child: the other threads are gone, and what the parent
 * counted is the parent's to write. */
void lg_profile_fork_child(void);

#endif
