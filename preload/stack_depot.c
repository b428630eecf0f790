/* The stack depot: see stack_depot.h. Lookups are lock-free (table.h); a new
 * stack first makes sure every module its frames point into is in the
 * module map (and so in the trace), then is inserted under the depot lock. */
#define UNW_LOCAL_ONLY
#include "stack_depot.h"

#include <libunwind.h>
#include <signal.h>
#include <string.h>

#include "arena.h"
#include "modules.h"
#include "options.h"
#include "thread.h"
#include "trace_format.h"
#include "trace_write.h"

static struct lg_table depot;
static _Atomic uint32_t next_id;
static bool capped; /* depot lock */

/* id -> stack, for records that keep a stack as its 32-bit id (lock
 * records: a million of them in a big program). Chunks of 2^16 pointers,
 * mapped as the ids reach them; published with release stores so that a
 * reader that sees an id sees its stack. */
#define BY_ID_BITS 16
#define BY_ID_MASK ((1u << BY_ID_BITS) - 1)
static struct lg_stack *_Atomic *_Atomic by_id[((1u << 30) >> BY_ID_BITS) + 1];

/* Makes room for id in by_id; caller holds the depot lock. */
static bool by_id_room(uint32_t id)
{
	if (atomic_load_explicit(&by_id[id >> BY_ID_BITS], memory_order_relaxed))
		return true;
	struct lg_stack *_Atomic *chunk = lg_arena_reserve((BY_ID_MASK + 1) * sizeof(*chunk));
	if (chunk)
		atomic_store_explicit(&by_id[id >> BY_ID_BITS], chunk, memory_order_release);
	return chunk != NULL;
}

struct lg_stack *lg_stack_of_id(uint32_t id)
{
	struct lg_stack *_Atomic *chunk =
	        id ? atomic_load_explicit(&by_id[id >> BY_ID_BITS], memory_order_acquire) : NULL;
	return chunk ? atomic_load_explicit(&chunk[id & BY_ID_MASK], memory_order_acquire) : NULL;
}

bool lg_stack_depot_init(void)
{
	return lg_table_init(&depot, 16);
}

static uint64_t hash_frames(const uint64_t *pcs, unsigned n, unsigned flags)
{
	uint64_t h = lg_mix64(n * 2u + flags + 1);
	for (unsigned i = 0; i < n; i++)
		h = lg_mix64(h ^ pcs[i]);
	return h | 1;
}

static struct lg_stack *find(uint64_t key, const uint64_t *pcs, unsigned n, unsigned flags)
{
	for (struct lg_table_node *it = lg_table_first(&depot, key); it; it = lg_table_next(it)) {
		struct lg_stack *s = (struct lg_stack *)it;
		if (s->nframes == n && s->flags == flags && memcmp(s->pcs, pcs, n * 8) == 0)
			return s;
	}
	return NULL;
}

static struct lg_stack *intern(const uint64_t *pcs, unsigned n, unsigned flags)
{
	uint64_t key = hash_frames(pcs, n, flags);
	struct lg_stack *s = find(key, pcs, n, flags);
	if (s)
		return s;
	lg_modules_cover(pcs, n);
	lg_ilock_lock(&depot.lock);
	s = find(key, pcs, n, flags);
	if (!s && atomic_load(&next_id) >= (uint32_t)lg_opts.max_stacks) {
		if (!capped) {
			capped = true;
			lg_trace_warn(
			        LG_WARN_CAPACITY,
			        "more than %d distinct stack%s: later ones are not kept (raise "
			        "LOCKGRAPH_OPTIONS=max_stacks)",
			        lg_opts.max_stacks, lg_opts.max_stacks == 1 ? "" : "s");
		}
	} else if (!s && by_id_room(atomic_load(&next_id) + 1)) {
		s = lg_arena_alloc(sizeof(*s) + n * sizeof(uint64_t));
		if (s) {
			s->node.key = key;
			s->id = atomic_fetch_add(&next_id, 1) + 1;
			s->nframes = (uint16_t)n;
			s->flags = (uint16_t)flags;
			memcpy(s->pcs, pcs, n * sizeof(uint64_t));
			atomic_store_explicit(&by_id[s->id >> BY_ID_BITS][s->id & BY_ID_MASK], s,
			                      memory_order_release);
			lg_table_insert_locked(&depot, &s->node);
		}
	}
	lg_ilock_unlock(&depot.lock);
	return s;
}

/* Is there stack enough to unwind? Also on a signal handler's alternate
 * stack, which is often small (SIGSTKSZ): asked only here, where the
 * unwinding to follow costs far more than the system call. */
static bool unwind_room(void)
{
	if (!lg_stack_room(&lg_self, LG_UNWIND_ROOM))
		return false;
	stack_t alt;
	if (sigaltstack(NULL, &alt) == 0 && (alt.ss_flags & SS_ONSTACK)) {
		uintptr_t here = (uintptr_t)__builtin_frame_address(0);
		return here - (uintptr_t)alt.ss_sp > LG_UNWIND_ROOM;
	}
	return true;
}

struct lg_stack *lg_stack_capture(void)
{
	if (!unwind_room())
		return NULL;
	/* Room for lockgraph's own frames (skipped below) and libunwind's. */
	void *raw[LG_TRACE_MAX_FRAMES + 16];
	int max = lg_opts.max_frames + 16;
	int n = unw_backtrace(raw, max);
	if (n <= 0)
		return NULL;
	/* Skip the unwinder's own frames (if it reports any), then the run of
	 * lockgraph's frames: what remains starts at the caller of the
	 * interposed function, however our own frames were inlined. */
	int first = 0;
	while (first < n && first < 8 && !lg_modules_is_self((uintptr_t)raw[first]))
		first++;
	if (first == n || first == 8)
		first = 0;
	while (first < n && lg_modules_is_self((uintptr_t)raw[first]))
		first++;
	/* lockgraph's frames further out (the thread start trampoline, between
	 * the program's start routine and libc's) are not the program's
	 * either: left out wherever they are. */
	int kept = first;
	for (int i = first; i < n; i++)
		if (i == first || !lg_modules_is_self((uintptr_t)raw[i]))
			raw[kept++] = raw[i];
	n = kept;
	unsigned flags = 0;
	int count = n - first;
	if (count > lg_opts.max_frames) {
		count = lg_opts.max_frames;
		flags |= LG_STACK_TRUNCATED;
	} else if (n == max) {
		flags |= LG_STACK_TRUNCATED;
	}
	uint64_t pcs[LG_TRACE_MAX_FRAMES];
	for (int i = 0; i < count; i++)
		pcs[i] = (uint64_t)(uintptr_t)raw[first + i];
	return intern(pcs, (unsigned)count, flags);
}

struct lg_stack *lg_stack_call_site(uintptr_t pc)
{
	uint64_t frame = pc;
	return intern(&frame, 1, LG_STACK_CALL_SITE_ONLY);
}

uint64_t lg_stack_count(void)
{
	return atomic_load(&next_id);
}
