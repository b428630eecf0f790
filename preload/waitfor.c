/* The wait-for graph and actual deadlocks; see waitfor.h. Runs only for
 * contended lock calls, with t->in_tool set, never holding an internal lock
 * while it reads other threads' slots. */
#define _GNU_SOURCE
#include "waitfor.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "acquire.h"
#include "arena.h"
#include "options.h"
#include "stack_depot.h"
#include "thread.h"
#include "trace_format.h"
#include "trace_write.h"

/* Slots by thread id, in pages allocated on first use. */
#define PAGE_BITS  10
#define PAGE_SLOTS (1u << PAGE_BITS)
#define PAGES      4096
/* Longest cycle followed. */
#define MAX_CYCLE 64

static struct lg_wait_slot *_Atomic pages[PAGES];
/* A permanent deadlock was reported: later ones are not (one report per
 * process, like lockdep; with on_deadlock=wait the others stay stuck). */
static _Atomic int reported;
/* The last timed-out cycle recorded (its members' wait numbers): both ends
 * of a cycle may time out together, and it happened once. */
static _Atomic uint64_t last_timed_out;

uint64_t lg_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static struct lg_wait_slot *slot_of(uint32_t id)
{
	uint32_t page = id >> PAGE_BITS;
	if (page >= PAGES)
		return NULL;
	struct lg_wait_slot *p = atomic_load_explicit(&pages[page], memory_order_acquire);
	return p ? &p[id & (PAGE_SLOTS - 1)] : NULL;
}

static struct lg_wait_slot *own_slot(struct lg_thread *t)
{
	if (t->slot)
		return t->slot;
	uint32_t page = t->id >> PAGE_BITS;
	if (page >= PAGES)
		return NULL;
	if (!atomic_load_explicit(&pages[page], memory_order_acquire)) {
		struct lg_wait_slot *fresh = lg_arena_alloc(PAGE_SLOTS * sizeof(*fresh));
		struct lg_wait_slot *none = NULL;
		/* A lost race leaves the loser's page unused in the arena. */
		if (fresh)
			atomic_compare_exchange_strong(&pages[page], &none, fresh);
	}
	t->slot = slot_of(t->id);
	if (t->slot)
		t->slot->thread = t->id;
	return t->slot;
}

/* ---- publication: what a report needs about this thread's wait ---- */

static void publish(struct lg_thread *t)
{
	struct lg_wait_slot *s = t->slot;
	uint64_t seq = atomic_load_explicit(&s->seq, memory_order_relaxed);
	if (atomic_load_explicit(&s->published, memory_order_relaxed) == seq)
		return;
	if (!s->wait_stack)
		s->wait_stack = lg_stack_capture();
	if (s->holding_cap < t->depth) {
		uint32_t cap = t->held_cap;
		struct lg_wait_holding *bigger = lg_arena_alloc(cap * sizeof(*bigger));
		if (!bigger)
			return;
		s->holding = bigger; /* the old array stays in the arena */
		s->holding_cap = cap;
	}
	for (uint32_t i = 0; i < t->depth; i++) {
		struct lg_held *h = &t->held[i];
		if (!h->stack)
			h->stack = lg_stack_call_site(h->site);
		s->holding[i] = (struct lg_wait_holding){h->lock, h->stack, h->mode};
	}
	s->nholding = t->depth;
	pthread_getname_np(pthread_self(), s->name, sizeof(s->name));
	lg_trace_write_waiter(t, s);
	atomic_store_explicit(&s->published, seq, memory_order_release);
}

/* ---- finding and confirming a cycle through this thread ---- */

struct cycle {
	uint32_t n;
	struct lg_wait_slot *slot[MAX_CYCLE];
	struct lg_lock *lock[MAX_CYCLE]; /* slot[i] waits for lock[i], held by slot[i+1] */
	uint64_t seq[MAX_CYCLE];
};

/* The threads whose hold of l blocks a wait in `mode`: the exclusive owner,
 * and for an exclusive wait the (tracked) readers too. */
static unsigned blockers(const struct lg_lock *l, uint8_t mode, uint32_t *out)
{
	unsigned n = 0;
	uint32_t owner = atomic_load_explicit(&l->owner, memory_order_acquire);
	if (owner)
		out[n++] = owner;
	if (mode == LG_MODE_EXCLUSIVE && lg_lock_has_readers(l))
		for (int i = 0; i < LG_LOCK_READERS; i++) {
			uint32_t r = atomic_load_explicit(&l->readers->id[i], memory_order_acquire);
			if (r)
				out[n++] = r;
		}
	return n;
}

static bool holds(const struct lg_lock *l, uint32_t id)
{
	if (atomic_load_explicit(&l->owner, memory_order_acquire) == id)
		return true;
	for (int i = 0; i < LG_LOCK_READERS && lg_lock_has_readers(l); i++)
		if (atomic_load_explicit(&l->readers->id[i], memory_order_acquire) == id)
			return true;
	return false;
}

