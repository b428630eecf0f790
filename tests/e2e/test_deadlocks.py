#!/usr/bin/env python3
"""lockgraph end to end on actual deadlocks: samples that really hang are
stopped and reported with every stuck thread, what it waits for and what it
holds; a deadlock broken by timeouts is counted; contention without a cycle
is never reported.

Usage (meson passes the paths): test_deadlocks.py --lockgraph EXE --lib SO
    --samples-src DIR --sample NAME PATH ... CASE SAMPLE

Cases:
  json SAMPLE        `lockgraph run --format json --output F`: the finding in full
  text SAMPLE        `lockgraph run` (text), to stderr and with --output
  preload SAMPLE     plain LD_PRELOAD run, then `lockgraph report DIR`
  fixed-json SAMPLE  the same as json on `SAMPLE --fixed`, which must be clean
  fixed-text SAMPLE
  abort SAMPLE       on_deadlock=abort: the program dies by SIGABRT and is still reported
  wait SAMPLE        on_deadlock=wait: the program reports, then keeps hanging until killed
  exitcode SAMPLE    LOCKGRAPH_OPTIONS=exitcode=7: the stopped program exits 7

The stuck samples hang forever natively; every run of one here has a time
limit, so before the preload catches actual deadlocks these tests fail by
timeout, not by hanging.
"""

import collections
import os
import re
import signal
import sys
import time

sys.dont_write_bytecode = True  # never write __pycache__ into the source tree

import lgtest  # noqa: E402
from lgtest import FOUND, check, check_equal, check_frame, fail  # noqa: E402

# Verdicts. STUCK: hangs natively, an actual deadlock every run. BROKEN: the
# cycle forms but timed waits give up, so the program finishes (an actual
# deadlock "broken by a timeout", which still counts as found). CLEAN:
# nothing to report.
STUCK, BROKEN, CLEAN = "stuck", "broken by timeout", "clean"

# A stuck program is stopped well within this; natively it would hang.
DEADLOCK_TIMEOUT = 30

# lockgraph confirms an actual deadlock "well under a second" after it forms.
DETECTION_LIMIT_MS = 1000

# How long a stuck sample gets to print what it prints before it hangs, and
# how long it must then stay alive to count as hung.
NATIVE_START_TIMEOUT = 10
STUCK_FOR = 1.0

# The preload's notice on stderr when it stops a deadlocked program.
NOTICE = "lockgraph: deadlock:"

# Where a lock was taken or waited for: the function and the `/* lg:MARKER */`
# on the line of its lock call.
Site = collections.namedtuple("Site", "function marker")

# One thread of an actual deadlock: its name, the lock it waits for (by name)
# and where, and every lock it holds, by name, with where it took it.
Waiter = collections.namedtuple("Waiter", "name waiting_for wait_at holding")

# source: the file in samples/. stdout: what the program prints (STUCK: all
# it prints before it hangs). threads: the cycle (STUCK, BROKEN). also_potential:
# the expected value of that key, None to leave it unchecked. times: how often
# the cycle forms. min_span_ms: the least time from its first to its last time.
Sample = collections.namedtuple(
    "Sample",
    "source verdict stdout threads first_taken created_at also_potential times min_span_ms")


def clean_sample(source, stdout):
    return Sample(source=source, verdict=CLEAN, stdout=stdout, threads=[], first_taken={},
                  created_at=None, also_potential=None, times=0, min_span_ms=0)


RETRY_STORM_OUT = (b"pusher moved 100 from shard 0 to shard 1 after %d retries\n"
                   b"puller moved 70 from shard 1 to shard 0 after %d retries\n"
                   b"shard 0: 970, shard 1: 1030\n")

