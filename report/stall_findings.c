/* Long waits and holds (LONG_WAIT / LONG_HOLD records), merged by kind,
 * lock and place, so a stall that happens a thousand times is one entry
 * with its count and its longest duration; see finding_parts.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "finding_parts.h"
#include "strbuf.h"
#include "trace_format.h"

void lg_stall_free(struct lg_stall *s)
{
	free(s->key);
	free(s->lock.name);
	free(s->lock.description);
	lg_fstack_free(&s->lock.first_taken);
	lg_fstack_free(&s->lock.created_at);
	free(s->thread_name);
	free(s->other_name);
	lg_fstack_free(&s->stack);
	lg_fstack_free(&s->other_stack);
	free(s->exe);
}

static void build(struct lg_findings *f, const struct lg_trace *t, const struct lg_trace_long *l,
                  struct lg_stall *s)
{
	*s = (struct lg_stall){
	        .kind = l->type == LG_REC_LONG_HOLD ? LG_STALL_HOLD : LG_STALL_WAIT,
	        .longest_ns = l->duration_ns,
	        .count = 1,
	        .pid = t->pid,
	        .exe = lg_xstrdup(t->exe),
	};
	snprintf(s->lock.label, sizeof(s->lock.label), "L1");
	lg_finding_lock(f, t, l->lock, &s->lock);
	lg_finding_stack(f, t, l->stack, &s->stack);
	lg_finding_stack(f, t, l->other_stack, &s->other_stack);
	/* The reader checked the thread; the other one (a holder) may have no
	 * record. */
	const struct lg_trace_thread *th = lg_trace_thread_by_id(t, l->thread);
	const struct lg_trace_thread *other = lg_trace_thread_by_id(t, l->other_thread);
	s->tid = th->os_tid;
	s->thread_name = lg_finding_thread_name(t, th);
	s->other_tid = other ? other->os_tid : 0;
	s->other_name = other ? lg_finding_thread_name(t, other) : NULL;
	struct lg_strbuf key = {0};
	lg_strbuf_printf(&key, "%d|%s|", (int)s->kind, s->lock.description);
	lg_finding_describe_top(&key, &s->stack, t);
	s->key = key.s;
}

void lg_stall_add(struct lg_findings *f, const struct lg_trace *t, const struct lg_trace_long *l)
{
	struct lg_stall s;
	build(f, t, l, &s);
	for (size_t i = 0; i < f->nstalls; i++) {
		struct lg_stall *old = &f->stalls[i];
		if (strcmp(old->key, s.key) != 0)
			continue;
		size_t count = old->count + 1;
		if (s.longest_ns > old->longest_ns) { /* keep the longest one's details */
			lg_stall_free(old);
			*old = s;
		} else {
			lg_stall_free(&s);
		}
		old->count = count;
		return;
	}
	lg_grow(&f->stalls, &f->stalls_cap, f->nstalls, sizeof(*f->stalls));
	f->stalls[f->nstalls++] = s;
}
