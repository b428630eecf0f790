#!/usr/bin/env python3
"""lockgraph end to end over samples/: each sample's report matches the
verdict stated in its header comment.

Usage (meson passes the paths): test_samples.py --lockgraph EXE --lib SO
    --samples-src DIR --sample NAME PATH ... CASE SAMPLE

Cases:
  json SAMPLE        `lockgraph run --format json --output F`: the finding in full
  text SAMPLE        `lockgraph run` (text), to stderr and with --output
  fixed-json SAMPLE  the same on `SAMPLE --fixed`, which must be clean
  fixed-text SAMPLE
  report SAMPLE      plain LD_PRELOAD run, then `lockgraph report DIR`
  merge SAMPLE       three LD_PRELOAD runs into one directory: one finding, three processes
"""

import collections
import os
import re
import sys

sys.dont_write_bytecode = True  # never write __pycache__ into the source tree

import lgtest  # noqa: E402
from lgtest import FOUND, check, check_equal, check_frame, fail  # noqa: E402

POTENTIAL, LATENT, CLEAN = "potential", "latent", "clean"

# Where a lock was taken: the function and the `/* lg:MARKER */` on the line
# of its pthread_mutex_lock call.
Site = collections.namedtuple("Site", "function marker")

# An expected lock-order edge: `thread` took `acquired` (at acquired_at)
# while holding `held` (taken at held_at). thread None: not checked (the main
# thread's name is the executable's name, not chosen by the sample).
Edge = collections.namedtuple("Edge", "held acquired thread acquired_at held_at")

Sample = collections.namedtuple("Sample", "source verdict edges first_taken created_at")


def dining_edges():
    return [
        Edge(f"forks[{i}]", f"forks[{(i + 1) % 5}]", f"philosopher-{i}",
             Site("eat", "second-fork"), Site("eat", "first-fork"))
        for i in range(5)
    ]


# The verdicts of samples/*.c, as their header comments state them.
SAMPLES = {
    "bank_transfer": Sample(
        source="bank_transfer.c",
        verdict=POTENTIAL,
        edges=[
            Edge("accounts[0].lock", "accounts[1].lock", "teller-1",
                 Site("transfer", "take-to"), Site("transfer", "take-from")),
            Edge("accounts[1].lock", "accounts[0].lock", "teller-2",
                 Site("transfer", "take-to"), Site("transfer", "take-from")),
        ],
        # teller-1 goes first and takes both accounts.
        first_taken={
            "accounts[0].lock": Site("transfer", "take-from"),
            "accounts[1].lock": Site("transfer", "take-to"),
        },
        created_at=Site("main", "create"),
    ),
    "inventory_sales": Sample(
        source="inventory_sales.c",
        verdict=POTENTIAL,
        edges=[
            Edge("inventory_lock", "sales_lock", "cashier",
                 Site("record_sale", "sale-sales"), Site("record_sale", "sale-inventory")),
            Edge("sales_lock", "inventory_lock", "auditor",
                 Site("audit_books", "audit-inventory"), Site("audit_books", "audit-sales")),
        ],
        # The cashier goes first.
        first_taken={
            "inventory_lock": Site("record_sale", "sale-inventory"),
            "sales_lock": Site("record_sale", "sale-sales"),
        },
        created_at=Site("main", "create"),
    ),
    "dining_philosophers": Sample(
        source="dining_philosophers.c",
        verdict=POTENTIAL,
        edges=dining_edges(),
        # philosopher-0 goes first: forks[0] as its first fork, forks[1] as its
        # second; every later fork is first taken as someone's second fork.
        first_taken=dict(
            [("forks[0]", Site("eat", "first-fork"))]
            + [(f"forks[{i}]", Site("eat", "second-fork")) for i in range(1, 5)]
        ),
        created_at=Site("main", "create"),
    ),
    "ordered_workers": Sample(
        source="ordered_workers.c", verdict=CLEAN, edges=[], first_taken={}, created_at=None
    ),
    "job_queue": Sample(
        source="job_queue.c", verdict=CLEAN, edges=[], first_taken={}, created_at=None
    ),
    "config_reload": Sample(
        source="config_reload.c",
        verdict=LATENT,
        edges=[
            Edge("config_lock", "cache_lock", None,
                 Site("load_config", "startup-cache"), Site("load_config", "startup-config")),
            Edge("cache_lock", "config_lock", None,
                 Site("reload_config", "reload-config"), Site("reload_config", "reload-cache")),
        ],
        first_taken={
            "config_lock": Site("load_config", "startup-config"),
            "cache_lock": Site("load_config", "startup-cache"),
        },
        created_at=None,  # the main thread was not created by pthread_create
    ),
}


