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

/* A WARNING record; printf-style message. */
void lg_trace_warn(uint32_t code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The END record: the process is exiting normally. */
void lg_trace_end(void);

/* In a forked child: start the child's own trace file (new epoch, so every
 * thread, lock, stack and module is written again when used). */
void lg_trace_fork_child(void);

/* Initialization: registers the trace lock for fork(). */
void lg_trace_init(void);

#endif
