/* Findings from DEADLOCK records: threads that were really stuck (or
 * stuck until a timed wait gave up); see finding_parts.h.
 *
 * Waiter i of a record waits for a lock waiter i+1 holds, so waiter i holds
 * the lock waiter i-1 waits for. As for a lock-order cycle, lock L(i) is
 * held by thread T(i), which waits for L(i+1): edge i goes L(i) -> L(i+1). */
#include <stdio.h>
#include <stdlib.h>

#include "error.h"
#include "finding_parts.h"
#include "trace_format.h"

static size_t index_of(const uint32_t *ids, size_t n, uint32_t id)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] == id)
			return i;
	return n;
}

/* Trace lock ids of the finding: the cycle's, then the other holdings. */
static uint32_t *lock_ids(const struct lg_trace_deadlock *d, size_t *count)
{
	size_t n = d->nwaiters, cap = n;
	for (size_t i = 0; i < n; i++)
		cap += d->waiters[i].nholding;
	uint32_t *ids = lg_xcalloc(cap, sizeof(uint32_t));
	for (size_t i = 0; i < n; i++)
		ids[i] = d->waiters[(i + n - 1) % n].lock;
	size_t k = n;
	for (size_t i = 0; i < n; i++)
		for (unsigned h = 0; h < d->waiters[i].nholding; h++)
			if (index_of(ids, k, d->waiters[i].holding[h].lock) == k)
				ids[k++] = d->waiters[i].holding[h].lock;
	*count = k;
	return ids;
}

struct lg_finding *lg_finding_from_deadlock(struct lg_findings *f, const struct lg_trace *t,
                                            const struct lg_trace_deadlock *d)
{
	size_t n = d->nwaiters, nlocks;
	uint32_t *ids = lock_ids(d, &nlocks);
	struct lg_finding *fi = lg_xcalloc(1, sizeof(*fi));
	fi->kind = LG_FINDING_ACTUAL;
	fi->broken_by_timeout = d->flags & LG_DEADLOCK_TIMED_OUT;
	fi->action = d->action;
	fi->first_wall_ns = fi->last_wall_ns = d->wall_ns;
	fi->detected_after_ns = d->detected_ns > d->formed_ns ? d->detected_ns - d->formed_ns : 0;
	fi->nlocks = nlocks;
	fi->ncycle_locks = fi->nedges = n;
	fi->reversing_edge = n - 1;
	fi->locks = lg_xcalloc(nlocks, sizeof(*fi->locks));
	fi->edges = lg_xcalloc(n, sizeof(*fi->edges));
	fi->threads = lg_xcalloc(n, sizeof(*fi->threads));
	for (size_t i = 0; i < nlocks; i++) {
		snprintf(fi->locks[i].label, sizeof(fi->locks[i].label), "L%zu", i + 1);
		lg_finding_lock(f, t, ids[i], &fi->locks[i]);
	}
	uint32_t *thread_ids = lg_xcalloc(n, sizeof(uint32_t));
	for (size_t i = 0; i < n; i++) {
		const struct lg_trace_waiter *w = &d->waiters[i];
		size_t ti = lg_finding_thread(f, t, fi, w->thread, thread_ids);
		struct lg_fthread *th = &fi->threads[ti];
		/* A corrupt record may list one thread twice: its last wait
		 * is the one shown. */
		lg_fstack_free(&th->wait_stack);
		for (size_t h = 0; h < th->nholding; h++)
			lg_fstack_free(&th->holding[h].stack);
		free(th->holding);
		th->waiting_for = (ptrdiff_t)((i + 1) % n);
		th->timed_wait = w->flags & LG_ACQ_TIMED;
		lg_finding_stack(f, t, w->wait_stack, &th->wait_stack);
		th->holding = lg_xcalloc(w->nholding, sizeof(*th->holding));
		th->nholding = w->nholding;
		uint32_t held_stack = 0;
		uint8_t held_mode = LG_MODE_EXCLUSIVE;
		for (unsigned h = 0; h < w->nholding; h++) {
			th->holding[h].lock = index_of(ids, nlocks, w->holding[h].lock);
			lg_finding_stack(f, t, w->holding[h].stack, &th->holding[h].stack);
			if (w->holding[h].lock == ids[i]) {
				held_stack = w->holding[h].stack;
				held_mode = w->holding[h].mode;
			}
		}
		struct lg_fedge *e = &fi->edges[i];
		e->from = i;
		e->to = (i + 1) % n;
		e->thread = ti;
		e->flags = w->flags;
		e->from_mode = held_mode;
		e->to_mode = w->mode;
		lg_finding_stack(f, t, held_stack, &e->held);
		lg_finding_stack(f, t, w->wait_stack, &e->acquire);
	}
	free(thread_ids);
	free(ids);
	lg_finding_sign(fi, t);
	return fi;
}