def sample_spec(name):
    if name not in SAMPLES:
        fail(f"no expectations for sample {name!r}: add it to SAMPLES in {__file__}")
    return SAMPLES[name]


class Target:
    """One sample program and variant under test."""

    def __init__(self, args, name, fixed):
        self.args = args
        self.name = name
        self.spec = sample_spec(name)
        self.exe = lgtest.sample_path(args, name)
        self.argv = [self.exe] + (["--fixed"] if fixed else [])
        self.verdict = CLEAN if fixed else self.spec.verdict
        check(args.samples_src, "--samples-src is required")
        self.source = os.path.join(args.samples_src, self.spec.source)
        self.lines = lgtest.marker_lines(self.source)
        self._native = None

    def native(self):
        """The program's own run, without lockgraph."""
        if self._native is None:
            result = lgtest.run(self.argv)
            lgtest.check_status(result, 0, "the sample run natively")
            self._native = result
        return self._native

    def line(self, site):
        if site.marker not in self.lines:
            fail(f"{self.source}: no /* lg:{site.marker} */ marker")
        return self.lines[site.marker]

    def expected_status(self):
        return FOUND if self.verdict == POTENTIAL else 0


# ---------------------------------------------------------------- JSON checks


def check_findings(target, report, where, processes=1, pids=None, occurrences=1):
    """Checks a parsed JSON report against the target's verdict."""
    lgtest.check_report_shape(report, where)
    findings = report["findings"]
    if target.verdict == CLEAN:
        check(findings == [],
              f"{where}: expected no findings for {target.name} (clean), got "
              f"{len(findings)}:{lgtest.findings_summary(report)}")
        return
    check(len(findings) == 1,
          f"{where}: expected exactly 1 finding for {target.name}, got "
          f"{len(findings)}:{lgtest.findings_summary(report)}")
    finding = findings[0]
    check_finding(target, finding, where)
    check_processes(target, finding, where, processes, pids)
    check_equal(finding.get("occurrences"), occurrences, f"{where}: occurrences")


def check_finding(target, finding, where):
    spec = target.spec
    check_equal(finding.get("kind"), "potential-deadlock", f"{where}: kind")
    check_equal(finding.get("latent"), target.verdict == LATENT, f"{where}: latent")
    signature = finding.get("signature")
    check(isinstance(signature, str) and signature,
          f"{where}: expected a non-empty signature, got {signature!r}")

    # Locks: exactly the cycle's, named from debug info.
    locks = finding.get("locks") or []
    names = {lock.get("id"): lock.get("name") for lock in locks}
    expected_names = {e.held for e in spec.edges}
    check_equal(sorted(map(str, names.values())), sorted(expected_names), f"{where}: lock names")
    check(len(names) == len(locks), f"{where}: lock ids are not unique: {locks!r}")
    for lock in locks:
        lname = lock.get("name")
        check_equal(lock.get("kind"), "mutex", f"{where}: kind of lock {lname}")
        address = lock.get("address")
        check(isinstance(address, str) and address.startswith("0x"),
              f"{where}: address of lock {lname}: expected a 0x… string, got {address!r}")
        # Where a lock was first taken may be unknown (empty); if it is
        # given it must be right.
        first = lock.get("first_taken")
        if first:
            site = spec.first_taken[lname]
            check_frame(first, site.function, spec.source, target.line(site),
                        f"{where}: first_taken of {lname}", module=target.exe)

    threads = {t.get("id"): t for t in finding.get("threads") or []}

    # Edges: one per lock of the cycle, each with both stacks.
    edges = finding.get("edges") or []
    check_equal(len(edges), len(spec.edges), f"{where}: number of edges (the cycle's length)")
    by_pair = {}
    for edge in edges:
        pair = (names.get(edge.get("from")), names.get(edge.get("to")))
        check(pair not in by_pair, f"{where}: two edges {pair[0]} -> {pair[1]}")
        by_pair[pair] = edge
    for want in spec.edges:
        label = f"{where}: edge {want.held} -> {want.acquired}"
        edge = by_pair.get((want.held, want.acquired))
        check(edge is not None,
              f"{label}: missing; the edges are {sorted(map(str, by_pair))}")
        thread = threads.get(edge.get("thread"))
        check(thread is not None,
              f"{label}: thread {edge.get('thread')!r} is not in the threads list {sorted(threads)}")
        if want.thread is not None:
            check_equal(thread.get("name"), want.thread, f"{label}: thread name")
        check_frame(edge.get("acquire_stack"), want.acquired_at.function, spec.source,
                    target.line(want.acquired_at),
                    f"{label}: acquire_stack (where {want.acquired} was taken)", module=target.exe)
        check_frame(edge.get("held_stack"), want.held_at.function, spec.source,
                    target.line(want.held_at),
                    f"{label}: held_stack (where {want.held} was taken)", module=target.exe)

    # Threads: a potential deadlock needs one distinct thread per edge; the
    # latent finding here comes from one thread only.
    edge_threads = [edge.get("thread") for edge in edges]
    if target.verdict == POTENTIAL:
        check(len(set(edge_threads)) == len(edge_threads),
              f"{where}: expected one distinct thread per edge, got {edge_threads}")
    else:
        check(len(set(edge_threads)) == 1,
              f"{where}: expected all edges from one thread (latent), got {edge_threads}")
    if spec.created_at is not None:
        for tid in set(edge_threads):
            thread = threads[tid]
            check_frame(thread.get("created_at"), spec.created_at.function, spec.source,
                        target.line(spec.created_at),
                        f"{where}: created_at of thread {thread.get('name')}", module=target.exe)