/* Depth-first from thread `cur` along waits (a wait for an rwlock held by
 * several readers waits for each of them); true when a path leads back to
 * t, leaving it in c. A cycle not through t is left to its own members. */
static bool search(struct lg_thread *t, struct cycle *c, uint32_t cur, unsigned *budget)
{
	struct lg_wait_slot *s = slot_of(cur);
	if (!s || c->n == MAX_CYCLE || *budget == 0)
		return false;
	(*budget)--;
	uint64_t seq = atomic_load_explicit(&s->seq, memory_order_acquire);
	struct lg_lock *l = atomic_load_explicit(&s->lock, memory_order_acquire);
	if (!(seq & 1) || !l)
		return false;
	c->slot[c->n] = s;
	c->lock[c->n] = l;
	c->seq[c->n] = seq;
	c->n++;
	uint32_t ids[LG_LOCK_READERS + 1];
	unsigned k = blockers(l, s->mode, ids);
	for (unsigned i = 0; i < k; i++) {
		if (ids[i] == t->id) {
			/* Waiting for a lock it holds itself counts only when the
			 * lock agrees (lockgraph's view could be stale). */
			if (c->n > 1 || s->relock)
				return true;
			continue;
		}
		bool on_path = false;
		for (uint32_t j = 0; j < c->n; j++)
			on_path |= c->slot[j]->thread == ids[i];
		if (!on_path && search(t, c, ids[i], budget))
			return true;
	}
	c->n--;
	return false;
}

static bool find_cycle(struct lg_thread *t, struct cycle *c)
{
	unsigned budget = 256;
	c->n = 0;
	return search(t, c, t->id, &budget);
}

/* Reads the holds again, then the waits: if nothing changed, every thread
 * was blocked on a lock the next one held at one instant (waitfor.h). */
static bool confirmed(const struct cycle *c)
{
	for (uint32_t i = 0; i < c->n; i++)
		if (!holds(c->lock[i], c->slot[(i + 1) % c->n]->thread))
			return false;
	for (uint32_t i = 0; i < c->n; i++)
		if (atomic_load_explicit(&c->slot[i]->seq, memory_order_acquire) != c->seq[i] ||
		    atomic_load_explicit(&c->slot[i]->lock, memory_order_acquire) != c->lock[i])
			return false;
	return true;
}

static bool all_published(const struct cycle *c)
{
	for (uint32_t i = 0; i < c->n; i++)
		if (atomic_load_explicit(&c->slot[i]->published, memory_order_acquire) != c->seq[i])
			return false;
	return true;
}

static bool has_timed_wait(const struct cycle *c)
{
	for (uint32_t i = 0; i < c->n; i++)
		if (c->slot[i]->flags & LG_ACQ_TIMED)
			return true;
	return false;
}

static uint64_t fingerprint(const struct cycle *c)
{
	uint64_t h = 0;
	for (uint32_t i = 0; i < c->n; i++)
		h += lg_mix64(((uint64_t)c->slot[i]->thread << 40) ^ c->seq[i]);
	return h | 1;
}

/* Copies every wait of the cycle into views (holdings into t's buffer),
 * then checks that no thread left its wait meanwhile: the copy is then one
 * consistent, published state. */
static bool snapshot(struct lg_thread *t, const struct cycle *c, struct lg_wait_view *views)
{
	uint32_t total = 0;
	for (uint32_t i = 0; i < c->n; i++)
		total += c->slot[i]->nholding;
	if (t->view_cap < total) {
		struct lg_wait_holding *bigger = lg_arena_alloc(total * 2 * sizeof(*bigger));
		if (!bigger)
			return false;
		t->view_holdings = bigger; /* the old buffer stays in the arena */
		t->view_cap = total * 2;
	}
	uint32_t used = 0;
	for (uint32_t i = 0; i < c->n; i++) {
		const struct lg_wait_slot *s = c->slot[i];
		struct lg_wait_view *v = &views[i];
		v->thread = s->thread;
		v->lock = c->lock[i];
		v->wait_stack = s->wait_stack;
		v->mode = s->mode;
		v->flags = s->flags;
		v->began_ns = s->began_ns;
		memcpy(v->name, s->name, sizeof(v->name));
		v->name[sizeof(v->name) - 1] = 0;
		uint32_t n = s->nholding;
		const struct lg_wait_holding *src = s->holding;
		if (n > total - used)
			return false; /* changed under us */
		memcpy(t->view_holdings + used, src, n * sizeof(*src));
		v->holding = t->view_holdings + used;
		v->nholding = n;
		used += n;
	}
	atomic_thread_fence(memory_order_acquire);
	for (uint32_t i = 0; i < c->n; i++)
		if (atomic_load_explicit(&c->slot[i]->seq, memory_order_acquire) != c->seq[i] ||
		    atomic_load_explicit(&c->slot[i]->published, memory_order_acquire) != c->seq[i])
			return false;
	return true;
}