# The verdicts of samples/*.c, as their header comments state them.
SAMPLES = {
    "transfer_deadlock": Sample(
        source="transfer_deadlock.c",
        verdict=STUCK,
        stdout=b"alice sends 100 to bob, bob sends 70 to alice\n",
        threads=[
            Waiter("alice", "acct_lock[1]", Site("transfer", "take-to"),
                   {"acct_lock[0]": Site("transfer", "take-from")}),
            Waiter("bob", "acct_lock[0]", Site("transfer", "take-to"),
                   {"acct_lock[1]": Site("transfer", "take-from")}),
        ],
        # Each lock is first taken as someone's source account; neither
        # client ever gets its second lock.
        first_taken={
            "acct_lock[0]": Site("transfer", "take-from"),
            "acct_lock[1]": Site("transfer", "take-from"),
        },
        created_at=Site("main", "create"),
        # An ABBA cycle is a lock-order inversion too; reported once, as the
        # actual deadlock.
        also_potential=True,
        times=1,
        min_span_ms=0,
    ),
    "stuck_three": Sample(
        source="stuck_three.c",
        verdict=STUCK,
        stdout=b"pipeline: parse -> store -> notify, 3 stages\n",
        threads=[
            Waiter("parser", "store_lock", Site("hand_over", "hand-next"),
                   {"parse_lock": Site("hand_over", "hand-own")}),
            Waiter("storer", "notify_lock", Site("hand_over", "hand-next"),
                   {"store_lock": Site("hand_over", "hand-own")}),
            Waiter("notifier", "parse_lock", Site("acknowledge", "ack-parse"),
                   {"notify_lock": Site("acknowledge", "ack-own")}),
        ],
        first_taken={
            "parse_lock": Site("hand_over", "hand-own"),
            "store_lock": Site("hand_over", "hand-own"),
            "notify_lock": Site("acknowledge", "ack-own"),
        },
        created_at=Site("main", "create"),
        also_potential=None,
        times=1,
        min_span_ms=0,
    ),
    "rwlock_deadlock": Sample(
        source="rwlock_deadlock.c",
        verdict=STUCK,
        stdout=b"indexing names and ids in two threads\n",
        # Each holds one index for reading and waits to write the other:
        # a writer waits for every reader.
        threads=[
            Waiter("indexer-a", "id_index", Site("cross_index", "record-write"),
                   {"name_index": Site("cross_index", "scan-read")}),
            Waiter("indexer-b", "name_index", Site("cross_index", "record-write"),
                   {"id_index": Site("cross_index", "scan-read")}),
        ],
        first_taken={
            "name_index": Site("cross_index", "scan-read"),
            "id_index": Site("cross_index", "scan-read"),
        },
        created_at=Site("main", "create"),
        also_potential=True,
        times=1,
        min_span_ms=0,
    ),
    "self_relock": Sample(
        source="self_relock.c",
        verdict=STUCK,
        stdout=b"request 1: 12 ms\nrequest 2: 8 ms\nrequest 3: 250 ms\n",
        # A cycle of one: the handler waits for the lock it holds.
        threads=[
            Waiter("handler", "stats_lock", Site("log_stat", "log-relock"),
                   {"stats_lock": Site("update_stats", "update-stats")}),
        ],
        first_taken={"stats_lock": Site("update_stats", "update-stats")},
        created_at=Site("main", "create"),
        also_potential=None,
        times=1,
        min_span_ms=0,
    ),
    "retry_storm": Sample(
        source="retry_storm.c",
        verdict=BROKEN,
        stdout=RETRY_STORM_OUT % (4, 4),
        # Each time the cycle forms: both movers hold their source shard and
        # wait (timed) for the other's.
        threads=[
            Waiter("pusher", "shards[1].lock", Site("move", "take-destination"),
                   {"shards[0].lock": Site("move", "take-source")}),
            Waiter("puller", "shards[0].lock", Site("move", "take-destination"),
                   {"shards[1].lock": Site("move", "take-source")}),
        ],
        first_taken={
            "shards[0].lock": Site("move", "take-source"),
            "shards[1].lock": Site("move", "take-source"),
        },
        created_at=Site("main", "create"),
        # The last round takes both orders for real: the same cycle is an
        # order inversion, not listed again.
        also_potential=True,
        times=4,
        # Three 50 ms timeouts separate the four times it forms.
        min_span_ms=100,
    ),
    "contended_ok": clean_sample(
        "contended_ok.c",
        b"journal: 4 entries\n"
        b"reader-2: got the journal before its timeout\n"
        b"archive: 1 snapshot of 2 or more entries\n"),
}

