/* The cycle finder and its feasibility rules (DESIGN.md §3), on traces
 * built record by record. */
#include <criterion/criterion.h>

#include "cycles.h"
#include "lock_graph.h"
#include "trace.h"
#include "trace_builder.h"
#include "trace_format.h"

struct analysis {
	struct lg_trace *trace;
	struct lg_graph *graph;
	struct lg_cycles cycles;
};

static void analyze_with(struct tb *b, struct analysis *a, const struct lg_cycle_limits *lim)
{
	char err[256] = "";
	a->trace = lg_trace_parse("test.lgt", b->data, b->len, err, sizeof(err));
	cr_assert_not_null(a->trace, "trace did not parse: %s", err);
	a->graph = lg_graph_build(a->trace);
	a->cycles = (struct lg_cycles){0};
	lg_cycles_find(a->graph, lim, &a->cycles);
}

static void analyze(struct tb *b, struct analysis *a)
{
	analyze_with(b, a, &lg_cycle_default_limits);
}

static void done(struct tb *b, struct analysis *a)
{
	lg_cycles_free(&a->cycles);
	lg_graph_free(a->graph);
	lg_trace_free(a->trace);
	tb_free(b);
}

/* Lock id k places after lock id `start` in cycle i (which may begin
 * anywhere). */
static uint32_t cycle_lock_after(const struct analysis *a, size_t i, uint32_t start, size_t k)
{
	const struct lg_cycle *c = &a->cycles.v[i];
	for (size_t j = 0; j < c->len; j++)
		if (a->graph->nodes[c->nodes[j]].lock == start)
			return a->graph->nodes[c->nodes[(j + k) % c->len]].lock;
	return 0;
}

static const uint32_t L1[] = {1}, L2[] = {2}, L3[] = {3};

Test(cycles, two_threads_opposite_orders_is_potential)
{
	struct tb b = {0};
	tb_standard(&b, 3, 2);
	tb_acquire(&b, 2, 2, 0, L1, 1); /* T2: 1 then 2 */
	tb_acquire(&b, 3, 1, 0, L2, 1); /* T3: 2 then 1 */
	struct analysis a;
	analyze(&b, &a);
	cr_assert_eq(a.cycles.n, 1);
	cr_expect_eq(a.cycles.v[0].len, 2);
	cr_expect_not(a.cycles.v[0].latent);
	cr_expect_not(a.cycles.v[0].undecided);
	cr_expect_eq(a.cycles.v[0].chosen[0]->thread != a.cycles.v[0].chosen[1]->thread, 1);
	done(&b, &a);
}

Test(cycles, one_thread_both_orders_is_latent)
{
	struct tb b = {0};
	tb_standard(&b, 1, 2);
	tb_acquire(&b, 1, 2, 0, L1, 1);
	tb_acquire(&b, 1, 1, 0, L2, 1);
	struct analysis a;
	analyze(&b, &a);
	cr_assert_eq(a.cycles.n, 1);
	cr_expect(a.cycles.v[0].latent);
	done(&b, &a);
}

Test(cycles, second_thread_on_one_edge_makes_it_potential)
{
	/* T1 takes both orders, T2 only 2 -> 1: T1's 1 -> 2 with T2's 2 -> 1
	 * is a real two-thread schedule. */
	struct tb b = {0};
	tb_standard(&b, 2, 2);
	tb_acquire(&b, 1, 2, 0, L1, 1);
	tb_acquire(&b, 1, 1, 0, L2, 1);
	tb_acquire(&b, 2, 1, 0, L2, 1);
	struct analysis a;
	analyze(&b, &a);
	cr_assert_eq(a.cycles.n, 1);
	cr_expect_not(a.cycles.v[0].latent);
	done(&b, &a);
}

Test(cycles, common_gate_lock_prevents_the_deadlock)
{
	/* Both threads hold lock 3 (a gate) around their inverted pairs. */
	struct tb b = {0};
	tb_standard(&b, 2, 3);
	const uint32_t g1[] = {3, 1}, g2[] = {3, 2};
	tb_acquire(&b, 1, 1, 0, L3, 1);
	tb_acquire(&b, 1, 2, 0, g1, 2);
	tb_acquire(&b, 2, 2, 0, L3, 1);
	tb_acquire(&b, 2, 1, 0, g2, 2);
	struct analysis a;
	analyze(&b, &a);
	cr_expect_eq(a.cycles.n, 0, "a gate-lock cycle must not be reported");
	done(&b, &a);
}

