/* The trace writer: one file per process in the output directory, records
 * appended with one write(2) each (trace_format.h). Everything written here
 * is rare (something new was seen), so each record is its own system call
 * and nothing is buffered: a process killed at any point loses nothing it
 * had recorded. The trace lock is the innermost internal lock. */
#ifndef LOCKGRAPH_TRACE_WRITE_H
#define LOCKGRAPH_TRACE_WRITE_H

#include <stdbool.h>
#include <stdint.h>

struct lg_thread;
struct lg_lock;
struct lg_stack;
struct lg_module;
struct lg_held;

/* Creates the output directory if needed and this process's trace file,
 * and writes the PROCESS record. On failure prints one warning to stderr
 * and returns false; lockgraph then records nothing. */
bool lg_trace_open(void);

/* Path of the open trace ("" if none). */
const char *lg_trace_path(void);

void lg_trace_write_module(struct lg_module *m);

/* Thread t (the caller) took l while holding held[0..nheld): writes the
 * ACQUIRE record, preceded by whatever thread, lock and stack records it
 * refers to that this trace does not have yet. With only (sorted lock ids,
 * may be NULL) just the held locks listed there are written. */
void lg_trace_write_acquire(struct lg_thread *t, struct lg_lock *l, struct lg_stack *stack,
                            uint8_t mode, uint8_t flags, const struct lg_held *held, unsigned nheld,
                            const uint32_t *only, uint32_t nonly);

struct lg_wait_slot;

/* The records a report of thread t's current wait (slot s) refers to:
 * t's thread record, the lock it waits for, its holdings, their stacks. */
void lg_trace_write_waiter(struct lg_thread *t, struct lg_wait_slot *s);

/* A DEADLOCK record for the waits v[0..n), each thread waiting for a lock
 * the next one holds; their waits were published (lg_trace_write_waiter). */
struct lg_wait_view;
void lg_trace_write_deadlock(const struct lg_wait_view *v, uint32_t n, uint64_t formed_ns,
                             uint64_t detected_ns, uint8_t flags, uint8_t action);

/* A LONG_WAIT or LONG_HOLD record (thread t, lock l, its stack; the other
 * thread and stack, see struct lg_rec_long). */
void lg_trace_write_long(uint16_t type, struct lg_thread *t, struct lg_lock *l,
                         struct lg_stack *stack, uint32_t other_thread,
                         struct lg_stack *other_stack, uint64_t duration_ns);

/* Thread t (the caller) joined thread `joined`, at seq in the order of
 * creations and joins. */
void lg_trace_write_join(struct lg_thread *t, uint32_t joined, uint64_t seq);

/* Thread `id` is now called name: a THREAD_NAME record, when a THREAD
 * record may already carry its old name. */
void lg_trace_write_thread_name(uint32_t id, const char *name);

/* Profile counts, for lg_trace_write_profile. */
struct lg_profile_counts {
	uint64_t acquisitions, contended, wait_ns, wait_max_ns, hold_ns, hold_max_ns;
};

/* A PROFILE record: thread t's counts for lock l taken at site_stack.
 * lock_type is l's mutex type (lg_trace_lock_type, read while l was alive:
 * by now it may be gone). t need not be the calling thread. */
void lg_trace_write_profile(struct lg_thread *t, struct lg_lock *l, uint8_t lock_type,
                            struct lg_stack *site_stack, const struct lg_profile_counts *c);

/* The type flags of lock l (enum lg_lock_flags: recursive, robust...),
 * read from the lock object, which must be alive. */
uint8_t lg_trace_lock_type(const struct lg_lock *l);

/* One line on stderr, for what the user must see now. */
void lg_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A WARNING record; printf-style message. */
void lg_trace_warn(uint32_t code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The END record: the process is ending (how: enum lg_end_how; status,
 * or -1 when not known). Written only by the process that opened the
 * trace (not by a vfork child, which shares its memory and descriptors). */
void lg_trace_end(uint32_t how, int status);

/* In a forked child: start the child's own trace file (new epoch, so every
 * thread, lock, stack and module is written again when used). */
void lg_trace_fork_child(void);

/* Initialization: registers the trace lock for fork(). */
void lg_trace_init(void);

#endif