# The --fixed variants, all clean.
FIXED = {
    "retry_storm": clean_sample("retry_storm.c", RETRY_STORM_OUT % (0, 0)),
}


class Target:
    """One sample program and variant under test."""

    def __init__(self, args, name, fixed=False):
        table = FIXED if fixed else SAMPLES
        if name not in table:
            fail(f"no expectations for sample {name!r}{' --fixed' if fixed else ''}: "
                 f"add it to {'FIXED' if fixed else 'SAMPLES'} in {__file__}")
        self.args = args
        self.name = name
        self.spec = table[name]
        self.verdict = self.spec.verdict
        self.exe = lgtest.sample_path(args, name)
        self.argv = [self.exe] + (["--fixed"] if fixed else [])
        check(args.samples_src, "--samples-src is required")
        self.source = os.path.join(args.samples_src, self.spec.source)
        self.lines = lgtest.marker_lines(self.source)
        self._native = None

    def line(self, site):
        if site.marker not in self.lines:
            fail(f"{self.source}: no /* lg:{site.marker} */ marker")
        return self.lines[site.marker]

    def native(self):
        """The program's own run, without lockgraph. A stuck sample is
        killed once it has printed what it prints and then stayed alive for
        a while: that is how it hangs."""
        if self._native is None:
            self._native = self._native_stuck() if self.verdict == STUCK else self._native_run()
        return self._native

    def _native_run(self):
        result = lgtest.run(self.argv)
        lgtest.check_status(result, 0, "the sample run natively")
        check_equal(result.stdout, self.spec.stdout, "the sample's own stdout (native run)")
        return result

    def _native_stuck(self):
        expected = self.spec.stdout
        with lgtest.temp_dir() as tmp, lgtest.Background(self.argv, tmp, cwd=tmp) as bg:
            printed = lgtest.wait_until(lambda: bg.stdout() == expected or not bg.alive(),
                                        NATIVE_START_TIMEOUT)
            check(printed and bg.alive(),
                  f"natively, the sample should print its header's output and hang; "
                  f"expected stdout {expected!r}" + bg.result().describe())
            time.sleep(STUCK_FOR)
            check(bg.alive(), f"natively, the sample should hang, but it ended within "
                  f"{STUCK_FOR} s" + bg.result().describe())
            result = bg.kill()
        check_equal(result.stdout, expected, "the stuck sample's own stdout (native run)")
        return result

    def expected_status(self):
        return 0 if self.verdict == CLEAN else FOUND

    def timeout(self):
        return DEADLOCK_TIMEOUT if self.verdict == STUCK else lgtest.TIMEOUT


def notices(text):
    """The preload's deadlock notice lines in `text`."""
    return [line for line in text.splitlines() if line.startswith(NOTICE)]


def check_notice(result, what):
    check(notices(result.err),
          f"{what}: expected the preload's notice, a line starting {NOTICE!r}, on stderr"
          + result.describe())


def is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# ---------------------------------------------------------------- JSON checks


def check_findings(target, report, where, pids=None):
    """Checks a parsed JSON report against the target's verdict: a clean
    target has no findings, any other exactly one, the actual deadlock (a
    potential deadlock of the same cycle is not listed again)."""
    lgtest.check_report_shape(report, where)
    findings = report["findings"]
    if target.verdict == CLEAN:
        check(findings == [],
              f"{where}: expected no findings for {target.name} (clean), got "
              f"{len(findings)}:{lgtest.findings_summary(report)}")
        return
    check(len(findings) == 1,
          f"{where}: expected exactly 1 finding for {target.name} (the actual deadlock), got "
          f"{len(findings)}:{lgtest.findings_summary(report)}")
    finding = findings[0]
    check_actual_finding(target, finding, where)
    check_processes(target, finding, where, pids)


