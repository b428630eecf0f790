/* The slow path of an acquisition (see acquire.h): registering the thread,
 * creating lock and site records, capturing stacks, and recording new
 * lock-order edges. Runs with t->in_tool set; keeps errno as it found it. */
#include "acquire.h"

#include <errno.h>

#include "arena.h"
#include "edges.h"
#include "profile.h"
#include "stack_depot.h"
#include "trace_write.h"

static void sort_ids(uint32_t *ids, uint32_t n)
{
	/* Insertion sort: held sets are small, and this runs only on misses. */
	for (uint32_t i = 1; i < n; i++) {
		uint32_t v = ids[i], j = i;
		for (; j > 0 && ids[j - 1] > v; j--)
			ids[j] = ids[j - 1];
		ids[j] = v;
	}
}

/* Records the edges from every held lock to l, if any gains a witness.
 * *stack is the acquisition's stack, captured here if still missing and
 * needed. */
static void record_edges(struct lg_thread *t, struct lg_lock *l, uint8_t mode, uint8_t flags,
                         struct lg_stack **stack)
{
	if (t->scratch_cap < t->depth) {
		/* Deep nesting: the old buffer stays in the arena. */
		uint32_t cap = t->held_cap;
		uint32_t *bigger = lg_arena_alloc(cap * sizeof(uint32_t));
		if (!bigger)
			return;
		t->scratch = bigger;
		t->scratch_cap = cap;
	}
	uint32_t *ids = t->scratch;
	for (uint32_t i = 0; i < t->depth; i++)
		ids[i] = t->held[i].lock->id;
	sort_ids(ids, t->depth);
	struct lg_edges_news *news = &t->news;
	if (lg_edges_known(t, l->id, mode, flags, ids, t->depth))
		return;
	lg_edges_record(t, l->id, mode, flags, ids, news);
	if (!news->witnessed && !news->nsummaries)
		return;
	if (!*stack)
		*stack = lg_stack_capture();
	for (uint32_t i = 0; i < t->depth; i++) {
		struct lg_held *h = &t->held[i];
		if (!h->stack)
			h->stack = lg_stack_call_site(h->site);
		/* Next time a lock is taken here, capture its whole stack: the
		 * site nests, and (for this thread) is not settled. */
		bool created;
		struct lg_site *s = lg_sites_get(h->site, &created);
		if (s)
			atomic_store_explicit(&s->nesting, 1, memory_order_relaxed);
		unsigned slot = lg_site_slot(h->site);
		if (t->c->site[slot] == s)
			t->c->site_unused[slot] = 0;
	}
	if (news->witnessed)
		lg_trace_write_acquire(t, l, *stack, mode, flags, t->held, t->depth, NULL, 0);
	for (uint32_t k = 0, at = 0; k < news->nsummaries; k++) {
		uint32_t n = news->ids[at];
		lg_trace_write_acquire(t, l, *stack, mode, flags | LG_ACQ_SUMMARY, t->held,
		                       t->depth, news->ids + at + 1, n);
		at += 1 + n;
	}
}

