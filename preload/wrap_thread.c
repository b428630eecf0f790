/* Thread calls: pthread_create and thrd_create tell each new thread who
 * created it, where and when (in the order of creations and joins);
 * pthread_join and thrd_join record that a thread ended before what its
 * joiner does next (so the reporter knows which threads never ran at the
 * same time); pthread_setname_np keeps the names in reports current.
 * pthread_detach and thread exit need nothing: a thread that is never
 * joined may run until the end. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>

#include "stack_depot.h"
#include "thread.h"
#include "trace_write.h"
#include "wrap.h"

/* The start block for a thread t is about to create; NULL when out of
 * memory (the thread is then created unrecorded). */
static struct lg_thread_start *prepare(struct lg_thread *t)
{
	t->in_tool = 1;
	lg_thread_register(t);
	struct lg_thread_start *start = calloc(1, sizeof(*start));
	if (start) {
		start->id = lg_thread_new_id();
		start->parent = t->id;
		start->create_seq = lg_thread_next_seq();
		start->create_stack = lg_stack_capture();
	}
	t->in_tool = 0;
	return start;
}

/* The new thread starts with every signal blocked, so that no handler runs
 * on it before the trampoline has told it its id: a handler that takes a
 * lock there would register it as an unknown thread, under another id. The
 * trampoline then sets the mask it should have: the creator's, or the one
 * the attributes give (pthread_attr_setsigmask_np). The creator's own mask
 * is back as soon as the real call returns (old). */
static void block_signals_for_start(struct lg_thread_start *start, const pthread_attr_t *attr,
                                    sigset_t *old)
{
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, old);
	start->sigmask = *old;
	sigset_t wanted;
	if (attr && pthread_attr_getsigmask_np(attr, &wanted) == 0)
		start->sigmask = wanted;
}

/* The thread exists: known by its pthread_t before the call returns, since
 * the caller may join at once, before the new thread ran at all. */
static void created(struct lg_thread *t, pthread_t th, uint32_t id)
{
	t->in_tool = 1;
	lg_thread_known(th, id);
	t->in_tool = 0;
}

static void joined(struct lg_thread *t, uint32_t id)
{
	t->in_tool = 1;
	lg_thread_register(t);
	lg_trace_write_join(t, id, lg_thread_next_seq());
	t->in_tool = 0;
}

/* Looked up before the join: afterwards th may name another thread. */
static uint32_t id_of(struct lg_thread *t, pthread_t th)
{
	t->in_tool = 1;
	uint32_t id = lg_thread_id_of(th);
	t->in_tool = 0;
	return id;
}

LG_API int pthread_create(pthread_t *th, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
	struct lg_thread *t = &lg_self;
	if (!lg_active(t))
		return LG_REAL(create, th, attr, fn, arg);
	struct lg_thread_start *start = prepare(t);
	if (!start)
		return lg_real.create(th, attr, fn, arg);
	start->fn = fn;
	start->arg = arg;
	if (attr) {
		void *stack = NULL;
		size_t size = 0;
		if (pthread_attr_getstack(attr, &stack, &size) == 0 && stack)
			start->stack_lo = (uintptr_t)stack;
		else if (pthread_attr_getstacksize(attr, &size) == 0 && size < 1024 * 1024)
			start->stack_size = size;
	}
	uint32_t id = start->id;
	sigset_t old;
	block_signals_for_start(start, attr, &old);
	int rc = lg_real.create(th, attr, lg_thread_trampoline, start);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		free(start);
	else
		created(t, *th, id);
	return rc;
}

LG_API int thrd_create(thrd_t *th, thrd_start_t fn, void *arg)
{
	struct lg_thread *t = &lg_self;
	if (!lg_active(t))
		return LG_REAL(thrd_create, th, fn, arg);
	struct lg_thread_start *start = prepare(t);
	if (!start)
		return lg_real.thrd_create(th, fn, arg);
	start->c11_fn = fn;
	start->arg = arg;
	uint32_t id = start->id;
	sigset_t old;
	block_signals_for_start(start, NULL, &old);
	int rc = lg_real.thrd_create(th, lg_thread_trampoline_c11, start);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != thrd_success)
		free(start);
	else
		created(t, *th, id);
	return rc;
}

LG_API int pthread_join(pthread_t th, void **result)
{
	struct lg_thread *t = &lg_self;
	if (!lg_active(t))
		return LG_REAL(join, th, result);
	uint32_t id = id_of(t, th);
	int rc = lg_real.join(th, result);
	if (rc == 0 && id)
		joined(t, id);
	return rc;
}

LG_API int thrd_join(thrd_t th, int *result)
{
	struct lg_thread *t = &lg_self;
	if (!lg_active(t))
		return LG_REAL(thrd_join, th, result);
	uint32_t id = id_of(t, th);
	int rc = lg_real.thrd_join(th, result);
	if (rc == thrd_success && id)
		joined(t, id);
	return rc;
}

LG_API int pthread_setname_np(pthread_t th, const char *name)
{
	struct lg_thread *t = &lg_self;
	if (!lg_active(t))
		return LG_REAL(setname_np, th, name);
	int rc = lg_real.setname_np(th, name);
	if (rc == 0) {
		/* A thread naming itself may run before its creator has
		 * recorded its (possibly reused) pthread_t: use its own id. */
		if (pthread_equal(th, pthread_self())) {
			t->in_tool = 1;
			lg_thread_register(t);
			t->in_tool = 0;
		}
		uint32_t id = pthread_equal(th, pthread_self()) ? t->id : id_of(t, th);
		t->in_tool = 1;
		if (id)
			lg_trace_write_thread_name(id, name);
		t->in_tool = 0;
	}
	return rc;
}