def check_processes(target, finding, where, count, pids):
    processes = finding.get("processes") or []
    check_equal(len(processes), count, f"{where}: number of processes")
    for process in processes:
        exe = process.get("exe")
        check(isinstance(exe, str) and lgtest.same_file(exe, target.exe),
              f"{where}: process exe: expected {target.exe}, got {exe!r}")
        pid = process.get("pid")
        check(isinstance(pid, int) and pid > 0, f"{where}: process pid: got {pid!r}")
    if pids is not None:
        check_equal(sorted(p.get("pid") for p in processes), sorted(pids), f"{where}: process pids")


# ---------------------------------------------------------------- text checks


def check_text_report(target, text, where):
    """A text report names the cycle's locks, and the functions and source
    lines that took them."""
    if target.verdict == CLEAN:
        check(text == "", f"{where}: expected no report for a clean run, got:{lgtest.clip(text)}")
        return
    spec = target.spec
    sites = {s for e in spec.edges for s in (e.acquired_at, e.held_at)}
    wanted = sorted({e.held for e in spec.edges})
    wanted += sorted({s.function for s in sites})
    wanted += sorted({f"{spec.source}:{target.line(s)}" for s in sites})
    if target.verdict == POTENTIAL:
        wanted.append("SUMMARY")
    # Whole words: "load_config" must not be found inside "reload_config".
    missing = [w for w in wanted if not re.search(rf"(?<![\w.]){re.escape(w)}(?!\w)", text)]
    check(not missing, f"{where}: the report does not mention {missing}:{lgtest.clip(text)}")


# ---------------------------------------------------------------- cases


def case_json(args, name, fixed=False):
    target = Target(args, name, fixed)
    native = target.native()
    with lgtest.temp_dir() as tmp:
        out = os.path.join(tmp, "report.json")
        result = lgtest.run([args.lockgraph, "run", "--format", "json", "--output", out, "--"]
                            + target.argv, cwd=tmp)
        lgtest.check_status(result, target.expected_status(), f"{target.verdict} verdict")
        check(result.stdout == native.stdout,
              "with --output, stdout must be exactly the program's own output" + result.describe())
        if target.verdict == CLEAN:
            check(result.stderr == native.stderr,
                  "a clean run must leave the program's stderr unchanged" + result.describe())
        report = lgtest.load_json(out)
        check_findings(target, report, "lockgraph run --format json")
        if target.verdict != CLEAN:
            pid = report["findings"][0]["processes"][0]["pid"]
            check(pid != result.pid, f"the process pid {pid} is lockgraph's own, not the program's")