Test(cycles, gate_lock_on_one_path_only_still_deadlocks)
{
	struct tb b = {0};
	tb_standard(&b, 2, 3);
	const uint32_t g1[] = {3, 1};
	tb_acquire(&b, 1, 1, 0, L3, 1);
	tb_acquire(&b, 1, 2, 0, g1, 2);
	tb_acquire(&b, 2, 1, 0, L2, 1);
	struct analysis a;
	analyze(&b, &a);
	cr_assert_eq(a.cycles.n, 1);
	cr_expect_not(a.cycles.v[0].latent);
	done(&b, &a);
}

Test(cycles, trylock_edge_never_closes_cycle)
{
	struct tb b = {0};
	tb_standard(&b, 2, 2);
	tb_acquire(&b, 1, 2, 0, L1, 1);
	tb_acquire(&b, 2, 1, LG_ACQ_TRY, L2, 1);
	struct analysis a;
	analyze(&b, &a);
	cr_expect_eq(a.cycles.n, 0);
	done(&b, &a);
}

Test(cycles, timedlock_edge_counts_as_waiting)
{
	struct tb b = {0};
	tb_standard(&b, 2, 2);
	tb_acquire(&b, 1, 2, 0, L1, 1);
	tb_acquire(&b, 2, 1, LG_ACQ_TIMED, L2, 1);
	struct analysis a;
	analyze(&b, &a);
	cr_expect_eq(a.cycles.n, 1);
	done(&b, &a);
}

Test(cycles, three_lock_cycle_three_threads)
{
	struct tb b = {0};
	tb_standard(&b, 3, 3);
	tb_acquire(&b, 1, 2, 0, L1, 1);
	tb_acquire(&b, 2, 3, 0, L2, 1);
	tb_acquire(&b, 3, 1, 0, L3, 1);
	struct analysis a;
	analyze(&b, &a);
	cr_assert_eq(a.cycles.n, 1);
	cr_expect_eq(a.cycles.v[0].len, 3);
	cr_expect_eq(cycle_lock_after(&a, 0, 1, 1), 2);
	cr_expect_eq(cycle_lock_after(&a, 0, 1, 2), 3);
	cr_expect_not(a.cycles.v[0].latent);
	done(&b, &a);
}

Test(cycles, one_thread_cycle_says_so)
{
	struct tb b = {0};
	tb_standard(&b, 1, 2);
	tb_acquire(&b, 1, 2, 0, L1, 1);
	tb_acquire(&b, 1, 1, 0, L2, 1);
	struct analysis a;
	analyze(&b, &a);
	cr_assert_eq(a.cycles.n, 1);
	cr_expect_eq(a.cycles.v[0].latent_reason, LG_LATENT_ONE_THREAD);
	done(&b, &a);
}

Test(cycles, threads_created_after_a_join_never_overlapped)
{
	/* Main (1) creates T2 (seq 1), joins it (seq 2), then creates T3
	 * (seq 3): T2's order and T3's reversed one never ran together. */
	struct tb b = {0};
	tb_process(&b, 4242, "/usr/bin/test-program");
	tb_stack(&b, 1, 0x401000);
	tb_thread_at(&b, 1, 0, 0, "main");
	tb_thread_at(&b, 2, 1, 1, "first");
	tb_thread_at(&b, 3, 1, 3, "second");
	tb_lock(&b, 1, 0x1000);
	tb_lock(&b, 2, 0x2000);
	tb_acquire(&b, 2, 2, 0, L1, 1);
	tb_join(&b, 1, 2, 2);
	tb_acquire(&b, 3, 1, 0, L2, 1);
	struct analysis a;
	analyze(&b, &a);
	cr_assert_eq(a.cycles.n, 1);
	cr_expect(a.cycles.v[0].latent);
	cr_expect_eq(a.cycles.v[0].latent_reason, LG_LATENT_NO_OVERLAP);
	done(&b, &a);
}

Test(cycles, thread_created_before_the_join_overlaps)
{
	/* The same, but T3 was created (seq 2) before T2 was joined (seq 3). */
	struct tb b = {0};
	tb_process(&b, 4242, "/usr/bin/test-program");
	tb_stack(&b, 1, 0x401000);
	tb_thread_at(&b, 1, 0, 0, "main");
	tb_thread_at(&b, 2, 1, 1, "first");
	tb_thread_at(&b, 3, 1, 2, "second");
	tb_lock(&b, 1, 0x1000);
	tb_lock(&b, 2, 0x2000);
	tb_acquire(&b, 2, 2, 0, L1, 1);
	tb_join(&b, 1, 2, 3);
	tb_acquire(&b, 3, 1, 0, L2, 1);
	struct analysis a;
	analyze(&b, &a);
	cr_assert_eq(a.cycles.n, 1);
	cr_expect_not(a.cycles.v[0].latent);
	done(&b, &a);
}