void lg_acquired_slow(struct lg_thread *t, uintptr_t addr, uintptr_t site, uint8_t kind,
                      uint8_t mode, uint8_t flags)
{
	int saved_errno = errno;
	if (!lg_stack_room(t, LG_SLOW_ROOM) || !lg_thread_register(t))
		goto out;
	struct lg_held *h = lg_held_find(t, addr);
	if (h) {
		h->count++;
		goto out;
	}
	if (t->depth == t->held_cap && !lg_thread_grow_held(t))
		goto out;

	struct lg_lock *l = lg_lock_of(t, addr, kind);
	if (!l)
		goto out;

	struct lg_stack *stack = NULL;
	if (!atomic_load_explicit(&l->first_stack, memory_order_acquire)) {
		/* A lock created by an init call is named by where it was
		 * created; where it was first taken only adds a line, so
		 * that costs no unwind (a program that creates a lock per
		 * request would pay two per lock). */
		struct lg_stack *first;
		if (l->flags & LG_LOCK_INITIALIZED)
			first = lg_stack_call_site(site);
		else
			first = stack = lg_stack_capture();
		uint32_t none = 0;
		atomic_store_explicit(&l->first_thread, t->id, memory_order_relaxed);
		atomic_compare_exchange_strong(&l->first_stack, &none, lg_stack_id(first));
	}

	unsigned slot = lg_site_slot(site);
	struct lg_site *s = t->c->site[slot];
	if (!s || s->node.key != site) {
		bool created;
		s = lg_sites_get(site, &created);
		if (s) {
			t->c->site[slot] = s;
			t->c->site_unused[slot] = 0;
		}
		if (created && !stack)
			stack = lg_stack_capture();
	}
	if (s && atomic_load_explicit(&s->nesting, memory_order_relaxed) && !stack &&
	    t->c->site_unused[slot] < LG_SITE_SETTLED) {
		stack = lg_stack_capture();
		t->c->site_unused[slot]++;
	}

	lg_record_order(t, l, mode, flags, &stack);
	lg_held_push(t, l, stack, site, mode, flags);
out:
	errno = saved_errno;
}

struct lg_lock *lg_lock_of(struct lg_thread *t, uintptr_t addr, uint8_t kind)
{
	struct lg_lock *l = t->c->lock[lg_lock_slot(addr)];
	if (!l || !lg_lock_live(l, addr)) {
		l = lg_lock_table_get(addr, kind);
		if (l && t->c != &lg_no_caches)
			t->c->lock[lg_lock_slot(addr)] = l;
	}
	return l;
}

void lg_record_order(struct lg_thread *t, struct lg_lock *l, uint8_t mode, uint8_t flags,
                     struct lg_stack **stack)
{
	if (!t->depth)
		return;
	uint64_t key = lg_edge_key(t, l, mode, flags);
	if (lg_edge_cached(t, key))
		return;
	record_edges(t, l, mode, flags, stack);
	/* The newest key goes first; the oldest of the set falls out. */
	uint64_t *set = lg_edge_set(t, key);
	memmove(set + 1, set, (LG_EDGE_WAYS - 1) * sizeof(*set));
	set[0] = key;
}

void lg_hold_starting(struct lg_thread *t, struct lg_held *h)
{
	h->taken = lg_ticks();
	h->wait = t->pending_wait;
	h->contended = t->pending_contended;
	t->pending_wait = 0;
	t->pending_contended = false;
}

void lg_hold_ending(struct lg_thread *t, struct lg_held *h)
{
	uint64_t held = lg_ticks() - h->taken;
	int saved_errno = errno;
	if (lg_opts.profile)
		lg_profile_add(t, h->lock, h->site, held, h->wait, h->contended);
	if (lg_opts.hold_warn_ms) {
		uint64_t held_ns = lg_profile_ticks_to_ns(held);
		if (held_ns >= (uint64_t)lg_opts.hold_warn_ms * 1000000u) {
			if (!h->stack)
				h->stack = lg_stack_call_site(h->site);
			lg_trace_write_long(LG_REC_LONG_HOLD, t, h->lock, h->stack, 0,
			                    lg_stack_capture(), held_ns);
		}
	}
	errno = saved_errno;
}

void lg_released_unheld(uintptr_t addr)
{
	struct lg_lock *l = lg_lock_table_find(addr);
	if (l)
		atomic_store_explicit(&l->owner, 0, memory_order_release);
}

void lg_lock_reinit(uintptr_t addr, uint8_t kind, int destroyed)
{
	int saved_errno = errno;
	if (destroyed)
		lg_lock_table_retire(addr);
	else
		lg_lock_table_init_at(addr, kind, lg_stack_id(lg_stack_capture()));
	errno = saved_errno;
}