def check_actual_finding(target, finding, where):
    spec = target.spec
    check_equal(finding.get("kind"), "actual-deadlock", f"{where}: kind")
    check_equal(finding.get("latent"), False, f"{where}: latent")
    signature = finding.get("signature")
    check(isinstance(signature, str) and signature,
          f"{where}: expected a non-empty signature, got {signature!r}")
    # One process: a cycle that formed once was seen once. One that formed
    # several times may count as seen once (in one process) or once per time.
    occurrences = finding.get("occurrences")
    check(occurrences in (1, spec.times),
          f"{where}: occurrences: expected 1 or {spec.times}, got {occurrences!r}")
    check_equal(finding.get("broken_by_timeout"), target.verdict == BROKEN,
                f"{where}: broken_by_timeout")
    check_equal(finding.get("times"), spec.times, f"{where}: times (how often the cycle formed)")
    also = finding.get("also_potential")
    check(isinstance(also, bool), f"{where}: also_potential: expected true or false, got {also!r}")
    if spec.also_potential is not None:
        check_equal(also, spec.also_potential, f"{where}: also_potential")

    span = finding.get("span_ms")
    check(is_number(span) and span >= 0, f"{where}: span_ms: expected a number >= 0, got {span!r}")
    if spec.times == 1:
        check_equal(span, 0, f"{where}: span_ms of a cycle that formed once")
    else:
        check(span >= spec.min_span_ms,
              f"{where}: span_ms: the cycle formed {spec.times} times over at least "
              f"{spec.min_span_ms} ms, got {span!r}")
    detected = finding.get("detected_after_ms")
    check(is_number(detected) and detected >= 0,
          f"{where}: detected_after_ms: expected a number >= 0, got {detected!r}")
    if target.verdict == STUCK:
        check(detected < DETECTION_LIMIT_MS,
              f"{where}: detected_after_ms: expected under {DETECTION_LIMIT_MS}, got {detected!r}")

    names = check_locks(target, finding, where)
    threads = check_threads(target, finding, names, where)
    check_edges(target, finding, names, threads, where)
    if target.spec.source == "rwlock_deadlock.c":
        # Each holds its index for reading and waits to write the other.
        for edge in finding.get("edges", []):
            check_equal((edge.get("from_mode"), edge.get("to_mode")), ("read", "write"),
                        f"{where}: modes of edge {edge.get('from')} -> {edge.get('to')}")


def check_locks(target, finding, where):
    """The cycle's locks, named from debug info; returns lock id -> name."""
    spec = target.spec
    locks = finding.get("locks") or []
    names = {lock.get("id"): lock.get("name") for lock in locks}
    check(len(names) == len(locks), f"{where}: lock ids are not unique: {locks!r}")
    expected = {t.waiting_for for t in spec.threads}
    check_equal(sorted(map(str, names.values())), sorted(expected), f"{where}: lock names")
    for lock in locks:
        lname = lock.get("name")
        kind = "rwlock" if target.spec.source == "rwlock_deadlock.c" else "mutex"
        check_equal(lock.get("kind"), kind, f"{where}: kind of lock {lname}")
        address = lock.get("address")
        check(isinstance(address, str) and address.startswith("0x"),
              f"{where}: address of lock {lname}: expected a 0x… string, got {address!r}")
        first = lock.get("first_taken")
        if first:
            site = spec.first_taken[lname]
            check_frame(first, site.function, spec.source, target.line(site),
                        f"{where}: first_taken of {lname}", module=target.exe)
    return names


