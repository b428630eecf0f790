/* See thread_order.h. The question is asked for the few threads of a
 * finding, so a breadth-first search over the trace's joins and thread
 * records per question is cheap enough. */
#include "thread_order.h"

#include <stdlib.h>

#include "error.h"

/* "Everything thread `thread` does after its event number `after`". */
struct point {
	uint32_t thread;
	uint64_t after;
};

static const struct lg_trace_join *joined_by(const struct lg_trace *t, uint32_t thread)
{
	for (size_t i = 0; i < t->njoins; i++)
		if (t->joins[i].joined == thread)
			return &t->joins[i];
	return NULL;
}

/* Did a end before b started? */
static bool precedes(const struct lg_trace *t, uint32_t a, uint32_t b)
{
	const struct lg_trace_thread *tb = lg_trace_thread_by_id(t, b);
	const struct lg_trace_join *end = joined_by(t, a);
	if (!tb || tb->parent == 0 || !end)
		return false;
	size_t cap = t->nthreads + t->njoins + 2, n = 0;
	struct point *queue = lg_xcalloc(cap, sizeof(*queue));
	bool found = false;
	queue[n++] = (struct point){end->joiner, end->seq};
	for (size_t head = 0; head < n && !found; head++) {
		struct point p = queue[head];
		if (p.thread == tb->parent && tb->create_seq > p.after) {
			found = true;
			break;
		}
		/* Its children created after that point, from their start. */
		for (size_t i = 0; i < t->nthreads && n < cap; i++)
			if (t->threads[i].parent == p.thread && t->threads[i].create_seq > p.after)
				queue[n++] = (struct point){t->threads[i].id, 0};
		/* Whoever joined it, from the join on. */
		const struct lg_trace_join *j = joined_by(t, p.thread);
		if (j && n < cap)
			queue[n++] = (struct point){j->joiner, j->seq};
	}
	free(queue);
	return found;
}

bool lg_threads_overlap(const struct lg_trace *t, uint32_t a, uint32_t b)
{
	return a != b && !precedes(t, a, b) && !precedes(t, b, a);
}