def case_text(args, name, fixed=False):
    target = Target(args, name, fixed)
    native = target.native()
    with lgtest.temp_dir() as tmp:
        # To stderr, after the program's own: stdout stays the program's,
        # so lockgraph run can sit in a pipeline.
        result = lgtest.run([args.lockgraph, "run", "--"] + target.argv, cwd=tmp)
        lgtest.check_status(result, target.expected_status(), f"{target.verdict} verdict")
        check(result.stdout == native.stdout,
              "stdout must be exactly the program's own output"
              + f"\n  native stdout:{lgtest.clip(native.out)}" + result.describe())
        check(result.stderr.startswith(native.stderr),
              "stderr must start with the program's own, unchanged" + result.describe())
        report = result.stderr[len(native.stderr):].decode("utf-8", "replace")
        check_text_report(target, report, "lockgraph run (text, stderr)")
        if target.verdict == CLEAN:
            check(result.stderr == native.stderr,
                  "a clean run must leave the program's stderr unchanged" + result.describe())

        # To a file: stdout is the program's alone.
        out = os.path.join(tmp, "report.txt")
        result = lgtest.run([args.lockgraph, "run", "--output", out, "--"] + target.argv, cwd=tmp)
        lgtest.check_status(result, target.expected_status(), f"{target.verdict} verdict")
        check(result.stdout == native.stdout,
              "with --output, stdout must be exactly the program's own output" + result.describe())
        text = lgtest.read_text(out) if os.path.exists(out) else ""
        check_text_report(target, text, f"lockgraph run --output {out}")


def case_fixed_json(args, name):
    case_json(args, name, fixed=True)


def case_fixed_text(args, name):
    case_text(args, name, fixed=True)


def preload_run(target, out_dir):
    """Runs the target under plain LD_PRELOAD, writing its trace to out_dir."""
    env = lgtest.preload_env(target.args, out_dir)
    result = lgtest.run(target.argv, env=env, cwd=out_dir)
    native = target.native()
    if target.verdict == POTENTIAL:
        # The preload may exit with its exitcode (66) when it saw the cycle
        # itself; nothing else may change.
        check(result.status in (0, FOUND),
              f"under LD_PRELOAD, expected exit status 0 or {FOUND}" + result.describe())
    else:
        lgtest.check_status(result, 0, "under LD_PRELOAD, nothing to report")
        check(result.stderr == native.stderr,
              "under LD_PRELOAD, stderr must be the program's own" + result.describe())
    check(result.stdout == native.stdout,
          "under LD_PRELOAD, stdout must be the program's own" + result.describe())
    return result


def case_report(args, name):
    target = Target(args, name, fixed=False)
    with lgtest.temp_dir() as tmp:
        traces = os.path.join(tmp, "traces")
        os.mkdir(traces)
        traced = preload_run(target, traces)
        files = lgtest.trace_files(traces)
        check_equal(len(files), 1, f"number of .lgt files in {traces} ({os.listdir(traces)})")

        out = os.path.join(tmp, "report.json")
        result = lgtest.run([args.lockgraph, "report", "--format", "json", "--output", out,
                             traces], cwd=tmp)
        lgtest.check_status(result, target.expected_status(), f"{target.verdict} verdict")
        check(result.stdout == b"", "with --output, stdout must be empty" + result.describe())
        check_findings(target, lgtest.load_json(out), f"lockgraph report --format json {traces}",
                       pids=[traced.pid])

        # The same in text, to stdout; and the trace file named directly.
        for path in (traces, files[0]):
            result = lgtest.run([args.lockgraph, "report", path], cwd=tmp)
            lgtest.check_status(result, target.expected_status(), f"{target.verdict} verdict")
            check_text_report(target, result.out, f"lockgraph report {path}")


def case_merge(args, name, runs="3"):
    target = Target(args, name, fixed=False)
    runs = int(runs)
    with lgtest.temp_dir() as tmp:
        traces = os.path.join(tmp, "traces")
        os.mkdir(traces)
        pids = [preload_run(target, traces).pid for _ in range(runs)]
        check_equal(len(lgtest.trace_files(traces)), runs, f"number of .lgt files in {traces}")
        out = os.path.join(tmp, "report.json")
        result = lgtest.run([args.lockgraph, "report", "--format", "json", "--output", out,
                             traces], cwd=tmp)
        lgtest.check_status(result, target.expected_status(), f"{target.verdict} verdict")
        # The same cycle in every run is one finding, seen in every process.
        check_findings(target, lgtest.load_json(out), f"lockgraph report of {runs} runs",
                       processes=runs, pids=pids, occurrences=runs)


CASES = {
    "json": case_json,
    "text": case_text,
    "fixed-json": case_fixed_json,
    "fixed-text": case_fixed_text,
    "report": case_report,
    "merge": case_merge,
}

if __name__ == "__main__":
    lgtest.main(CASES)
