#!/usr/bin/env python3
"""Lock classes: an inversion that only different objects of the same classes
show is reported ("scope": "class"), ranked after instance findings and
never as a second copy of one; nesting within a class is reported only
when its paths disagree on an address order.

Usage (meson passes the paths): test_classes.py --lockgraph EXE --lib SO
    --samples-src DIR --sample NAME PATH ... CASE

Cases:
  journal           journal_accounts: exactly one class finding, its classes,
                    the objects each path took, where, and the text's words
  journal-fixed     journal_accounts --fixed: clean at both levels
  journal-off       --classes off, LOCKGRAPH_OPTIONS=classes=off: clean;
                    --classes sometimes: bad usage
  refund            refund_order: exactly one finding within one class, the
                    objects each path took, where, and the text's words
  refund-fixed      refund_order --fixed: clean at both levels
  refund-latent     refund_order --serial (the two paths in one thread after
                    the other): latent, not potential
  object-tree       nesting parent before child, one class: clean
  ordered-transfer  nesting by address, one class: clean
  no-duplicates     bank_transfer and dining_philosophers: their instance
                    findings only, no class copy
  ranking           one run with an instance and a class finding: the
                    instance finding first
"""

import os
import sys

sys.dont_write_bytecode = True  # never write __pycache__ into the source tree

import lgtest  # noqa: E402
from lgtest import FOUND, check, check_equal, check_frame  # noqa: E402

JOURNAL_OUT = b"balances: 100 300 300 400, audited 1200, journal: 8 entries\n"


def source(args, name):
    return os.path.join(args.samples_src, name + ".c")


def run_json(args, name, options=(), flags=(), env=None):
    prog = lgtest.sample_path(args, name)
    with lgtest.temp_dir() as cwd:
        result, report = lgtest.lockgraph_json(args, "run", list(options), [prog] + list(flags),
                                               cwd, env=env)
    check(report is not None, "no report was written" + result.describe())
    lgtest.check_report_shape(report)
    return result, report


def check_clean(result, report, stdout, what):
    lgtest.check_status(result, 0, f"{what}: nothing to report")
    check_equal(report["findings"], [], f"{what}: findings")
    if stdout is not None:
        check_equal(result.stdout, stdout, f"{what}: the program's output")


def journal(args):
    result, report = run_json(args, "journal_accounts")
    lgtest.check_status(result, FOUND, "a class-level potential deadlock")
    check_equal(result.stdout, JOURNAL_OUT, "journal_accounts' output")
    findings = report["findings"]
    check_equal(len(findings), 1, "findings" + lgtest.findings_summary(report))
    f = findings[0]
    check_equal((f["kind"], f["scope"], f["latent"]), ("potential-deadlock", "class", False),
                "kind, scope, latent")
    src = source(args, "journal_accounts")
    init = lgtest.marker_line(src, "account-init")
    accounts = f"accounts[].lock (created at account_open (journal_accounts.c:{init}))"
    by_id = {lock["id"]: lock for lock in f["locks"]}
    check_equal(sorted(lock["description"] for lock in f["locks"]),
                sorted([accounts, "journal_lock"]), "the two classes")
    edges = {(e["from_object"], e["to_object"]): e for e in f["edges"]}
    check_equal(sorted(edges), sorted([("accounts[1].lock", "journal_lock"),
                                       ("journal_lock", "accounts[2].lock")]),
                "the objects each path took")
    for (held, taken), e in edges.items():
        check_equal(by_id[e["from"]]["description"], accounts if held.startswith("accounts")
                    else "journal_lock", f"class of {held}")
    deposit = edges[("accounts[1].lock", "journal_lock")]
    audit = edges[("journal_lock", "accounts[2].lock")]
    check_frame(deposit["acquire_stack"], "deposit", "journal_accounts.c",
                lgtest.marker_line(src, "deposit-journal"), "deposit's journal lock")
    check_frame(deposit["held_stack"], "deposit", "journal_accounts.c",
                lgtest.marker_line(src, "deposit-account"), "deposit's account lock")
    check_frame(audit["acquire_stack"], "audit", "journal_accounts.c",
                lgtest.marker_line(src, "audit-account"),
                "audit's account lock")
    check_frame(audit["held_stack"], "audit", "journal_accounts.c",
                lgtest.marker_line(src, "audit-journal"),
                "audit's journal lock")
    threads = {t["id"]: t["name"] for t in f["threads"]}
    check_equal(threads[deposit["thread"]], "teller", "deposit's thread")
    check_equal(threads[audit["thread"]], "auditor", "audit's thread")

    prog = lgtest.sample_path(args, "journal_accounts")
    with lgtest.temp_dir() as cwd:
        text = lgtest.run([args.lockgraph, "run", "--", prog], cwd=cwd)
    lgtest.check_status(text, FOUND, "the text report")
    for words in ("potential deadlock: lock-order inversion between 2 lock classes",
                  "took different objects of the same classes, so this run could not\n"
                  "  deadlock; when they meet on one object, each waits for the other",
                  "'teller' took journal_lock while holding accounts[1].lock",
                  "'auditor' took accounts[2].lock while holding journal_lock"):
        check(words in text.err, f"the text report does not say {words!r}" + text.describe())


