/* Stacks: captured with libunwind only when something new is seen, and
 * stored once each (the depot), so a trace carries every distinct stack one
 * time and records refer to it by id. */
#ifndef LOCKGRAPH_STACK_DEPOT_H
#define LOCKGRAPH_STACK_DEPOT_H

#include <stdbool.h>
#include <stdint.h>

#include "table.h"

struct lg_stack {
	struct lg_table_node node; /* key: hash of flags and frames */
	uint32_t id;
	uint16_t nframes;
	uint16_t flags;         /* enum lg_stack_flags */
	uint32_t written_epoch; /* trace epoch it was written in (trace lock) */
	uint64_t pcs[];         /* return addresses, innermost first */
};

bool lg_stack_depot_init(void);

/* The caller's stack, without lockgraph's own frames: frame 0 is the return
 * address into the code that called the interposed function. NULL only when
 * out of memory. Costs one unwind (tens of ns per frame): slow paths only. */
struct lg_stack *lg_stack_capture(void);

/* A one-frame stack holding only a call site, for a lock whose full stack
 * was not captured when it was taken (flag LG_STACK_CALL_SITE_ONLY). */
struct lg_stack *lg_stack_call_site(uintptr_t pc);

/* The stack with this id, NULL for 0. */
struct lg_stack *lg_stack_of_id(uint32_t id);

/* Its id, 0 for NULL (no stack). */
static inline uint32_t lg_stack_id(const struct lg_stack *s)
{
	return s ? s->id : 0;
}

uint64_t lg_stack_count(void);

#endif
