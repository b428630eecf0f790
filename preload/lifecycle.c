/* Start-up, fork and exit handling. The constructor runs before the
 * program's own constructors (a preloaded library initializes right after
 * its dependencies); calls that arrive earlier are passed on unrecorded. */
#include "lifecycle.h"

#include <pthread.h>
#include <stdlib.h>

#include "edges.h"
#include "fork_locks.h"
#include "profile.h"
#include "real.h"
#include "start.h"
#include "trace_format.h"
#include "trace_write.h"
#include "waitfor.h"

_Atomic int lg_state = LG_STARTING;

static void fork_prepare(void)
{
	/* Holding every internal lock now: a signal handler that locks must
	 * not reach a slow path and wait for one of them. */
	lg_self.in_tool++;
	lg_fork_locks_prepare();
}

static void fork_parent(void)
{
	lg_fork_locks_parent();
	lg_self.in_tool--;
}

static void fork_child(void)
{
	lg_fork_locks_child();
	lg_edges_fork_child();
	lg_wait_fork_child();
	lg_thread_fork_child();
	lg_profile_fork_child();
	lg_trace_fork_child();
	lg_self.in_tool--;
}

__attribute__((constructor)) static void lg_constructor(void)
{
	lg_real_resolve();
	if (!lg_start_core(getenv("LOCKGRAPH_OPTIONS"))) {
		atomic_store(&lg_state, LG_DISABLED);
		return;
	}
	pthread_atfork(fork_prepare, fork_parent, fork_child);
	atomic_store(&lg_state, LG_READY);
}

__attribute__((destructor)) static void lg_destructor(void)
{
	if (atomic_load(&lg_state) == LG_READY)
		lg_trace_end(LG_END_EXIT, -1);
}
