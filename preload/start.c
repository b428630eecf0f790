/* See start.h. */
#include "start.h"

#include "arena.h"
#include "edges.h"
#include "lock_table.h"
#include "modules.h"
#include "options.h"
#include "profile.h"
#include "sites.h"
#include "stack_depot.h"
#include "thread.h"
#include "trace_write.h"

bool lg_start_core(const char *options)
{
	lg_options_parse(options);
	/* Registration order is lock nesting order (fork_locks.h): the edges
	 * lock is taken before the depot's, never after. */
	lg_profile_init();
	if (!lg_threads_init() || !lg_lock_table_init() || !lg_sites_init() || !lg_edges_init() ||
	    !lg_stack_depot_init())
		return false;
	lg_modules_init();
	lg_trace_init();
	lg_arena_init();
	if (!lg_trace_open())
		return false;
	lg_modules_scan();
	return true;
}