/* ---- reporting ---- */

static const char *action_name(int action)
{
	switch ((enum lg_deadlock_action)action) {
	case LG_ACTION_EXIT:
		return "exit";
	case LG_ACTION_ABORT:
		return "abort";
	case LG_ACTION_WAIT:
		return "wait";
	case LG_ACTION_NONE:
		break;
	}
	return "none";
}

/* The stderr notice: short, in-process (no symbols here), and pointing at
 * the trace for the rest. */
static void notice(const struct lg_wait_view *v, uint32_t n, int action)
{
	char line[1024];
	size_t len = 0;
	len += (size_t)snprintf(line + len, sizeof(line) - len,
	                        "lockgraph: deadlock: %u thread%s stuck:", n,
	                        n == 1 ? " is" : "s are");
	for (uint32_t i = 0; i < n && len < sizeof(line) - 128; i++) {
		const struct lg_wait_view *s = &v[i];
		const struct lg_wait_view *holder = &v[(i + 1) % n];
		if (holder == s)
			len += (size_t)snprintf(
			        line + len, sizeof(line) - len,
			        " T%u '%s' waits for lock %p, which it holds itself", s->thread,
			        s->name, (void *)s->lock->node.key);
		else
			len += (size_t)snprintf(line + len, sizeof(line) - len,
			                        "%s T%u '%s' waits for lock %p held by T%u '%s'",
			                        i ? ";" : "", s->thread, s->name,
			                        (void *)s->lock->node.key, holder->thread,
			                        holder->name);
	}
	lg_say("%s", line);
	if (action == LG_ACTION_EXIT)
		lg_say("lockgraph: deadlock: details in '%s'; exiting with status %d "
		       "(on_deadlock=exit)",
		       lg_trace_path(), lg_opts.exitcode);
	else
		lg_say("lockgraph: deadlock: details in '%s'; on_deadlock=%s", lg_trace_path(),
		       action_name(action));
}

static void report(const struct lg_wait_view *v, uint32_t n, uint8_t flags, int action)
{
	uint64_t formed = 0;
	for (uint32_t i = 0; i < n; i++)
		if (v[i].began_ns > formed)
			formed = v[i].began_ns;
	lg_trace_write_deadlock(v, n, formed, lg_now_ns(), flags, (uint8_t)action);
	if (action == LG_ACTION_NONE)
		return;
	notice(v, n, action);
	switch ((enum lg_deadlock_action)action) {
	case LG_ACTION_EXIT:
		/* _exit: atexit handlers and destructors could need the very
		 * locks the stuck threads hold. */
		lg_trace_end(LG_END_DEADLOCK, lg_opts.exitcode);
		/* The system call itself: a program's own _exit wrapper (or
		 * ours) must not run. */
		syscall(SYS_exit_group, lg_opts.exitcode);
		_exit(lg_opts.exitcode); /* not reached */
	case LG_ACTION_ABORT:
		lg_trace_end(LG_END_DEADLOCK, -1);
		abort();
	case LG_ACTION_WAIT:
	case LG_ACTION_NONE:
		break;
	}
}

/* Looks for a cycle through t's wait and acts on it. timed_out: t's own
 * timed wait just gave up. */
static void check(struct lg_thread *t, bool timed_out)
{
	if (atomic_load_explicit(&reported, memory_order_relaxed))
		return;
	struct cycle c;
	if (!find_cycle(t, &c) || !confirmed(&c))
		return;
	publish(t);
	bool timed = has_timed_wait(&c);
	if (timed && !timed_out)
		return; /* a timeout will break it; recorded then */
	if (!all_published(&c))
		return; /* the others publish after their first slice */
	struct lg_wait_view views[MAX_CYCLE];
	if (!snapshot(t, &c, views))
		return;
	if (timed) {
		uint64_t fp = fingerprint(&c);
		if (atomic_exchange(&last_timed_out, fp) != fp)
			report(views, c.n, LG_DEADLOCK_TIMED_OUT, LG_ACTION_NONE);
		return;
	}
	int expected = 0;
	if (atomic_compare_exchange_strong(&reported, &expected, 1))
		report(views, c.n, 0, lg_opts.on_deadlock);
}

/* ---- the wait's life ---- */