def check_threads(target, finding, names, where):
    """Every stuck thread: its name, the lock it waits for and where, the
    locks it holds and where it took them; returns thread id -> record."""
    spec = target.spec
    threads = finding.get("threads") or []
    by_id = {t.get("id"): t for t in threads}
    check(len(by_id) == len(threads), f"{where}: thread ids are not unique: {threads!r}")
    check_equal(len(threads), len(spec.threads), f"{where}: number of threads in the cycle")
    by_name = {t.get("name"): t for t in threads}
    check_equal(sorted(map(str, by_name)), sorted(w.name for w in spec.threads),
                f"{where}: thread names")
    for want in spec.threads:
        thread = by_name[want.name]
        label = f"{where}: thread {want.name}"
        check_equal(names.get(thread.get("waiting_for"), thread.get("waiting_for")),
                    want.waiting_for, f"{label}: waiting_for")
        check_frame(thread.get("wait_stack"), want.wait_at.function, spec.source,
                    target.line(want.wait_at), f"{label}: wait_stack", module=target.exe)
        holding = thread.get("holding")
        check(isinstance(holding, list), f"{label}: holding: expected a list, got {holding!r}")
        held = {}
        for entry in holding:
            lname = names.get(entry.get("lock"), entry.get("lock"))
            check(lname not in held, f"{label}: holds {lname} twice: {holding!r}")
            held[lname] = entry
        check_equal(sorted(map(str, held)), sorted(want.holding), f"{label}: locks held")
        for lname, site in want.holding.items():
            check_frame(held[lname].get("stack"), site.function, spec.source, target.line(site),
                        f"{label}: where it took {lname}", module=target.exe)
        if spec.created_at is not None:
            check_frame(thread.get("created_at"), spec.created_at.function, spec.source,
                        target.line(spec.created_at), f"{label}: created_at", module=target.exe)
    return by_id


def check_edges(target, finding, names, threads, where):
    """One edge per thread of the cycle: it holds `from` and waits for `to`;
    the edges go around the cycle in order."""
    spec = target.spec
    edges = finding.get("edges") or []
    check_equal(len(edges), len(spec.threads), f"{where}: number of edges (the cycle's length)")
    waited = {w.waiting_for for w in spec.threads}
    for i, edge in enumerate(edges):
        nxt = edges[(i + 1) % len(edges)]
        check(edge.get("to") == nxt.get("from"),
              f"{where}: the edges do not go around the cycle in order: {edges!r:.1000}")
    by_thread = {}
    for edge in edges:
        thread = threads.get(edge.get("thread"))
        check(thread is not None,
              f"{where}: edge thread {edge.get('thread')!r} is not in the threads list "
              f"{sorted(map(str, threads))}")
        by_thread[thread.get("name")] = edge
    for want in spec.threads:
        label = f"{where}: the edge of thread {want.name}"
        edge = by_thread.get(want.name)
        check(edge is not None, f"{label}: missing; the edges are {edges!r:.1000}")
        # The lock it holds that another thread of the cycle (or itself)
        # waits for.
        held = [lname for lname in want.holding if lname in waited]
        check_equal(len(held), 1, f"{label}: expectations (locks it holds in the cycle)")
        pair = (names.get(edge.get("from")), names.get(edge.get("to")))
        check_equal(pair, (held[0], want.waiting_for), f"{label}: from, to")
        held_at = want.holding[held[0]]
        check_frame(edge.get("held_stack"), held_at.function, spec.source, target.line(held_at),
                    f"{label}: held_stack (where {held[0]} was taken)", module=target.exe)
        check_frame(edge.get("acquire_stack"), want.wait_at.function, spec.source,
                    target.line(want.wait_at),
                    f"{label}: acquire_stack (where it waits for {want.waiting_for})",
                    module=target.exe)


def check_processes(target, finding, where, pids):
    processes = finding.get("processes")
    if processes is None:
        return
    check_equal(len(processes), 1, f"{where}: number of processes")
    exe = processes[0].get("exe")
    check(isinstance(exe, str) and lgtest.same_file(exe, target.exe),
          f"{where}: process exe: expected {target.exe}, got {exe!r}")
    if pids is not None:
        check_equal([p.get("pid") for p in processes], pids, f"{where}: process pids")


# ---------------------------------------------------------------- text checks


def check_text_report(target, text, where):
    """A text report names the cycle's locks and threads, where each thread
    waits and where it took what it holds, and ends with SUMMARY."""
    if target.verdict == CLEAN:
        check(text == "", f"{where}: expected no report for a clean run, got:{lgtest.clip(text)}")
        return
    spec = target.spec
    sites = {w.wait_at for w in spec.threads}
    sites |= {s for w in spec.threads for s in w.holding.values()}
    wanted = sorted({w.waiting_for for w in spec.threads})
    wanted += sorted(w.name for w in spec.threads)
    wanted += sorted({s.function for s in sites})
    wanted += sorted({f"{spec.source}:{target.line(s)}" for s in sites})
    wanted += ["deadlock", "SUMMARY"]
    # Whole words: "store_lock" must not be found inside "restore_lock".
    missing = [w for w in wanted if not re.search(rf"(?<![\w.]){re.escape(w)}(?!\w)", text)]
    check(not missing, f"{where}: the report does not mention {missing}:{lgtest.clip(text)}")


