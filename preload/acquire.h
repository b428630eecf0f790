/* What happens after a lock was taken and before it is released: the
 * held-lock stack, lock-order edges, and the decision to capture a stack.
 *
 * The fast path (inline, called by every wrapper) touches only the calling
 * thread's state: a lock-cache hit, a site-cache hit on a site that does not
 * nest, and, when other locks are held, an edge-cache hit for this exact
 * (lock, mode, held set). Anything else, including a thread's first call,
 * goes to lg_acquired_slow. Callers set t->in_tool around both. */
#ifndef LOCKGRAPH_ACQUIRE_H
#define LOCKGRAPH_ACQUIRE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "lock_table.h"
#include "options.h"
#include "sites.h"
#include "table.h"
#include "thread.h"
#include "trace_format.h"
#include "waitfor.h"

#define LG_LIKELY(x)   __builtin_expect(!!(x), 1)
#define LG_UNLIKELY(x) __builtin_expect(!!(x), 0)
/* For the fast path: one function per wrapper, no calls but the real one. */
#define LG_FAST static inline __attribute__((always_inline))

void lg_acquired_slow(struct lg_thread *t, uintptr_t addr, uintptr_t site, uint8_t kind,
                      uint8_t mode, uint8_t flags);

/* With lg_opts.timing (hold_warn_ms, profile): h was just pushed, and is
 * about to be released: a long hold is recorded, the profile counts it. */
void lg_hold_starting(struct lg_thread *t, struct lg_held *h);
void lg_hold_ending(struct lg_thread *t, struct lg_held *h);

/* An unlock of a lock this thread is not known to hold (taken by another
 * thread, or before lockgraph started): whoever lockgraph thought held it
 * does not any more. */
void lg_released_unheld(uintptr_t addr);

/* The lock record for addr, through this thread's cache; NULL when out of
 * memory. */
struct lg_lock *lg_lock_of(struct lg_thread *t, uintptr_t addr, uint8_t kind);

/* Records the lock-order edges of taking l while holding the thread's
 * held locks, if any is new; *stack is the acquisition's stack, captured
 * if needed. Used when a lock is taken, and when a thread starts waiting
 * for one (the order is a fact before the wait ends, or if it never does). */
void lg_record_order(struct lg_thread *t, struct lg_lock *l, uint8_t mode, uint8_t flags,
                     struct lg_stack **stack);

/* Identity of a held lock inside the held-set hash: the id times an odd
 * 64-bit constant (Fibonacci hashing) spreads ids over all 64 bits, one
 * multiply, and no two ids below 2^32 meet even with the modes (1, 2)
 * added. Not stored in the lock record, which stays small. */
static inline uint64_t lg_held_key(const struct lg_lock *l, uint8_t mode)
{
	return (uint64_t)l->id * 0x9e3779b97f4a7c15ULL + mode;
}

/* The edge-cache key of taking l in mode/flags while holding the current
 * held set; never 0 (an empty slot). The rotation keeps "A held, taking B"
 * and "B held, taking A" apart (x ^ rotl(x) only repeats for x and ~x), and
 * XOR of random-looking keys needs no further mixing. */
static inline uint64_t lg_edge_key(const struct lg_thread *t, const struct lg_lock *l, uint8_t mode,
                                   uint8_t flags)
{
	uint64_t k = lg_held_key(l, mode);
	return (t->held_hash ^ ((k << 29) | (k >> 35)) ^ ((uint64_t)(flags & LG_ACQ_TRY) << 33)) |
	       1;
}

/* The edge cache is set-associative: a key lives in any of the
 * LG_EDGE_WAYS slots of its set (one cache line), newest first, so a
 * thread cycling through many acquisitions (a ring of a thousand locks)
 * does not evict its own keys on every round. */
static inline uint64_t *lg_edge_set(const struct lg_thread *t, uint64_t key)
{
	return &t->c->edge[(key >> 3) & (LG_EDGE_CACHE - LG_EDGE_WAYS)];
}

LG_FAST bool lg_edge_cached(const struct lg_thread *t, uint64_t key)
{
	const uint64_t *set = lg_edge_set(t, key);
	for (unsigned i = 0; i < LG_EDGE_WAYS; i++)
		if (set[i] == key)
			return true;
	return false;
}

/* Fibonacci hashing: the locks of an array (addresses in arithmetic
 * progression, the common case for many locks) spread almost evenly over
 * the cache, with no collisions while there are fewer than slots. */
