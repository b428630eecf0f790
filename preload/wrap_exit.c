/* _exit and _Exit: a process that ends this way (a forked worker, a
 * program that skips its exit handlers) still ends its trace properly, so
 * the reporter can tell it from a process that was killed or crashed. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lifecycle.h"
#include "trace_format.h"
#include "trace_write.h"
#include "wrap.h"

static void noreturn_exit(int status) __attribute__((noreturn));
static void noreturn_exit(int status)
{
	for (;;)
		syscall(SYS_exit_group, status);
}

static void end(int status)
{
	struct lg_thread *t = &lg_self;
	if (lg_active(t)) {
		t->in_tool = 1;
		lg_trace_end(LG_END_UNDERSCORE_EXIT, status);
	}
}

LG_API void _exit(int status)
{
	end(status);
	noreturn_exit(status);
}

LG_API void _Exit(int status)
{
	end(status);
	noreturn_exit(status);
}
