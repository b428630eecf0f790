/* Findings from lock-order cycles (potential deadlocks and latent
 * inversions); see finding_parts.h. */
#include <stdio.h>
#include <stdlib.h>

#include "error.h"
#include "finding_parts.h"
#include "lock_classes.h"

/* "accounts[1].lock": how a class finding names the object an edge used. */
static char *object(struct lg_findings *f, const struct lg_trace *t, uint32_t lock)
{
	struct lg_flock l = {0};
	lg_finding_lock(f, t, lock, &l);
	char *d = l.description;
	l.description = NULL;
	lg_flock_free(&l);
	return d;
}

struct lg_finding *lg_finding_from_cycle(struct lg_findings *f, const struct lg_graph *g,
                                         const struct lg_cycle *c, bool class_scope)
{
	const struct lg_trace *t = g->trace;
	struct lg_finding *fi = lg_xcalloc(1, sizeof(*fi));
	fi->kind = LG_FINDING_POTENTIAL;
	fi->class_scope = class_scope;
	fi->latent = c->latent;
	fi->latent_reason = c->latent_reason;
	fi->undecided = c->undecided;
	fi->nlocks = fi->nedges = fi->ncycle_locks = c->len;
	fi->locks = lg_xcalloc(c->len, sizeof(*fi->locks));
	fi->edges = lg_xcalloc(c->len, sizeof(*fi->edges));
	fi->threads = lg_xcalloc(c->len, sizeof(*fi->threads));
	/* Start the cycle after the edge recorded last: the others set the
	 * order, that one reversed it; reports read in the order things
	 * happened and the fix hint points at the last edge. */
	size_t last = 0;
	for (size_t i = 1; i < c->len; i++)
		if (c->chosen[i]->acquire > c->chosen[last]->acquire)
			last = i;
	size_t first = (last + 1) % c->len;
	fi->reversing_edge = c->len - 1;
	uint32_t *thread_ids = lg_xcalloc(c->len, sizeof(uint32_t));
	for (size_t i = 0; i < c->len; i++) {
		struct lg_flock *l = &fi->locks[i];
		snprintf(l->label, sizeof(l->label), "L%zu", i + 1);
		lg_finding_lock(f, t, g->nodes[c->nodes[(first + i) % c->len]].lock, l);
		if (class_scope)
			lg_class_describe(f, t, l);
	}
	for (size_t i = 0; i < c->len; i++) {
		const struct lg_witness *w = c->chosen[(first + i) % c->len];
		struct lg_fedge *e = &fi->edges[i];
		e->from = i;
		e->to = (i + 1) % c->len;
		e->flags = w->flags;
		e->from_mode = w->from_mode;
		e->to_mode = w->to_mode;
		e->thread = lg_finding_thread(f, t, fi, w->thread, thread_ids);
		lg_finding_stack(f, t, w->held_stack, &e->held);
		lg_finding_stack(f, t, w->acquire_stack, &e->acquire);
		if (class_scope) {
			e->from_object = object(f, t, w->from_lock);
			e->to_object = object(f, t, w->to_lock);
		}
	}
	free(thread_ids);
	lg_finding_sign(fi, t);
	return fi;
}
