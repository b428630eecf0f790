/* The trace reader: what it accepts (a cut last record from a killed
 * process) and what it rejects, with which message. */
#include <criterion/criterion.h>
#include <string.h>

#include "trace.h"
#include "trace_builder.h"
#include "trace_format.h"

static struct lg_trace *parse(const struct tb *b, char *err, size_t errlen)
{
	err[0] = 0;
	return lg_trace_parse("t.lgt", b->data, b->len, err, errlen);
}

static void expect_rejected(const struct tb *b, const char *message_part)
{
	char err[256];
	struct lg_trace *t = parse(b, err, sizeof(err));
	cr_expect_null(t, "a malformed trace was accepted");
	lg_trace_free(t);
	cr_expect(strstr(err, message_part) != NULL, "message '%s' does not say '%s'", err,
	          message_part);
}

static const uint32_t L1[] = {1};

Test(trace_read, complete_trace_is_read_whole)
{
	struct tb b = {0};
	tb_standard(&b, 2, 2);
	tb_acquire(&b, 2, 2, 0, L1, 1);
	tb_end(&b);
	char err[256];
	struct lg_trace *t = parse(&b, err, sizeof(err));
	cr_assert_not_null(t, "%s", err);
	cr_expect_eq(t->pid, 4242);
	cr_expect_str_eq(t->exe, "/usr/bin/test-program");
	cr_expect_str_eq(t->host, "testhost");
	cr_expect_eq(t->nthreads, 2);
	cr_expect_eq(t->nlocks, 2);
	cr_expect_eq(t->nacquires, 1);
	cr_expect_eq(t->acquires[0].nheld, 1);
	cr_expect_eq(t->acquires[0].held[0].lock, 1);
	cr_expect(t->ended);
	cr_expect_not(t->truncated);
	cr_expect_eq(lg_trace_lock_by_id(t, 2)->address, 0x7f0000001000 + 128);
	cr_expect_null(lg_trace_lock_by_id(t, 3));
	lg_trace_free(t);
	tb_free(&b);
}

Test(trace_read, cut_last_record_is_accepted_and_flagged)
{
	struct tb b = {0};
	tb_standard(&b, 2, 2);
	size_t complete = b.len;
	tb_acquire(&b, 2, 2, 0, L1, 1);
	for (size_t cut = complete + 1; cut < b.len; cut += 3) {
		struct tb part = {.data = b.data, .len = cut};
		char err[256];
		struct lg_trace *t = parse(&part, err, sizeof(err));
		cr_assert_not_null(t, "cut at %zu: %s", cut, err);
		cr_expect(t->truncated);
		cr_expect_eq(t->truncated_at, complete);
		cr_expect_eq(t->nacquires, 0);
		cr_expect_eq(t->nlocks, 2);
		cr_expect_not(t->ended);
		lg_trace_free(t);
	}
	tb_free(&b);
}

Test(trace_read, empty_file_is_rejected)
{
	struct tb b = {0};
	expect_rejected(&b, "empty file");
}

Test(trace_read, other_file_is_not_a_trace)
{
	struct tb b = {0};
	tb_raw(&b, "#!/bin/sh\necho hello, this is not a trace\n", 42);
	expect_rejected(&b, "not a lockgraph trace");
	tb_free(&b);
}

Test(trace_read, newer_major_version_is_rejected)
{
	struct tb b = {0};
	tb_process(&b, 1, "/bin/x");
	struct lg_rec_process *p = (struct lg_rec_process *)(b.data + sizeof(struct lg_rec_header));
	p->version_major = 9;
	expect_rejected(&b, "trace format 9.");
	tb_free(&b);
}

Test(trace_read, reference_to_unknown_lock_is_rejected)
{
	struct tb b = {0};
	tb_standard(&b, 1, 1);
	const uint32_t held[] = {7};
	tb_acquire(&b, 1, 1, 0, held, 1);
	expect_rejected(&b, "record 5 at byte");
	tb_free(&b);
}

