/* One trace file as the reporter sees it: the records of one process,
 * checked and indexed. Produced by lg_trace_read (trace_read.c). Ids are
 * the writer's; lookups go through the *_by_id helpers. */
#ifndef LOCKGRAPH_TRACE_H
#define LOCKGRAPH_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "idmap.h"
#include "symbolize.h"

struct lg_trace_module {
	struct lg_module_ref ref; /* path, build-id, bias, span */
	uint8_t flags;            /* enum lg_module_flags */
};

struct lg_trace_stack {
	uint32_t id;
	uint16_t nframes;
	uint16_t flags; /* enum lg_stack_flags */
	uint64_t *pcs;
	int *module; /* per frame: index into modules, -1 if none */
};

struct lg_trace_thread {
	uint32_t id, parent, os_tid, create_stack;
	uint64_t create_seq; /* 0 for the main thread */
	char *name;
};

/* Thread `joiner` joined thread `joined` at seq (same order as create_seq). */
struct lg_trace_join {
	uint32_t joiner, joined;
	uint64_t seq;
};

struct lg_trace_lock {
	uint32_t id, generation;
	uint64_t address;
	uint8_t kind, flags;
	uint16_t size; /* bytes of the lock object */
	uint32_t init_stack, first_stack, first_thread;
	int module; /* the module whose data holds it (a global), -1 for heap/stack */
};

struct lg_trace_held {
	uint32_t lock, stack;
	uint8_t mode, flags;
};

struct lg_trace_acquire {
	uint32_t thread, lock, stack;
	uint8_t mode, flags;
	uint16_t nheld;
	struct lg_trace_held *held;
};

struct lg_trace_holding {
	uint32_t lock, stack;
	uint8_t mode;
};

/* A thread stuck in a deadlock: it waits for `lock` and holds `holding`. */
struct lg_trace_waiter {
	uint32_t thread, lock, wait_stack;
	uint8_t mode, flags;
	uint16_t nholding;
	struct lg_trace_holding *holding;
};

/* Waiter i waits for a lock waiter i+1 (cyclically) holds. */
struct lg_trace_deadlock {
	uint64_t formed_ns, detected_ns; /* CLOCK_MONOTONIC */
	uint64_t wall_ns;
	uint8_t flags, action;
	uint16_t nwaiters;
	struct lg_trace_waiter *waiters;
};

/* A long wait or hold (struct lg_rec_long). */
struct lg_trace_long {
	uint16_t type; /* LG_REC_LONG_WAIT or LG_REC_LONG_HOLD */
	uint32_t thread, lock, stack, other_thread, other_stack;
	uint64_t duration_ns, wall_ns;
};

/* One thread's lock profile for one (lock, call site) (struct
 * lg_rec_profile); times in ns. */
struct lg_trace_profile {
	uint32_t thread, lock, site_stack;
	uint64_t acquisitions, contended, wait_ns, wait_max_ns, hold_ns, hold_max_ns;
};

struct lg_trace_warning {
	uint32_t code;
	char *message;
};

struct lg_trace {
	char *path;
	uint16_t version_major, version_minor;
	uint32_t pid, ppid;
	uint64_t start_wall_ns, start_mono_ns;
	char *exe, *host, *run, *cmdline;

	bool ended; /* an END record: the process exited (exit, _exit, or stopped by lockgraph) */
	uint32_t end_how;   /* enum lg_end_how */
	int32_t end_status; /* -1 when not known */
	uint64_t end_wall_ns, end_mono_ns;
	/* The file ends inside a record (the process was killed while writing,
	 * or the file was cut): records before it are used. */
	bool truncated;
	uint64_t truncated_at; /* byte offset of the cut record */
	size_t records;        /* complete records read */
	size_t unknown_records;

	struct lg_trace_module *modules;
	size_t nmodules, modules_cap;
	struct lg_trace_stack *stacks;
	size_t nstacks, stacks_cap;
	struct lg_trace_thread *threads;
	size_t nthreads, threads_cap;
	struct lg_trace_lock *locks;
	size_t nlocks, locks_cap;
	struct lg_trace_acquire *acquires;
	size_t nacquires, acquires_cap;
	struct lg_trace_warning *warnings;
	size_t nwarnings, warnings_cap;
	struct lg_trace_deadlock *deadlocks;
	size_t ndeadlocks, deadlocks_cap;
	struct lg_trace_long *longs;
	size_t nlongs, longs_cap;
	struct lg_trace_join *joins;
	size_t njoins, joins_cap;
	struct lg_trace_profile *profiles;
	size_t nprofiles, profiles_cap;

	/* id -> index + 1 */
	struct lg_idmap stack_ix, thread_ix, lock_ix;
};

/* Reads and checks one trace. On failure returns NULL and fills err with a
 * one-line reason (without the file name), e.g. "not a lockgraph trace". */
struct lg_trace *lg_trace_read(const char *path, char *err, size_t errlen);

/* The same from a buffer (fuzzing and tests); name is used as the path. */
struct lg_trace *lg_trace_parse(const char *name, const uint8_t *data, size_t size, char *err,
                                size_t errlen);

void lg_trace_free(struct lg_trace *t);

const struct lg_trace_stack *lg_trace_stack_by_id(const struct lg_trace *t, uint32_t id);
const struct lg_trace_thread *lg_trace_thread_by_id(const struct lg_trace *t, uint32_t id);
const struct lg_trace_lock *lg_trace_lock_by_id(const struct lg_trace *t, uint32_t id);

#endif
