/* The preload's bookkeeping and trace writer, read back by the reporter's
 * reader: what the preload records is what the reporter gets. Each test runs
 * in its own process (Criterion forks), so each starts a fresh core. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acquire.h"
#include "start.h"
#include "trace.h"
#include "trace_format.h"
#include "trace_write.h"

static char dir[64];

static void start(void)
{
	snprintf(dir, sizeof(dir), "/tmp/lg-unit-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	char options[128];
	snprintf(options, sizeof(options), "out=%s", dir);
	cr_assert(lg_start_core(options));
}

static struct lg_trace *finish_and_read(void)
{
	lg_trace_end(LG_END_EXIT, -1);
	char err[256];
	struct lg_trace *t = lg_trace_read(lg_trace_path(), err, sizeof(err));
	cr_assert_not_null(t, "cannot read back '%s': %s", lg_trace_path(), err);
	unlink(lg_trace_path());
	rmdir(dir);
	return t;
}

/* The wrappers' bookkeeping, as wrap_mutex.c calls it. */
static void take(void *lock, uintptr_t site, uint8_t flags)
{
	lg_self.in_tool = 1;
	lg_acquired((uintptr_t)lock, site, LG_LOCK_MUTEX, LG_MODE_EXCLUSIVE, flags);
	lg_self.in_tool = 0;
}

static void drop(void *lock)
{
	lg_self.in_tool = 1;
	lg_releasing((uintptr_t)lock);
	lg_self.in_tool = 0;
}

static pthread_mutex_t a_lock, b_lock, c_lock;

Test(trace_roundtrip, process_record_describes_this_process)
{
	start();
	struct lg_trace *t = finish_and_read();
	cr_expect_eq(t->pid, (uint32_t)getpid());
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n] = 0;
	cr_expect_str_eq(t->exe, exe);
	cr_expect(t->ended);
	cr_expect_gt(t->nmodules, 2, "the module map must list the program and its libraries");
	cr_expect(t->modules[0].flags & LG_MODULE_MAIN);
	cr_expect_str_eq(t->modules[0].ref.path, exe);
	cr_expect_gt(t->modules[0].ref.build_id_len, 0);
	lg_trace_free(t);
}

Test(trace_roundtrip, nested_pair_is_one_acquire_record)
{
	start();
	for (int i = 0; i < 100; i++) {
		take(&a_lock, 0x1111, 0);
		take(&b_lock, 0x2222, 0);
		drop(&b_lock);
		drop(&a_lock);
	}
	struct lg_trace *t = finish_and_read();
	cr_assert_eq(t->nacquires, 1, "a repeated order is recorded once, got %zu", t->nacquires);
	const struct lg_trace_acquire *acq = &t->acquires[0];
	const struct lg_trace_lock *to = lg_trace_lock_by_id(t, acq->lock);
	const struct lg_trace_lock *from = lg_trace_lock_by_id(t, acq->held[0].lock);
	cr_expect_eq(to->address, (uint64_t)(uintptr_t)&b_lock);
	cr_expect_eq(from->address, (uint64_t)(uintptr_t)&a_lock);
	cr_expect_eq(to->size, sizeof(pthread_mutex_t));
	cr_expect_eq(acq->nheld, 1);
	cr_expect_eq(acq->flags, 0);
	/* Both locks were new when taken: their stacks are full unwinds. (Here
	 * the preload core is linked into the test, so the test's own frames
	 * count as lockgraph's and are skipped; what remains is libc's.) */
	const struct lg_trace_stack *held = lg_trace_stack_by_id(t, acq->held[0].stack);
	cr_assert_not_null(held);
	cr_expect_not(held->flags & LG_STACK_CALL_SITE_ONLY);
	cr_expect_geq(held->nframes, 1);
	cr_expect_neq(held->module[0], -1, "frame 0 must be inside a known module");
	lg_trace_free(t);
}

Test(trace_roundtrip, trylock_flag_and_both_orders_survive)
{
	start();
	take(&a_lock, 0x1111, 0);
	take(&b_lock, 0x2222, LG_ACQ_TRY);
	drop(&b_lock);
	drop(&a_lock);
	take(&b_lock, 0x3333, 0);
	take(&a_lock, 0x4444, 0);
	drop(&a_lock);
	drop(&b_lock);
	struct lg_trace *t = finish_and_read();
	cr_assert_eq(t->nacquires, 2);
	cr_expect_eq(t->acquires[0].flags, LG_ACQ_TRY);
	cr_expect_eq(t->acquires[1].flags, 0);
	cr_expect_eq(t->acquires[0].lock, t->acquires[1].held[0].lock);
	lg_trace_free(t);
}

Test(trace_roundtrip, recursive_reentry_is_not_an_acquisition)
{
	start();
	take(&a_lock, 0x1111, 0);
	take(&a_lock, 0x1111, 0); /* recursive mutex taken again */
	take(&b_lock, 0x2222, 0);
	drop(&b_lock);
	drop(&a_lock);
	take(&c_lock, 0x3333, 0); /* a_lock is still held once */
	drop(&c_lock);
	drop(&a_lock);
	take(&c_lock, 0x3333, 0); /* nothing held */
	drop(&c_lock);
	struct lg_trace *t = finish_and_read();
	cr_assert_eq(t->nacquires, 2);
	cr_expect_eq(t->acquires[0].nheld, 1);
	cr_expect_eq(t->acquires[1].nheld, 1, "a_lock must still be held after one unlock");
	cr_expect_eq(t->acquires[0].held[0].lock, t->acquires[1].held[0].lock);
	lg_trace_free(t);
}

Test(trace_roundtrip, superset_held_set_adds_nothing)
{
	start();
	/* b after a alone, then b after a and c: the second witness holds a
	 * superset and can not make any deadlock easier to prove. */
	take(&a_lock, 0x1111, 0);
	take(&b_lock, 0x2222, 0);
	drop(&b_lock);
	take(&c_lock, 0x3333, 0);
	take(&b_lock, 0x2222, 0);
	drop(&b_lock);
	drop(&c_lock);
	drop(&a_lock);
	struct lg_trace *t = finish_and_read();
	/* a -> b; a -> c; {a,c} -> b is new only for the edge c -> b. */
	cr_expect_eq(t->nacquires, 3);
	lg_trace_free(t);
}

Test(trace_roundtrip, reinitialized_lock_is_a_new_lock)
{
	start();
	take(&a_lock, 0x1111, 0);
	take(&b_lock, 0x2222, 0);
	drop(&b_lock);
	drop(&a_lock);
	lg_self.in_tool = 1;
	lg_lock_reinit((uintptr_t)&b_lock, LG_LOCK_MUTEX, 1);
	lg_lock_reinit((uintptr_t)&b_lock, LG_LOCK_MUTEX, 0);
	lg_self.in_tool = 0;
	take(&b_lock, 0x3333, 0);
	take(&a_lock, 0x4444, 0);
	drop(&a_lock);
	drop(&b_lock);
	struct lg_trace *t = finish_and_read();
	cr_assert_eq(t->nacquires, 2);
	uint32_t old_b = t->acquires[0].lock, new_b = t->acquires[1].held[0].lock;
	cr_expect_neq(old_b, new_b, "the same address after destroy/init is another lock");
	const struct lg_trace_lock *nb = lg_trace_lock_by_id(t, new_b);
	cr_expect_eq(nb->generation, 1);
	cr_expect(nb->flags & LG_LOCK_INITIALIZED);
	cr_expect_neq(nb->init_stack, 0);
	lg_trace_free(t);
}
