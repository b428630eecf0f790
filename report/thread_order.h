/* Which threads of one process could have run at the same time. Thread A
 * ended before thread B started when a chain of joins and creations leads
 * from A's end to B's start: A was joined by J, and J (or a thread J
 * created, or a thread that joined J, ...) then created B. Threads without
 * such a chain are taken to overlap, which is the safe side: a cycle
 * between them is reported as a potential deadlock, not as latent. */
#ifndef LOCKGRAPH_THREAD_ORDER_H
#define LOCKGRAPH_THREAD_ORDER_H

#include <stdbool.h>
#include <stdint.h>

#include "trace.h"

/* True when threads a and b (trace ids) may have run at the same time. */
bool lg_threads_overlap(const struct lg_trace *t, uint32_t a, uint32_t b);

#endif