void lg_wait_begin(struct lg_thread *t, struct lg_lock *l, uint8_t mode, uint8_t flags,
                   struct lg_stack *stack, bool relock, uint64_t deadline_ns)
{
	int saved_errno = errno;
	struct lg_wait_slot *s = own_slot(t);
	if (s) {
		s->mode = mode;
		s->flags = flags & LG_ACQ_TIMED;
		s->warned = false;
		s->relock = relock;
		s->began_ns = lg_now_ns();
		s->deadline_ns = deadline_ns;
		s->wait_stack = stack;
		t->wait_slices = 0;
		atomic_store_explicit(&s->lock, l, memory_order_relaxed);
		/* now odd: waiting */
		atomic_fetch_add_explicit(&s->seq, 1, memory_order_release);
		check(t, false);
	}
	errno = saved_errno;
}

uint64_t lg_wait_next_slice_ns(struct lg_thread *t)
{
	static const uint64_t ms = 1000000;
	static const uint64_t schedule[] = {2 * ms, 8 * ms, 20 * ms, 40 * ms, 80 * ms};
	unsigned n = t->wait_slices;
	uint64_t slice = n < sizeof(schedule) / sizeof(schedule[0]) ? schedule[n] : 100 * ms;
	struct lg_wait_slot *s = t->slot;
	if (!s)
		return 100 * ms;
	uint64_t now = lg_now_ns();
	/* A timed wait publishes by half its time at the latest, so a cycle
	 * its timeout breaks is recorded with every thread's stacks. */
	if (s->deadline_ns && n == 0 && s->deadline_ns > now && (s->deadline_ns - now) / 2 < slice)
		slice = (s->deadline_ns - now) / 2 + 1;
	if (lg_opts.wait_warn_ms && !s->warned) {
		uint64_t warn_at = s->began_ns + (uint64_t)lg_opts.wait_warn_ms * ms;
		if (warn_at > now && warn_at - now < slice)
			slice = warn_at - now;
	}
	return slice;
}

/* The wait passed wait_warn_ms: note who holds the lock (and where they
 * took it, if they are waiting too and published it; a running thread's
 * state is not read). The record is written when the wait ends, with its
 * whole length. */
static void note_long_wait(struct lg_thread *t, struct lg_wait_slot *s)
{
	s->warned = true;
	publish(t);
	struct lg_lock *l = atomic_load_explicit(&s->lock, memory_order_relaxed);
	uint32_t holder = atomic_load_explicit(&l->owner, memory_order_acquire);
	s->warn_holder = holder;
	s->warn_holder_stack = NULL;
	struct lg_wait_slot *hs = holder ? slot_of(holder) : NULL;
	if (!hs)
		return;
	uint64_t seq = atomic_load_explicit(&hs->seq, memory_order_acquire);
	struct lg_stack *found = NULL;
	if ((seq & 1) && atomic_load_explicit(&hs->published, memory_order_acquire) == seq)
		for (uint32_t i = 0; i < hs->nholding; i++)
			if (hs->holding[i].lock == l)
				found = hs->holding[i].stack;
	if (atomic_load_explicit(&hs->seq, memory_order_acquire) == seq)
		s->warn_holder_stack = found;
}

void lg_wait_slice(struct lg_thread *t)
{
	int saved_errno = errno;
	struct lg_wait_slot *s = t->slot;
	t->wait_slices++;
	if (s) {
		publish(t);
		if (lg_opts.wait_warn_ms && !s->warned &&
		    lg_now_ns() - s->began_ns >= (uint64_t)lg_opts.wait_warn_ms * 1000000u)
			note_long_wait(t, s);
		check(t, false);
	}
	errno = saved_errno;
}

void lg_wait_timed_out(struct lg_thread *t)
{
	int saved_errno = errno;
	if (t->slot)
		check(t, true);
	errno = saved_errno;
}

void lg_wait_end(struct lg_thread *t)
{
	struct lg_wait_slot *s = t->slot;
	if (!s || !(atomic_load_explicit(&s->seq, memory_order_relaxed) & 1))
		return;
	struct lg_lock *l = atomic_load_explicit(&s->lock, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->seq, 1, memory_order_release); /* even: not waiting */
	atomic_store_explicit(&s->lock, NULL, memory_order_relaxed);
	if (s->warned) {
		int saved_errno = errno;
		lg_trace_write_long(LG_REC_LONG_WAIT, t, l, s->wait_stack, s->warn_holder,
		                    s->warn_holder_stack, lg_now_ns() - s->began_ns);
		errno = saved_errno;
	}
}

void lg_wait_fork_child(void)
{
	for (uint32_t p = 0; p < PAGES; p++) {
		struct lg_wait_slot *page = atomic_load_explicit(&pages[p], memory_order_relaxed);
		for (uint32_t i = 0; page && i < PAGE_SLOTS; i++) {
			uint64_t seq = atomic_load_explicit(&page[i].seq, memory_order_relaxed);
			if (seq & 1)
				atomic_store_explicit(&page[i].seq, seq + 1, memory_order_relaxed);
			atomic_store_explicit(&page[i].lock, NULL, memory_order_relaxed);
		}
	}
	atomic_store(&reported, 0);
}