static inline unsigned lg_lock_slot(uintptr_t addr)
{
	return (unsigned)(((uint64_t)(addr >> 3) * 0x9e3779b97f4a7c15ULL) >>
	                  (64 - __builtin_ctz(LG_LOCK_CACHE)));
}

static inline unsigned lg_site_slot(uintptr_t site)
{
	return (unsigned)((site >> 2) ^ (site >> 11)) & (LG_SITE_CACHE - 1);
}

/* *to = *from, field by field as lg_held_push wrote them: from was most
 * likely pushed a moment ago, and the wide loads of a struct copy can not
 * take their data from those narrower stores still on their way to the
 * cache (a store-forwarding stall, most of a hand-over-hand unlock). */
LG_FAST void lg_held_move(struct lg_held *to, const struct lg_held *from)
{
	to->addr = from->addr;
	to->lock = from->lock;
	to->key = from->key;
	to->stack = from->stack;
	to->site = from->site;
	to->count = from->count;
	to->mode = from->mode;
	to->flags = from->flags;
	to->contended = from->contended;
	to->taken = from->taken;
	to->wait = from->wait;
}

LG_FAST struct lg_held *lg_held_find(struct lg_thread *t, uintptr_t addr)
{
	for (uint32_t i = t->depth; i-- > 0;)
		if (t->held[i].addr == addr)
			return &t->held[i];
	return 0;
}

static inline void lg_held_push(struct lg_thread *t, struct lg_lock *l, struct lg_stack *stack,
                                uintptr_t site, uint8_t mode, uint8_t flags)
{
	struct lg_held *h = &t->held[t->depth++];
	h->addr = l->node.key;
	h->lock = l;
	h->key = lg_held_key(l, mode);
	h->stack = stack;
	h->site = site;
	h->count = 1;
	h->mode = mode;
	h->flags = flags;
	t->held_hash ^= h->key;
	lg_lock_hold(l, t->id, mode);
	if (LG_UNLIKELY(lg_opts.timing))
		lg_hold_starting(t, h);
}

LG_FAST void lg_acquired(uintptr_t addr, uintptr_t site, uint8_t kind, uint8_t mode, uint8_t flags)
{
	struct lg_thread *t = &lg_self;
	struct lg_caches *c = t->c;
	struct lg_lock *l = c->lock[lg_lock_slot(addr)];
	unsigned slot = lg_site_slot(site);
	struct lg_site *s = c->site[slot];
	if (LG_UNLIKELY(!l || !lg_lock_live(l, addr) || !s || s->node.key != site ||
	                (atomic_load_explicit(&s->nesting, memory_order_relaxed) &&
	                 c->site_unused[slot] < LG_SITE_SETTLED) ||
	                t->depth == t->held_cap))
		goto slow;
	if (t->depth) {
		struct lg_held *h = lg_held_find(t, addr);
		if (h) { /* a recursive mutex re-entered: not an acquisition */
			h->count++;
			return;
		}
		if (!lg_edge_cached(t, lg_edge_key(t, l, mode, flags)))
			goto slow;
	}
	lg_held_push(t, l, 0, site, mode, flags);
	return;
slow:
	lg_acquired_slow(t, addr, site, kind, mode, flags);
}

/* The thread is about to release the lock at addr. A lock it is not known to
 * hold (taken before lockgraph started, or by a call lockgraph does not
 * wrap) is ignored. */
LG_FAST void lg_releasing(uintptr_t addr)
{
	struct lg_thread *t = &lg_self;
	struct lg_held *h = lg_held_find(t, addr);
	if (LG_UNLIKELY(!h)) {
		lg_released_unheld(addr);
		return;
	}
	if (--h->count)
		return;
	if (LG_UNLIKELY(lg_opts.timing))
		lg_hold_ending(t, h);
	lg_lock_unhold(h->lock, t->id, h->mode);
	t->held_hash ^= h->key;
	struct lg_held *end = &t->held[--t->depth];
	if (h + 1 == end) /* hand-over-hand locking: no memmove call */
		lg_held_move(h, end);
	else if (h < end)
		memmove(h, h + 1, (size_t)(end - h) * sizeof(*h));
}

/* An init or destroy call: the lock must not be found in this thread's
 * caches under its old identity. */
void lg_lock_reinit(uintptr_t addr, uint8_t kind, int destroyed);

#endif