Test(trace_read, duplicate_id_is_rejected)
{
	struct tb b = {0};
	tb_standard(&b, 1, 1);
	tb_lock(&b, 1, 0x1000);
	expect_rejected(&b, "lock id 1 is zero or defined twice");
	tb_free(&b);
}

Test(trace_read, absurd_record_length_is_rejected)
{
	struct tb b = {0};
	tb_standard(&b, 1, 1);
	struct lg_rec_header h = {.type = LG_REC_STACK, .len = 0x7fffffff};
	tb_raw(&b, &h, sizeof(h));
	tb_raw(&b, "xxxxxxxx", 8);
	expect_rejected(&b, "larger than any record");
	tb_free(&b);
}

Test(trace_read, short_payload_is_rejected)
{
	struct tb b = {0};
	tb_standard(&b, 1, 1);
	tb_record(&b, LG_REC_LOCK, "abc", 3);
	expect_rejected(&b, "malformed lock record");
	tb_free(&b);
}

Test(trace_read, unknown_record_type_is_skipped)
{
	struct tb b = {0};
	tb_standard(&b, 1, 1);
	tb_record(&b, 200, "future", 6);
	tb_end(&b);
	char err[256];
	struct lg_trace *t = parse(&b, err, sizeof(err));
	cr_assert_not_null(t, "%s", err);
	cr_expect_eq(t->unknown_records, 1);
	cr_expect(t->ended);
	lg_trace_free(t);
	tb_free(&b);
}

Test(trace_read, missing_file_names_the_system_error)
{
	char err[256];
	struct lg_trace *t = lg_trace_read("/nonexistent/dir/x.lgt", err, sizeof(err));
	cr_expect_null(t);
	cr_expect_str_eq(err, "No such file or directory");
}

Test(trace_read, deadlock_record_is_read_in_cycle_order)
{
	struct tb b = {0};
	tb_standard(&b, 3, 2);
	const uint32_t threads[] = {2, 3}, locks[] = {2, 1};
	tb_deadlock(&b, threads, locks, 2, 0);
	char err[256];
	struct lg_trace *t = parse(&b, err, sizeof(err));
	cr_assert_not_null(t, "%s", err);
	cr_assert_eq(t->ndeadlocks, 1);
	const struct lg_trace_deadlock *d = &t->deadlocks[0];
	cr_expect_eq(d->nwaiters, 2);
	cr_expect_eq(d->detected_ns - d->formed_ns, 3000000 - 1000);
	cr_expect_eq(d->waiters[0].thread, 2);
	cr_expect_eq(d->waiters[0].lock, 2);
	cr_expect_eq(d->waiters[0].nholding, 1);
	cr_expect_eq(d->waiters[0].holding[0].lock, 1, "thread 2 holds what thread 3 waits for");
	cr_expect_eq(d->waiters[1].holding[0].lock, 2);
	lg_trace_free(t);
	tb_free(&b);
}

Test(trace_read, deadlock_record_with_unknown_lock_is_rejected)
{
	struct tb b = {0};
	tb_standard(&b, 3, 2);
	const uint32_t threads[] = {2, 3}, locks[] = {2, 9};
	tb_deadlock(&b, threads, locks, 2, 0);
	expect_rejected(&b, "deadlock record");
	tb_free(&b);
}

Test(trace_read, deadlock_record_cut_inside_is_rejected)
{
	struct tb b = {0};
	tb_standard(&b, 3, 2);
	const uint32_t threads[] = {2, 3}, locks[] = {2, 1};
	tb_deadlock(&b, threads, locks, 2, 0);
	/* Claim three waiters where two were written: the payload ends early. */
	struct lg_rec_deadlock *d =
	        (struct lg_rec_deadlock *)(b.data + b.len -
	                                   (sizeof(struct lg_rec_deadlock) +
	                                    2 * (sizeof(struct lg_rec_waiter) +
	                                         sizeof(struct lg_rec_holding))));
	d->nthreads = 3;
	expect_rejected(&b, "deadlock record cut short");
	tb_free(&b);
}