def journal_fixed(args):
    result, report = run_json(args, "journal_accounts", flags=["--fixed"])
    check_clean(result, report, JOURNAL_OUT, "journal_accounts --fixed")


def journal_off(args):
    result, report = run_json(args, "journal_accounts", options=["--classes", "off"])
    check_clean(result, report, JOURNAL_OUT, "--classes off")
    env = lgtest.clean_env({"LOCKGRAPH_OPTIONS": "classes=off"})
    result, report = run_json(args, "journal_accounts", env=env)
    check_clean(result, report, JOURNAL_OUT, "LOCKGRAPH_OPTIONS=classes=off")
    check("unknown" not in result.err, "the preload complained about classes=off"
          + result.describe())
    result = lgtest.run([args.lockgraph, "run", "--classes", "sometimes", "--",
                         lgtest.sample_path(args, "journal_accounts")])
    lgtest.check_status(result, 2, "bad usage")
    check("unknown classes mode 'sometimes'" in result.err, "the bad value is named"
          + result.describe())
    check(result.stdout == b"", "the program ran despite the bad option")


REFUND_OUT = b"balances: 85 125 100 100\n"


def refund(args):
    result, report = run_json(args, "refund_order")
    lgtest.check_status(result, FOUND, "a potential deadlock within one class")
    check_equal(result.stdout, REFUND_OUT, "refund_order's output")
    findings = report["findings"]
    check_equal(len(findings), 1, "findings" + lgtest.findings_summary(report))
    f = findings[0]
    check_equal((f["kind"], f["scope"], f["within_class"], f["latent"]),
                ("potential-deadlock", "class", True, False), "kind, scope, within_class, latent")
    src = source(args, "refund_order")
    init = lgtest.marker_line(src, "account-init")
    accounts = f"accounts[].lock (created at account_open (refund_order.c:{init}))"
    check_equal([lock["description"] for lock in f["locks"]], [accounts, accounts],
                "both locks are the account class")
    threads = {t["id"]: t["name"] for t in f["threads"]}
    by_thread = {threads[e["thread"]]: e for e in f["edges"]}
    check_equal(sorted(by_thread), ["payer", "refunder"], "the threads of the two paths")
    ordered, reversed_ = by_thread["payer"], by_thread["refunder"]
    check_equal((reversed_["from_object"], reversed_["to_object"]),
                ("accounts[3].lock", "accounts[1].lock"), "the refund's objects")
    check(ordered["from_object"] < ordered["to_object"]
          and {ordered["from_object"], ordered["to_object"]} <= {
              "accounts[0].lock", "accounts[1].lock", "accounts[2].lock"},
          f"a transfer's objects, lower first: {ordered['from_object']}, {ordered['to_object']}")
    check_frame(reversed_["acquire_stack"], "refund", "refund_order.c",
                lgtest.marker_line(src, "refund-second"), "the refund's second lock")
    check_frame(reversed_["held_stack"], "refund", "refund_order.c",
                lgtest.marker_line(src, "refund-first"), "the refund's first lock")
    check_frame(ordered["acquire_stack"], "lock_by_address", "refund_order.c",
                lgtest.marker_line(src, "ordered-second"), "the transfer's second lock")

    prog = lgtest.sample_path(args, "refund_order")
    with lgtest.temp_dir() as cwd:
        text = lgtest.run([args.lockgraph, "run", "--", prog], cwd=cwd)
    lgtest.check_status(text, FOUND, "the text report")
    refund_line = lgtest.marker_line(src, "refund-second")
    for words in ("potential deadlock: two locks of one class taken in opposite orders",
                  "they took different objects in this run, but when both take the\n"
                  "  same two, each waits for the other",
                  f"class: {accounts}\n",
                  "'refunder' took accounts[1].lock while holding accounts[3].lock",
                  f"the one at refund ({src}:{refund_line}) does not"):
        check(words in text.err, f"the text report does not say {words!r}" + text.describe())


