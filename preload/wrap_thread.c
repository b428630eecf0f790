/* pthread_create interposition: each new thread learns which thread
 * created it and where, so reports can say it. */
#include <pthread.h>
#include <stdlib.h>

#include "stack_depot.h"
#include "thread.h"
#include "wrap.h"

LG_API int pthread_create(pthread_t *th, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
	struct lg_thread *t = &lg_self;
	if (!lg_active(t))
		return LG_REAL(create, th, attr, fn, arg);
	t->in_tool = 1;
	lg_thread_register(t);
	struct lg_thread_start *start = malloc(sizeof(*start));
	if (start) {
		start->fn = fn;
		start->arg = arg;
		start->parent = t->id;
		start->create_stack = lg_stack_capture();
	}
	t->in_tool = 0;
	if (!start)
		return lg_real.create(th, attr, fn, arg);
	int rc = lg_real.create(th, attr, lg_thread_trampoline, start);
	if (rc != 0)
		free(start);
	return rc;
}
