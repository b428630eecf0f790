/* Builds trace files byte by byte for tests: exactly what the preload
 * would write, or deliberately broken. */
#ifndef LOCKGRAPH_TEST_TRACE_BUILDER_H
#define LOCKGRAPH_TEST_TRACE_BUILDER_H

#include <stddef.h>
#include <stdint.h>

struct tb {
	uint8_t *data;
	size_t len, cap;
};

struct tb_held {
	uint32_t lock;
	uint8_t flags;
};

void tb_raw(struct tb *b, const void *p, size_t n);
void tb_record(struct tb *b, uint16_t type, const void *payload, size_t n);
void tb_process(struct tb *b, uint32_t pid, const char *exe);
void tb_stack(struct tb *b, uint32_t id, uint64_t pc);
void tb_thread(struct tb *b, uint32_t id, uint32_t parent, const char *name);
/* The same, created at create_seq in the order of creations and joins. */
void tb_thread_at(struct tb *b, uint32_t id, uint32_t parent, uint64_t create_seq,
                  const char *name);
void tb_join(struct tb *b, uint32_t joiner, uint32_t joined, uint64_t seq);
void tb_lock(struct tb *b, uint32_t id, uint64_t address);
/* A lock created by an init call at init_stack (its class, by default). */
void tb_lock_init(struct tb *b, uint32_t id, uint64_t address, uint32_t init_stack);
/* Thread took inner (at inner_stack) while holding only outer (taken at
 * outer_stack), both exclusive. */
void tb_acquire_nested(struct tb *b, uint32_t thread, uint32_t outer, uint32_t outer_stack,
                       uint32_t inner, uint32_t inner_stack);
/* Thread took lock (flags: enum lg_acq_flags) holding the given locks, all
 * in exclusive mode, with stack id 1 everywhere. */
void tb_acquire(struct tb *b, uint32_t thread, uint32_t lock, uint8_t flags, const uint32_t *held,
                unsigned nheld);
/* A DEADLOCK record: thread i (ids threads[i]) waits for locks[i] and
 * holds locks[i-1] (cyclically), stack id 1 everywhere. */
void tb_deadlock(struct tb *b, const uint32_t *threads, const uint32_t *locks, unsigned n,
                 uint8_t flags);
/* The same with modes: `mode` for lock, held_modes[i] for held[i]. */
void tb_acquire_modes(struct tb *b, uint32_t thread, uint32_t lock, uint8_t mode, uint8_t flags,
                      const uint32_t *held, const uint8_t *held_modes, unsigned nheld);
void tb_end(struct tb *b);
void tb_free(struct tb *b);

/* A process with threads 1..nthreads and locks 1..nlocks already defined. */
void tb_standard(struct tb *b, unsigned nthreads, unsigned nlocks);

#endif
