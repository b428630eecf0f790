/* See profile.h. Each thread's table is its own: only the thread adds to
 * it, so counting needs no atomics; the process-end write reads other
 * threads' counters as they are (aligned 64-bit loads, never torn). */
#include "profile.h"

#include <stdatomic.h>
#include <string.h>

#include "arena.h"
#include "fork_locks.h"
#include "ilock.h"
#include "lock_table.h"
#include "options.h"
#include "stack_depot.h"
#include "table.h"
#include "thread.h"
#include "trace_write.h"

struct entry {
	struct lg_lock *lock; /* NULL: an empty slot */
	uintptr_t site;
	uint8_t lock_type; /* the mutex type flags, read while the lock was alive */
	uint64_t acquisitions, contended;
	uint64_t wait, wait_max, hold, hold_max; /* ticks */
};

struct lg_profile_table {
	struct entry *_Atomic slots; /* grown by a new array (the old stays valid) */
	uint32_t mask, count;
	struct lg_thread *owner;              /* its TLS record, valid while it runs */
	struct lg_profile_table *next, *prev; /* live tables (registry lock) */
	struct lg_profile_table *next_free;
};

/* Tables of running threads, and tables of ended threads for reuse. */
static struct lg_profile_table *live, *free_tables;
static struct lg_ilock registry_lock;
static uint64_t anchor_ticks, anchor_ns;

void lg_profile_init(void)
{
	lg_fork_register_lock(&registry_lock);
	anchor_ns = lg_now_ns();
	anchor_ticks = lg_ticks();
}

static struct lg_profile_table *table_of(struct lg_thread *t)
{
	if (t->profile)
		return t->profile;
	lg_ilock_lock(&registry_lock);
	struct lg_profile_table *p = free_tables;
	if (p)
		free_tables = p->next_free;
	lg_ilock_unlock(&registry_lock);
	if (!p) {
		p = lg_arena_alloc(sizeof(*p));
		if (!p)
			return NULL;
	}
	p->next_free = NULL;
	p->owner = t;
	lg_ilock_lock(&registry_lock);
	p->prev = NULL;
	p->next = live;
	if (live)
		live->prev = p;
	live = p;
	lg_ilock_unlock(&registry_lock);
	t->profile = p;
	return p;
}

static unsigned slot_of(const struct lg_lock *l, uintptr_t site, uint32_t mask)
{
	return (unsigned)(lg_mix64(l->id ^ site) & mask);
}

/* The entry for (l, site), added if new; NULL when out of memory. */
static struct entry *entry_of(struct lg_profile_table *p, struct lg_lock *l, uintptr_t site)
{
	struct entry *slots = atomic_load_explicit(&p->slots, memory_order_relaxed);
	if (slots) {
		for (unsigned i = slot_of(l, site, p->mask);; i = (i + 1) & p->mask) {
			if (slots[i].lock == l && slots[i].site == site)
				return &slots[i];
			if (!slots[i].lock)
				break;
		}
	}
	if (!slots || 2 * (p->count + 1) > p->mask + 1) {
		uint32_t size = slots ? 2 * (p->mask + 1) : 16;
		struct entry *bigger = lg_arena_alloc(size * sizeof(*bigger));
		if (!bigger)
			return NULL;
		for (uint32_t i = 0; slots && i <= p->mask; i++) {
			if (!slots[i].lock)
				continue;
			unsigned j = slot_of(slots[i].lock, slots[i].site, size - 1);
			while (bigger[j].lock)
				j = (j + 1) & (size - 1);
			bigger[j] = slots[i];
		}
		p->mask = size - 1;
		/* A process-end reader sees the old array or the whole new one. */
		atomic_store_explicit(&p->slots, bigger, memory_order_release);
		slots = bigger;
	}
	unsigned i = slot_of(l, site, p->mask);
	while (slots[i].lock)
		i = (i + 1) & p->mask;
	slots[i].site = site;
	slots[i].lock_type = lg_trace_lock_type(l);
	atomic_store_explicit((struct lg_lock * _Atomic *)&slots[i].lock, l, memory_order_release);
	p->count++;
	return &slots[i];
}

void lg_profile_add(struct lg_thread *t, struct lg_lock *l, uintptr_t site, uint64_t hold,
                    uint64_t wait, bool contended)
{
	struct lg_profile_table *p = table_of(t);
	struct entry *e = p ? entry_of(p, l, site) : NULL;
	if (!e)
		return;
	e->acquisitions++;
	e->hold += hold;
	if (hold > e->hold_max)
		e->hold_max = hold;
	if (contended) {
		e->contended++;
		e->wait += wait;
		if (wait > e->wait_max)
			e->wait_max = wait;
	}
}

/* Writes p's entries: thread `thread`, converted to ns at ns_per_tick. */
static void write_table(struct lg_profile_table *p, double ns_per_tick)
{
	struct entry *slots = atomic_load_explicit(&p->slots, memory_order_acquire);
	for (uint32_t i = 0; slots && i <= p->mask; i++) {
		struct entry *e = &slots[i];
		struct lg_lock *l = atomic_load_explicit((struct lg_lock * _Atomic *)&e->lock,
		                                         memory_order_acquire);
		if (!l || !e->acquisitions)
			continue;
		struct lg_profile_counts c = {
		        .acquisitions = e->acquisitions,
		        .contended = e->contended,
		        .wait_ns = (uint64_t)((double)e->wait * ns_per_tick),
		        .wait_max_ns = (uint64_t)((double)e->wait_max * ns_per_tick),
		        .hold_ns = (uint64_t)((double)e->hold * ns_per_tick),
		        .hold_max_ns = (uint64_t)((double)e->hold_max * ns_per_tick),
		};
		lg_trace_write_profile(p->owner, l, e->lock_type, lg_stack_call_site(e->site), &c);
	}
}

static double ns_per_tick(void)
{
	uint64_t ticks = lg_ticks() - anchor_ticks, ns = lg_now_ns() - anchor_ns;
	return ticks ? (double)ns / (double)ticks : 1.0;
}

uint64_t lg_profile_ticks_to_ns(uint64_t ticks)
{
	return (uint64_t)((double)ticks * ns_per_tick());
}

void lg_profile_thread_end(struct lg_thread *t)
{
	struct lg_profile_table *p = t->profile;
	if (!p)
		return;
	write_table(p, ns_per_tick());
	lg_ilock_lock(&registry_lock);
	if (p->prev)
		p->prev->next = p->next;
	else
		live = p->next;
	if (p->next)
		p->next->prev = p->prev;
	/* Emptied for the next thread; its slot arrays stay in the arena. */
	struct entry *slots = atomic_load_explicit(&p->slots, memory_order_relaxed);
	if (slots)
		memset(slots, 0, (p->mask + 1) * sizeof(*slots));
	p->count = 0;
	p->owner = NULL;
	p->next_free = free_tables;
	free_tables = p;
	lg_ilock_unlock(&registry_lock);
	t->profile = NULL;
}

void lg_profile_process_end(void)
{
	if (!lg_opts.profile)
		return;
	double scale = ns_per_tick();
	lg_ilock_lock(&registry_lock);
	for (struct lg_profile_table *p = live; p; p = p->next)
		write_table(p, scale);
	live = NULL;
	lg_ilock_unlock(&registry_lock);
}

void lg_profile_fork_child(void)
{
	struct lg_thread *t = &lg_self;
	/* Other threads' tables are theirs (gone); this one's counts are the
	 * parent's. */
	live = NULL;
	free_tables = NULL;
	t->profile = NULL;
}