# ---------------------------------------------------------------- shared steps


def check_program_output(target, result, what):
    """The program's stdout is its own (up to where it hangs); its stderr
    starts with its own. A clean run's stderr is exactly its own."""
    native = target.native()
    check(result.stdout == native.stdout,
          f"{what}: stdout must be exactly the program's own"
          + f"\n  native stdout:{lgtest.clip(native.out)}" + result.describe())
    check(result.stderr.startswith(native.stderr),
          f"{what}: stderr must start with the program's own, unchanged" + result.describe())
    if target.verdict == CLEAN:
        check(result.stderr == native.stderr,
              f"{what}: a clean run must leave the program's stderr unchanged" + result.describe())
    if target.verdict == STUCK:
        check_notice(result, what)


def report_traces(target, traces, cwd, pids):
    """`lockgraph report` on a directory of traces, in JSON and in text."""
    out = os.path.join(cwd, "report.json")
    result = lgtest.run([target.args.lockgraph, "report", "--format", "json", "--output", out,
                         traces], cwd=cwd)
    lgtest.check_status(result, target.expected_status(), f"{target.verdict} verdict")
    check(result.stdout == b"", "with --output, stdout must be empty" + result.describe())
    check_findings(target, lgtest.load_json(out), f"lockgraph report --format json {traces}",
                   pids=pids)

    result = lgtest.run([target.args.lockgraph, "report", traces], cwd=cwd)
    lgtest.check_status(result, target.expected_status(), f"{target.verdict} verdict")
    check_text_report(target, result.out, f"lockgraph report {traces}")


def preload_env(args, traces, options=""):
    """LD_PRELOAD with out=traces and more LOCKGRAPH_OPTIONS."""
    env = lgtest.preload_env(args, traces)
    if options:
        env["LOCKGRAPH_OPTIONS"] += ":" + options
    return env


def stuck_target(args, name):
    target = Target(args, name)
    check(target.verdict == STUCK,
          f"this case needs a sample that hangs; {name} is {target.verdict}")
    return target


# ---------------------------------------------------------------- cases


def case_json(args, name, fixed=False):
    target = Target(args, name, fixed)
    target.native()
    with lgtest.temp_dir() as tmp:
        out = os.path.join(tmp, "report.json")
        result = lgtest.run([args.lockgraph, "run", "--format", "json", "--output", out, "--"]
                            + target.argv, cwd=tmp, timeout=target.timeout())
        lgtest.check_status(result, target.expected_status(), f"{target.verdict} verdict")
        check_program_output(target, result, "lockgraph run --format json --output")
        report = lgtest.load_json(out)
        check_findings(target, report, "lockgraph run --format json")
        if target.verdict != CLEAN:
            for process in report["findings"][0].get("processes") or []:
                check(process.get("pid") != result.pid,
                      f"the process pid {process.get('pid')} is lockgraph's own, not the program's")


def case_text(args, name, fixed=False):
    target = Target(args, name, fixed)
    native = target.native()
    with lgtest.temp_dir() as tmp:
        # To stderr, after the program's own (and the preload's notice).
        result = lgtest.run([args.lockgraph, "run", "--"] + target.argv, cwd=tmp,
                            timeout=target.timeout())
        lgtest.check_status(result, target.expected_status(), f"{target.verdict} verdict")
        check_program_output(target, result, "lockgraph run")
        check_text_report(target, result.stderr[len(native.stderr):].decode("utf-8", "replace"),
                          "lockgraph run (text, stderr)")

        # To a file: the report alone.
        out = os.path.join(tmp, "report.txt")
        result = lgtest.run([args.lockgraph, "run", "--output", out, "--"] + target.argv, cwd=tmp,
                            timeout=target.timeout())
        lgtest.check_status(result, target.expected_status(), f"{target.verdict} verdict")
        check_program_output(target, result, "lockgraph run --output")
        text = lgtest.read_text(out) if os.path.exists(out) else ""
        check_text_report(target, text, f"lockgraph run --output {out}")