def refund_fixed(args):
    result, report = run_json(args, "refund_order", flags=["--fixed"])
    check_clean(result, report, REFUND_OUT, "refund_order --fixed")


def refund_latent(args):
    result, report = run_json(args, "refund_order", flags=["--serial"])
    lgtest.check_status(result, 0, "a latent finding only")
    check_equal(result.stdout, REFUND_OUT, "refund_order --serial's output")
    check_equal([(f["scope"], f["within_class"], f["latent"], f["latent_reason"])
                 for f in report["findings"]],
                [("class", True, True, "threads never overlapped")],
                "one latent finding" + lgtest.findings_summary(report))


def object_tree(args):
    result, report = run_json(args, "object_tree")
    check_clean(result, report, b"tree: 7 nodes, total size 70, 6 renames\n", "object_tree")


def ordered_transfer(args):
    result, report = run_json(args, "ordered_transfer")
    check_clean(result, report, b"balances: 100 100 100 100\n", "ordered_transfer")


def no_duplicates(args):
    for name, locks in (("bank_transfer", 2), ("dining_philosophers", 5)):
        result, report = run_json(args, name)
        lgtest.check_status(result, FOUND, f"{name}: a potential deadlock")
        findings = report["findings"]
        check_equal([(f["scope"], len(f["locks"])) for f in findings], [("instance", locks)],
                    f"{name}: one instance finding, no class copy"
                    + lgtest.findings_summary(report))


def ranking(args):
    bank = lgtest.sample_path(args, "bank_transfer")
    journal_prog = lgtest.sample_path(args, "journal_accounts")
    with lgtest.temp_dir() as cwd:
        result, report = lgtest.lockgraph_json(
            args, "run", [], ["sh", "-c", f"'{journal_prog}' >/dev/null; '{bank}' >/dev/null"],
            cwd)
    lgtest.check_status(result, FOUND, "two potential deadlocks")
    check_equal([(f["scope"], f["kind"]) for f in report["findings"]],
                [("instance", "potential-deadlock"), ("class", "potential-deadlock")],
                "instance findings first" + lgtest.findings_summary(report))
    check_equal(report["summary"]["potential"], 2, "summary.potential")


if __name__ == "__main__":
    lgtest.main({"journal": journal, "journal-fixed": journal_fixed, "journal-off": journal_off,
                 "refund": refund, "refund-fixed": refund_fixed, "refund-latent": refund_latent,
                 "object-tree": object_tree, "ordered-transfer": ordered_transfer,
                 "no-duplicates": no_duplicates, "ranking": ranking})
