/* Per-thread state and the thread start trampoline; see thread.h. */
#define _GNU_SOURCE
#include "thread.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "table.h"

__thread struct lg_thread lg_self __attribute__((tls_model("initial-exec")));

static _Atomic uint32_t next_thread_id;
static _Atomic uint64_t next_seq;

/* pthread_t -> thread id, for join and setname on other threads. A reused
 * pthread_t gets a newer node, which lookups find first. */
struct known_thread {
	struct lg_table_node node; /* key: the pthread_t */
	uint32_t id;
};

static struct lg_table known;

bool lg_threads_init(void)
{
	return lg_table_init(&known, 12);
}

uint32_t lg_thread_new_id(void)
{
	return atomic_fetch_add(&next_thread_id, 1) + 1;
}

uint64_t lg_thread_next_seq(void)
{
	return atomic_fetch_add(&next_seq, 1) + 1;
}

void lg_thread_known(pthread_t th, uint32_t id)
{
	struct known_thread *k = lg_arena_alloc(sizeof(*k));
	if (!k || !known.buckets)
		return;
	k->node.key = (uint64_t)th;
	k->id = id;
	lg_ilock_lock(&known.lock);
	lg_table_insert_locked(&known, &k->node);
	lg_ilock_unlock(&known.lock);
}

uint32_t lg_thread_id_of(pthread_t th)
{
	struct lg_table_node *n = lg_table_first(&known, (uint64_t)th);
	return n ? ((struct known_thread *)n)->id : 0;
}

void lg_thread_register(struct lg_thread *t)
{
	if (t->held)
		return;
	if (!t->id) {
		/* Not created through pthread_create while lockgraph ran (the
		 * main thread, most often): known from now on. */
		t->id = lg_thread_new_id();
		lg_thread_known(pthread_self(), t->id);
	}
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

/* The new thread learns who made it, when and where; the start block was
 * malloc'ed by the creating thread. */
static struct lg_thread_start begin(void *arg)
{
	struct lg_thread_start start = *(struct lg_thread_start *)arg;
	free(arg);
	struct lg_thread *t = &lg_self;
	t->in_tool = 1;
	t->id = start.id;
	t->parent = start.parent;
	t->create_seq = start.create_seq;
	t->create_stack = start.create_stack;
	lg_thread_register(t);
	/* Its creator records it too, but perhaps only after it ran. */
	lg_thread_known(pthread_self(), t->id);
	t->in_tool = 0;
	return start;
}

void *lg_thread_trampoline(void *arg)
{
	struct lg_thread_start start = begin(arg);
	return start.fn(start.arg);
}

int lg_thread_trampoline_c11(void *arg)
{
	struct lg_thread_start start = begin(arg);
	return start.c11_fn(start.arg);
}

void lg_thread_fork_child(void)
{
	struct lg_thread *t = &lg_self;
	memset(t->edge_cache, 0, sizeof(t->edge_cache));
	memset(t->group_cache, 0, sizeof(t->group_cache));
	if (t->id)
		t->os_tid = gettid();
}
