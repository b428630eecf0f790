/* Per-thread state and the thread start trampoline; see thread.h. */
#define _GNU_SOURCE
#include "thread.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"

__thread struct lg_thread lg_self __attribute__((tls_model("initial-exec")));

static _Atomic uint32_t next_thread_id;

void lg_thread_register(struct lg_thread *t)
{
	if (t->id)
		return;
	t->id = atomic_fetch_add(&next_thread_id, 1) + 1;
	t->os_tid = gettid();
	t->held = t->held_inline;
	t->held_cap = LG_HELD_INLINE;
	t->scratch = t->scratch_inline;
	t->scratch_cap = LG_HELD_INLINE;
}

int lg_thread_grow_held(struct lg_thread *t)
{
	uint32_t cap = t->held_cap * 2;
	struct lg_held *bigger = lg_arena_alloc(cap * sizeof(*bigger));
	if (!bigger)
		return 0;
	/* The old array stays in the arena (or is held_inline): deep nesting
	 * is rare, and arena memory is never freed. */
	memcpy(bigger, t->held, t->depth * sizeof(*bigger));
	t->held = bigger;
	t->held_cap = cap;
	return 1;
}

void *lg_thread_trampoline(void *arg)
{
	struct lg_thread_start start = *(struct lg_thread_start *)arg;
	free(arg);
	struct lg_thread *t = &lg_self;
	t->parent = start.parent;
	t->create_stack = start.create_stack;
	lg_thread_register(t);
	return start.fn(start.arg);
}

void lg_thread_fork_child(void)
{
	struct lg_thread *t = &lg_self;
	memset(t->edge_cache, 0, sizeof(t->edge_cache));
	memset(t->group_cache, 0, sizeof(t->group_cache));
	if (t->id)
		t->os_tid = gettid();
}
