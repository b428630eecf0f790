/* Nesting within one lock class (class_nesting.h): when two objects of a
 * class held at once are a finding, on traces built record by record. All
 * locks are created by one init call (stack 1), so they are one class; each
 * code path is a pair of stacks (where the outer and the inner lock were
 * taken). */
#include <criterion/criterion.h>

#include "cycles.h"
#include "findings.h"
#include "lock_classes.h"
#include "trace.h"
#include "trace_builder.h"
#include "trace_format.h"

enum { INIT = 1, ORDERED_OUTER = 10, ORDERED_INNER = 11, OTHER_OUTER = 20, OTHER_INNER = 21 };

static void accounts(struct tb *b, unsigned nthreads)
{
	tb_process(b, 4242, "/usr/bin/test-program");
	tb_stack(b, INIT, 0x401000);
	tb_stack(b, ORDERED_OUTER, 0x402000);
	tb_stack(b, ORDERED_INNER, 0x402010);
	tb_stack(b, OTHER_OUTER, 0x403000);
	tb_stack(b, OTHER_INNER, 0x403010);
	for (unsigned i = 1; i <= nthreads; i++)
		tb_thread(b, i, i == 1 ? 0 : 1, "");
	for (uint32_t i = 1; i <= 6; i++)
		tb_lock_init(b, i, 0x7f0000001000 + i * 64, INIT); /* lock i below lock i+1 */
}

/* Thread t takes inner while holding outer on the address-ordered path or
 * on the other one. */
static void ordered(struct tb *b, uint32_t t, uint32_t outer, uint32_t inner)
{
	tb_acquire_nested(b, t, outer, ORDERED_OUTER, inner, ORDERED_INNER);
}

static void other(struct tb *b, uint32_t t, uint32_t outer, uint32_t inner)
{
	tb_acquire_nested(b, t, outer, OTHER_OUTER, inner, OTHER_INNER);
}

struct result {
	struct lg_trace *trace;
	struct lg_findings f;
};

static void analyze_as(struct tb *b, struct result *r, enum lg_class_mode classes)
{
	tb_end(b);
	char err[256] = "";
	r->trace = lg_trace_parse("test.lgt", b->data, b->len, err, sizeof(err));
	cr_assert_not_null(r->trace, "trace did not parse: %s", err);
	lg_findings_init(&r->f);
	r->f.classes = classes;
	lg_findings_add_trace(&r->f, r->trace, &lg_cycle_default_limits);
}

static void analyze(struct tb *b, struct result *r)
{
	analyze_as(b, r, LG_CLASSES_INIT_SITE);
}

static void done(struct tb *b, struct result *r)
{
	lg_findings_free(&r->f);
	lg_trace_free(r->trace);
	tb_free(b);
}

/* The trace in b has no finding at all. */
static void expect_clean(struct tb *b)
{
	struct result r;
	analyze(b, &r);
	cr_expect_eq(r.f.n, 0, "findings: %zu", r.f.n);
	done(b, &r);
}

/* Transfers between 1 and 2, 1 and 3, 2 and 3 (lower first) on one path. */
static void transfers(struct tb *b, uint32_t t)
{
	ordered(b, t, 1, 2);
	ordered(b, t, 1, 3);
	ordered(b, t, 2, 3);
}

Test(class_nesting, address_order_and_argument_order_disagree)
{
	struct tb b = {0};
	accounts(&b, 3);
	transfers(&b, 2);
	other(&b, 3, 6, 4); /* higher first, on objects the transfers never took */
	struct result r;
	analyze(&b, &r);
	cr_assert_eq(r.f.n, 1, "findings: %zu", r.f.n);
	const struct lg_finding *fi = r.f.v[0];
	cr_expect(fi->class_scope);
	cr_expect(fi->within_class);
	cr_expect_not(fi->latent);
	cr_expect_eq(fi->nedges, 2);
	/* The edge to fix is the other path's: 6 before 4. */
	const struct lg_fedge *fix = &fi->edges[fi->reversing_edge];
	cr_assert_gt(fix->held.n, 0);
	cr_expect_eq(fix->held.frames[0].pc, 0x403000);
	done(&b, &r);
}

Test(class_nesting, one_address_order_everywhere_is_clean)
{
	struct tb b = {0};
	accounts(&b, 3);
	transfers(&b, 2);
	other(&b, 3, 4, 6);
	expect_clean(&b);
}

Test(class_nesting, a_tree_is_not_an_address_order)
{
	/* Parent before child: 1 over 2 and 3, 2 over 4, and 6 over 5 on
	 * another path. Every object has one parent: the order is the
	 * tree's, whatever the addresses say. */
	struct tb b = {0};
	accounts(&b, 3);
	ordered(&b, 2, 1, 2);
	ordered(&b, 2, 1, 3);
	ordered(&b, 2, 2, 4);
	other(&b, 3, 6, 5);
	expect_clean(&b);
}

Test(class_nesting, one_pair_shows_no_order)
{
	struct tb b = {0};
	accounts(&b, 3);
	ordered(&b, 2, 1, 3);
	other(&b, 3, 4, 3); /* 3 inside 1 and inside 4: no tree */
	expect_clean(&b);
}

Test(class_nesting, one_thread_is_latent)
{
	struct tb b = {0};
	accounts(&b, 2);
	transfers(&b, 2);
	other(&b, 2, 6, 4);
	struct result r;
	analyze(&b, &r);
	cr_assert_eq(r.f.n, 1, "findings: %zu", r.f.n);
	cr_expect(r.f.v[0]->within_class);
	cr_expect(r.f.v[0]->latent);
	cr_expect_eq(r.f.v[0]->latent_reason, LG_LATENT_ONE_THREAD);
	done(&b, &r);
}

Test(class_nesting, same_two_objects_both_ways_is_an_instance_cycle)
{
	struct tb b = {0};
	accounts(&b, 3);
	transfers(&b, 2);
	other(&b, 3, 3, 1);
	struct result r;
	analyze(&b, &r);
	/* 1 -> 3 -> 1, and 1 -> 2 -> 3 -> 1 */
	cr_assert_eq(r.f.n, 2, "findings: %zu", r.f.n);
	for (size_t i = 0; i < r.f.n; i++)
		cr_expect_not(r.f.v[i]->class_scope, "finding %zu is a class finding", i);
	done(&b, &r);
}

Test(class_nesting, off_reports_objects_only)
{
	struct tb b = {0};
	accounts(&b, 3);
	transfers(&b, 2);
	other(&b, 3, 6, 4);
	struct result r;
	analyze_as(&b, &r, LG_CLASSES_OFF);
	cr_expect_eq(r.f.n, 0, "findings: %zu", r.f.n);
	done(&b, &r);
}