def case_fixed_json(args, name):
    case_json(args, name, fixed=True)


def case_fixed_text(args, name):
    case_text(args, name, fixed=True)


def case_preload(args, name):
    """Plain LD_PRELOAD: a stuck program is stopped with the preload's
    exitcode (66); one whose cycle was broken by timeouts finishes (and may
    exit 66 for what was found); a clean one is untouched."""
    target = Target(args, name)
    target.native()
    with lgtest.temp_dir() as tmp:
        traces = os.path.join(tmp, "traces")
        os.mkdir(traces)
        result = lgtest.run(target.argv, env=preload_env(args, traces), cwd=tmp,
                            timeout=target.timeout())
        if target.verdict == STUCK:
            lgtest.check_status(result, FOUND, "stopped by the preload (on_deadlock=exit)")
        elif target.verdict == BROKEN:
            check(result.status in (0, FOUND),
                  f"under LD_PRELOAD, expected exit status 0 or {FOUND}" + result.describe())
        else:
            lgtest.check_status(result, 0, "under LD_PRELOAD, nothing to report")
        check_program_output(target, result, "LD_PRELOAD run")
        files = lgtest.trace_files(traces)
        check_equal(len(files), 1, f"number of .lgt files in {traces} ({os.listdir(traces)})")
        report_traces(target, traces, tmp, pids=[result.pid])


def case_abort(args, name):
    """on_deadlock=abort: the program dies by SIGABRT (for a core dump), and
    is still reported."""
    target = stuck_target(args, name)
    target.native()
    with lgtest.temp_dir() as tmp:
        # The user's LOCKGRAPH_OPTIONS are kept by lockgraph run, which adds its own.
        out = os.path.join(tmp, "report.json")
        env = lgtest.clean_env({"LOCKGRAPH_OPTIONS": "on_deadlock=abort"})
        result = lgtest.run([args.lockgraph, "run", "--format", "json", "--output", out, "--"]
                            + target.argv, env=env, cwd=tmp, timeout=DEADLOCK_TIMEOUT,
                            core_dumps=False)
        lgtest.check_status(result, FOUND, "an actual deadlock was found")
        check_program_output(target, result, "lockgraph run, on_deadlock=abort")
        check_findings(target, lgtest.load_json(out), "lockgraph run --format json, abort")

        # The program's own status, seen directly.
        traces = os.path.join(tmp, "traces")
        os.mkdir(traces)
        result = lgtest.run(target.argv, env=preload_env(args, traces, "on_deadlock=abort"),
                            cwd=tmp, timeout=DEADLOCK_TIMEOUT, core_dumps=False)
        lgtest.check_status(result, -signal.SIGABRT, "killed by SIGABRT (on_deadlock=abort)")
        check_program_output(target, result, "LD_PRELOAD run, on_deadlock=abort")
        report_traces(target, traces, tmp, pids=[result.pid])


def case_wait(args, name):
    """on_deadlock=wait: the program reports once and keeps hanging, for a
    debugger; its trace already holds the report when it is killed."""
    target = stuck_target(args, name)
    target.native()
    with lgtest.temp_dir() as tmp:
        traces = os.path.join(tmp, "traces")
        os.mkdir(traces)
        env = preload_env(args, traces, "on_deadlock=wait")
        with lgtest.Background(target.argv, tmp, env=env, cwd=tmp) as bg:
            noticed = lgtest.wait_until(
                lambda: notices(bg.stderr().decode("utf-8", "replace")) or not bg.alive(),
                NATIVE_START_TIMEOUT)
            check(noticed and bg.alive(),
                  f"on_deadlock=wait: expected the notice ({NOTICE!r}) within "
                  f"{NATIVE_START_TIMEOUT} s and the program still running"
                  + bg.result().describe())
            time.sleep(0.2)  # the rest of the notice, if it has several lines
            stderr = bg.stderr()
            time.sleep(STUCK_FOR)
            check(bg.alive(), f"on_deadlock=wait: the program ended within {STUCK_FOR} s of the "
                  "notice; it should keep waiting" + bg.result().describe())
            check(bg.stderr() == stderr,
                  "on_deadlock=wait: the deadlock should be reported once, then nothing more"
                  + bg.result().describe())
            result = bg.kill()
        check_program_output(target, result, "LD_PRELOAD run, on_deadlock=wait")
        report_traces(target, traces, tmp, pids=[result.pid])


