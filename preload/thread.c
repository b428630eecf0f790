/* Per-thread state and the thread start trampoline; see thread.h. */
#define _GNU_SOURCE
#include "thread.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "arena.h"
#include "fork_locks.h"
#include "ilock.h"
#include "profile.h"
#include "table.h"

struct lg_caches lg_no_caches;

__thread struct lg_thread lg_self __attribute__((tls_model("initial-exec"))) = {.c = &lg_no_caches};

/* Blocks of threads that exited, emptied, for the next threads. */
static struct lg_caches *free_caches;
static struct lg_ilock free_caches_lock;

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
	lg_fork_register_lock(&free_caches_lock);
	return lg_table_init(&known, 12);
}

/* A zeroed block: one that a gone thread left, or fresh pages. Its own
 * mapping (not the arena) so that its pages can be given back. */
static struct lg_caches *caches_get(void)
{
	lg_ilock_lock(&free_caches_lock);
	struct lg_caches *c = free_caches;
	if (c)
		free_caches = c->next_free;
	lg_ilock_unlock(&free_caches_lock);
	if (c) {
		c->next_free = NULL;
		return c;
	}
	c = mmap(NULL, sizeof(*c), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return c == MAP_FAILED ? NULL : c;
}

static void caches_put(struct lg_caches *c)
{
	/* Private anonymous pages read back as zeroes after MADV_DONTNEED:
	 * the block is empty again and costs no memory while it waits. */
	madvise(c, sizeof(*c), MADV_DONTNEED);
	lg_ilock_lock(&free_caches_lock);
	c->next_free = free_caches;
	free_caches = c;
	lg_ilock_unlock(&free_caches_lock);
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

bool lg_thread_register(struct lg_thread *t)
{
	if (t->c != &lg_no_caches)
		return true;
	if (t->exited)
		return false;
	struct lg_caches *c = caches_get();
	if (!c)
		return false;
	if (!t->id) {
		/* Not created through pthread_create while lockgraph ran (the
		 * main thread, most often): known from now on. */
		t->id = lg_thread_new_id();
		lg_thread_known(pthread_self(), t->id);
	}
	t->os_tid = gettid();
	t->pthread = pthread_self();
	t->held = c->held;
	t->held_cap = LG_HELD_INLINE;
	t->scratch = c->scratch;
	t->scratch_cap = LG_HELD_INLINE;
	t->c = c;
	return true;
}

void lg_thread_exit(void)
{
	struct lg_thread *t = &lg_self;
	t->in_tool++;
	lg_profile_thread_end(t);
	t->exited = true;
	struct lg_caches *c = t->c;
	/* Locks still held stay owned in the lock records (a thread that
	 * exits holding a lock is a bug the wait-for check must still see);
	 * only this thread's own view of them goes. */
	t->c = &lg_no_caches;
	t->held = NULL;
	t->depth = t->held_cap = 0;
	t->scratch = NULL;
	t->scratch_cap = 0;
	if (c != &lg_no_caches)
		caches_put(c);
	t->in_tool--;
}

int lg_thread_grow_held(struct lg_thread *t)
{
	uint32_t cap = t->held_cap * 2;
	struct lg_held *bigger = lg_arena_alloc(cap * sizeof(*bigger));
	if (!bigger)
		return 0;
	/* The old array stays in the arena (or in the caches): deep nesting
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
	uintptr_t top = (uintptr_t)__builtin_frame_address(0);
	if (start.stack_lo)
		t->stack_lo = start.stack_lo;
	else if (start.stack_size && start.stack_size < top)
		/* glibc keeps the guard page, the thread descriptor and static
		 * TLS inside the requested size: count 16 KiB of it as taken. */
		t->stack_lo = top - start.stack_size + 16 * 1024;
	lg_thread_register(t);
	/* Its creator records it too, but perhaps only after it ran. */
	lg_thread_known(pthread_self(), t->id);
	t->in_tool = 0;
	return start;
}

static void exit_handler(void *unused)
{
	(void)unused;
	lg_thread_exit();
}

/* pthread_exit and cancellation unwind through the cleanup handler;
 * a return passes it with pthread_cleanup_pop(1). */
void *lg_thread_trampoline(void *arg)
{
	struct lg_thread_start start = begin(arg);
	pthread_sigmask(SIG_SETMASK, &start.sigmask, NULL);
	void *rc;
	pthread_cleanup_push(exit_handler, NULL);
	rc = start.fn(start.arg);
	pthread_cleanup_pop(1);
	return rc;
}

int lg_thread_trampoline_c11(void *arg)
{
	struct lg_thread_start start = begin(arg);
	pthread_sigmask(SIG_SETMASK, &start.sigmask, NULL);
	int rc;
	pthread_cleanup_push(exit_handler, NULL);
	rc = start.c11_fn(start.arg);
	pthread_cleanup_pop(1);
	return rc;
}

void lg_thread_fork_child(void)
{
	struct lg_thread *t = &lg_self;
	if (t->c != &lg_no_caches)
		memset(t->c->edge, 0, sizeof(t->c->edge));
	t->groups = NULL; /* the groups themselves are forgotten (edges.c) */
	t->groups_mask = t->groups_count = 0;
	if (t->id)
		t->os_tid = gettid();
}
