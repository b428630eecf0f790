/* lockgraph's life inside the process: start-up (constructor), fork, exit.
 * lg_state says whether the wrappers do any bookkeeping. */
#ifndef LOCKGRAPH_LIFECYCLE_H
#define LOCKGRAPH_LIFECYCLE_H

#include <stdatomic.h>

#include "thread.h"

enum lg_state_value {
	LG_STARTING = 0, /* constructor not run yet: wrappers only pass calls on */
	LG_READY = 1,
	LG_DISABLED = 2, /* no trace could be opened: pass calls on forever */
};

extern _Atomic int lg_state;

/* True when the calling thread's lock calls should be recorded. */
static inline int lg_active(const struct lg_thread *t)
{
	return __builtin_expect(atomic_load_explicit(&lg_state, memory_order_relaxed) == LG_READY &&
	                                !t->in_tool,
	                        1);
}

#endif