def case_exitcode(args, name):
    """exitcode=7: the stopped program exits 7; the report still finds it."""
    target = stuck_target(args, name)
    target.native()
    with lgtest.temp_dir() as tmp:
        traces = os.path.join(tmp, "traces")
        os.mkdir(traces)
        result = lgtest.run(target.argv, env=preload_env(args, traces, "exitcode=7"), cwd=tmp,
                            timeout=DEADLOCK_TIMEOUT)
        lgtest.check_status(result, 7, "LOCKGRAPH_OPTIONS exitcode=7")
        check_program_output(target, result, "LD_PRELOAD run, exitcode=7")
        report_traces(target, traces, tmp, pids=[result.pid])


def stall(report, kind, lock, thread):
    for entry in report.get("stalls", []):
        if (entry.get("kind") == kind and entry.get("lock", {}).get("name") == lock
                and entry.get("thread", {}).get("name") == thread):
            return entry
    fail(f"no {kind} of {lock} by {thread!r} in the report's stalls: "
         f"{[(e.get('kind'), e.get('lock', {}).get('name'), e.get('thread', {}).get('name')) for e in report.get('stalls', [])]}")


def case_stalls(args, name):
    """wait_warn_ms / hold_warn_ms: the long hold and the long waits behind
    a stall are listed, with their stacks and the holder; they are not
    deadlocks (exit status and findings unchanged). Without the options
    nothing is listed."""
    target = Target(args, name)
    native = target.native()
    with lgtest.temp_dir() as tmp:
        out = os.path.join(tmp, "report.json")
        env = lgtest.clean_env({"LOCKGRAPH_OPTIONS": "wait_warn_ms=50:hold_warn_ms=100"})
        result = lgtest.run([args.lockgraph, "run", "--format", "json", "--output", out, "--"]
                            + target.argv, env=env, cwd=tmp)
        lgtest.check_status(result, 0, "long waits and holds do not change the status")
        check_equal(result.stdout, native.stdout, "stdout with wait_warn_ms/hold_warn_ms")
        report = lgtest.load_json(out)
        check_equal(report["findings"], [], "findings")
        hold = stall(report, "long-hold", "journal_lock", "writer")
        check(hold["longest_ms"] >= 100, f"the writer holds journal_lock ~200 ms: {hold}")
        lgtest.check_frame(hold["taken_at"], "writer_main", target.spec.source,
                           target.line(Site("writer_main", "writer-journal")),
                           "long hold: where journal_lock was taken", module=target.exe)
        wait = stall(report, "long-wait", "journal_lock", "reader-1")
        check(wait["longest_ms"] >= 50, f"reader-1 waits for the writer: {wait}")
        check_equal(wait["holder"]["name"], "writer", "long wait: the holder")
        lgtest.check_frame(wait["wait_stack"], "reader1_main", target.spec.source,
                           target.line(Site("reader1_main", "reader1-journal")),
                           "long wait: where reader-1 waited", module=target.exe)

        result = lgtest.run([args.lockgraph, "run", "--format", "json", "--output", out, "--"]
                            + target.argv, cwd=tmp)
        lgtest.check_status(result, 0, "without the options")
        check_equal(lgtest.load_json(out)["stalls"], [], "stalls without the options")


CASES = {
    "json": case_json,
    "stalls": case_stalls,
    "text": case_text,
    "preload": case_preload,
    "fixed-json": case_fixed_json,
    "fixed-text": case_fixed_text,
    "abort": case_abort,
    "wait": case_wait,
    "exitcode": case_exitcode,
}

if __name__ == "__main__":
    lgtest.main(CASES)