Test(cycles, ordering_through_a_grandchild)
{
	/* Main joins T2 (seq 2), then creates T3 (seq 3), which creates T4
	 * (seq 4): T2 ended before T4 started. */
	struct tb b = {0};
	tb_process(&b, 4242, "/usr/bin/test-program");
	tb_stack(&b, 1, 0x401000);
	tb_thread_at(&b, 1, 0, 0, "main");
	tb_thread_at(&b, 2, 1, 1, "first");
	tb_thread_at(&b, 3, 1, 3, "middle");
	tb_thread_at(&b, 4, 3, 4, "last");
	tb_lock(&b, 1, 0x1000);
	tb_lock(&b, 2, 0x2000);
	tb_acquire(&b, 2, 2, 0, L1, 1);
	tb_join(&b, 1, 2, 2);
	tb_acquire(&b, 4, 1, 0, L2, 1);
	struct analysis a;
	analyze(&b, &a);
	cr_assert_eq(a.cycles.n, 1);
	cr_expect_eq(a.cycles.v[0].latent_reason, LG_LATENT_NO_OVERLAP);
	done(&b, &a);
}

Test(cycles, readers_never_wait_for_readers)
{
	const uint8_t read[] = {LG_MODE_SHARED};
	struct tb b = {0};
	tb_standard(&b, 2, 2);
	tb_acquire_modes(&b, 1, 2, LG_MODE_SHARED, 0, L1, read, 1);
	tb_acquire_modes(&b, 2, 1, LG_MODE_SHARED, 0, L2, read, 1);
	struct analysis a;
	analyze(&b, &a);
	cr_expect_eq(a.cycles.n, 0);
	done(&b, &a);
}

Test(cycles, a_writer_makes_the_rwlock_cycle_real)
{
	/* T1 reads 1 then writes 2; T2 reads 2 then wants 1 for reading: T2
	 * waits for nobody on lock 1 (T1 only reads it), so no deadlock... */
	const uint8_t read[] = {LG_MODE_SHARED};
	struct tb b = {0};
	tb_standard(&b, 2, 2);
	tb_acquire_modes(&b, 1, 2, LG_MODE_EXCLUSIVE, 0, L1, read, 1);
	tb_acquire_modes(&b, 2, 1, LG_MODE_SHARED, 0, L2, read, 1);
	struct analysis a;
	analyze(&b, &a);
	cr_expect_eq(a.cycles.n, 0, "reader waiting for a reader");
	done(&b, &a);
	/* ...but if T2 wants lock 1 for writing, each waits for the other. */
	b = (struct tb){0};
	tb_standard(&b, 2, 2);
	tb_acquire_modes(&b, 1, 2, LG_MODE_EXCLUSIVE, 0, L1, read, 1);
	tb_acquire_modes(&b, 2, 1, LG_MODE_EXCLUSIVE, 0, L2, read, 1);
	analyze(&b, &a);
	cr_expect_eq(a.cycles.n, 1);
	done(&b, &a);
}

Test(cycles, deep_nesting_finds_the_one_inversion_fast)
{
	/* T1 holds 200 locks at once (taking each with all earlier ones
	 * held: 19,900 edges); T2 takes lock 151 then lock 21. */
	enum { N = 200 };
	struct tb b = {0};
	tb_standard(&b, 2, N);
	uint32_t held[N];
	for (uint32_t i = 1; i <= N; i++) {
		if (i > 1)
			tb_acquire(&b, 1, i, 0, held, i - 1);
		held[i - 1] = i;
	}
	const uint32_t h151[] = {151};
	tb_acquire(&b, 2, 21, 0, h151, 1);
	struct analysis a;
	analyze(&b, &a);
	cr_assert_eq(a.cycles.n, 1, "exactly the inversion, got %zu cycles", a.cycles.n);
	cr_expect_eq(a.cycles.v[0].len, 2);
	cr_expect_not(a.cycles.v[0].latent);
	done(&b, &a);
}

