/* Lock records: one per lock identity, an address plus a generation. An
 * init call or a destroy ends a generation, so a freed and reused address
 * is a new lock. Records are never freed; lookups take no lock. */
#ifndef LOCKGRAPH_LOCK_TABLE_H
#define LOCKGRAPH_LOCK_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "table.h"
#include "trace_format.h"

struct lg_stack;

#define LG_LOCK_READERS 4

/* An rwlock's readers, as lockgraph saw them take it: up to
 * LG_LOCK_READERS of them by thread id, more only counted. */
struct lg_lock_readers {
	_Atomic uint32_t id[LG_LOCK_READERS];
	_Atomic uint32_t untracked;
};

/* 48 bytes (a mutex's; an rwlock's has its readers after it): a program
 * with a million locks has a million of these. */
struct lg_lock {
	struct lg_table_node node; /* key: the lock's address */
	uint32_t id;               /* trace id, unique in the process */
	uint32_t generation;
	uint32_t init_stack;           /* stack id (stack_depot.h), 0: statically initialized */
	_Atomic uint32_t first_stack;  /* stack id of its first acquisition, 0 until then */
	_Atomic uint32_t first_thread; /* the thread that took it first */
	uint32_t written_epoch;        /* trace lock */
	/* The thread holding it exclusively (as lockgraph saw it taken), 0 if
	 * none: set after the real lock call returns, cleared before the real
	 * unlock, so a nonzero owner really holds it. Only the wait-for check
	 * reads it (and an rwlock's readers). */
	_Atomic uint32_t owner;
	_Atomic uint8_t dead;             /* destroyed or re-initialized: a newer record rules */
	uint8_t kind;                     /* enum lg_lock_kind */
	uint8_t flags;                    /* enum lg_lock_flags */
	struct lg_lock_readers readers[]; /* one, for LG_LOCK_RWLOCK; none otherwise */
};

/* Does l's record carry readers? Only an rwlock's does; memory that held a
 * mutex and now holds an rwlock nobody initialized can reach a shared
 * acquisition with a mutex's record, whose readers are not tracked. */
static inline bool lg_lock_has_readers(const struct lg_lock *l)
{
	return l->kind == LG_LOCK_RWLOCK;
}

/* t (id) now holds l in mode / is about to release it. */
static inline void lg_lock_hold(struct lg_lock *l, uint32_t id, uint8_t mode)
{
	if (mode != LG_MODE_SHARED) {
		atomic_store_explicit(&l->owner, id, memory_order_relaxed);
		return;
	}
	if (!lg_lock_has_readers(l))
		return;
	struct lg_lock_readers *r = l->readers;
	for (int i = 0; i < LG_LOCK_READERS; i++) {
		uint32_t none = 0;
		if (atomic_compare_exchange_strong_explicit(
		            &r->id[i], &none, id, memory_order_relaxed, memory_order_relaxed))
			return;
	}
	atomic_fetch_add_explicit(&r->untracked, 1, memory_order_relaxed);
}

static inline void lg_lock_unhold(struct lg_lock *l, uint32_t id, uint8_t mode)
{
	if (mode != LG_MODE_SHARED) {
		atomic_store_explicit(&l->owner, 0, memory_order_release);
		return;
	}
	if (!lg_lock_has_readers(l))
		return;
	struct lg_lock_readers *r = l->readers;
	for (int i = 0; i < LG_LOCK_READERS; i++) {
		if (atomic_load_explicit(&r->id[i], memory_order_relaxed) == id) {
			atomic_store_explicit(&r->id[i], 0, memory_order_release);
			return;
		}
	}
	atomic_fetch_sub_explicit(&r->untracked, 1, memory_order_relaxed);
}

bool lg_lock_table_init(void);

/* The live record for addr, or NULL; creates nothing. */
struct lg_lock *lg_lock_table_find(uintptr_t addr);

/* The live record for addr, created (as statically initialized) if there
 * is none. NULL when out of memory. */
struct lg_lock *lg_lock_table_get(uintptr_t addr, uint8_t kind);

/* An init call at addr: ends the current generation and starts a new one
 * created at init_stack (a stack id). */
void lg_lock_table_init_at(uintptr_t addr, uint8_t kind, uint32_t init_stack);

/* A destroy call at addr: ends the current generation. */
void lg_lock_table_retire(uintptr_t addr);

uint64_t lg_lock_table_count(void);

/* sizeof the object a lock of this kind lives in. */
uint16_t lg_lock_kind_size(uint8_t kind);

static inline bool lg_lock_live(const struct lg_lock *l, uintptr_t addr)
{
	return l->node.key == addr && !atomic_load_explicit(&l->dead, memory_order_relaxed);
}

#endif