Test(cycles, three_lock_cycle_two_threads_is_latent)
{
	/* T1 supplies two edges of the cycle: a thread waits in one place only. */
	struct tb b = {0};
	tb_standard(&b, 2, 3);
	tb_acquire(&b, 1, 2, 0, L1, 1);
	tb_acquire(&b, 1, 3, 0, L2, 1);
	tb_acquire(&b, 2, 1, 0, L3, 1);
	struct analysis a;
	analyze(&b, &a);
	cr_assert_eq(a.cycles.n, 1);
	cr_expect(a.cycles.v[0].latent);
	done(&b, &a);
}

Test(cycles, nested_holder_gives_the_direct_edge)
{
	/* T1 holds 1 and 2 while taking 3; T2 takes 3 then 1. The cycle 1 -> 3
	 * -> 1 is a real two-thread deadlock. 1 -> 2 -> 3 -> 1 is not even
	 * latent: its first two edges both hold lock 1, so no two threads could
	 * ever be inside them at once. */
	struct tb b = {0};
	tb_standard(&b, 2, 3);
	const uint32_t h12[] = {1, 2};
	tb_acquire(&b, 1, 2, 0, L1, 1);
	tb_acquire(&b, 1, 3, 0, h12, 2);
	tb_acquire(&b, 2, 1, 0, L3, 1);
	struct analysis a;
	analyze(&b, &a);
	cr_assert_eq(a.cycles.n, 1);
	cr_expect_not(a.cycles.v[0].latent);
	cr_expect_eq(a.cycles.v[0].len, 2);
	done(&b, &a);
}

Test(cycles, two_cycles_sharing_a_lock_are_two_findings)
{
	struct tb b = {0};
	tb_standard(&b, 4, 3);
	tb_acquire(&b, 1, 2, 0, L1, 1);
	tb_acquire(&b, 2, 1, 0, L2, 1);
	tb_acquire(&b, 3, 3, 0, L1, 1);
	tb_acquire(&b, 4, 1, 0, L3, 1);
	struct analysis a;
	analyze(&b, &a);
	cr_expect_eq(a.cycles.n, 2);
	done(&b, &a);
}

Test(cycles, consistent_order_has_no_cycle)
{
	struct tb b = {0};
	tb_standard(&b, 4, 6);
	for (uint32_t t = 1; t <= 4; t++)
		for (uint32_t i = 1; i < 6; i++) {
			uint32_t held[6];
			for (uint32_t k = 0; k < i; k++)
				held[k] = k + 1;
			tb_acquire(&b, t, i + 1, 0, held, i);
		}
	struct analysis a;
	analyze(&b, &a);
	cr_expect_eq(a.cycles.n, 0);
	cr_expect_eq(a.cycles.components_cut, 0);
	done(&b, &a);
}

Test(cycles, dense_graph_is_bounded_and_says_so)
{
	/* 40 locks, every ordered pair taken by its own thread: a clique with
	 * astronomically many cycles. The search must stop at its bounds and
	 * report that it did. */
	struct tb b = {0};
	const unsigned n = 40;
	tb_standard(&b, n * n, n);
	for (uint32_t i = 1; i <= n; i++)
		for (uint32_t j = 1; j <= n; j++)
			if (i != j)
				tb_acquire(&b, (i - 1) * n + j, j, 0, &i, 1);
	struct analysis a;
	struct lg_cycle_limits lim = lg_cycle_default_limits;
	lim.max_cycles = 200;
	analyze_with(&b, &a, &lim);
	cr_expect_eq(a.cycles.n, 200);
	cr_expect_eq(a.cycles.components_cut, 1);
	done(&b, &a);
}

Test(cycles, length_bound_is_reported)
{
	/* A ring of 20 locks, one thread per edge; with cycles limited to 12
	 * locks it is not examined, and the report must say the bound was hit. */
	struct tb b = {0};
	tb_standard(&b, 20, 20);
	for (uint32_t i = 1; i <= 20; i++) {
		uint32_t next = i % 20 + 1;
		tb_acquire(&b, i, next, 0, &i, 1);
	}
	struct analysis a;
	analyze(&b, &a);
	cr_expect_eq(a.cycles.n, 0);
	cr_expect_eq(a.cycles.components_cut, 1);
	lg_cycles_free(&a.cycles);
	struct lg_cycle_limits lim = lg_cycle_default_limits;
	lim.max_length = 20;
	lg_cycles_find(a.graph, &lim, &a.cycles);
	cr_expect_eq(a.cycles.n, 1);
	cr_expect_eq(a.cycles.v[0].len, 20);
	done(&b, &a);
}
