#!/usr/bin/env python3
"""lockgraph end to end on real processes: fork, exec, dlopen and dlclose,
processes killed by SIGKILL, locks in signal handlers, constructors and
destructors, threads running at exit, unusable trace directories, programs
that cannot be preloaded, capacity limits. Findings are attributed to the
process that made them, and the program's output and status are never
changed.

Usage (meson passes the paths): test_processes.py --lockgraph EXE --lib SO
    --samples-src DIR --exit-with PROG --sample NAME PATH ... CASE

The --sample list holds the samples (prefork_server, fork_snapshot,
plugin_host, audit_plugin, sigkill_self, bank_transfer, inventory_sales,
ordered_workers) and this directory's probes (binary_output, signal_locks,
lifetime_locks, exit_threads, exit_with_static, exit_with_tsan).

Cases:
  prefork-json         prefork_server: one finding seen in the 2 workers, none in the master
  prefork-text         the same in text: both worker pids, not the master's
  prefork-preload      plain LD_PRELOAD: one trace per process, then `lockgraph report`
  prefork-fixed        --fixed: clean in every process
  prefork-own-order    --own-order: the master's order and the workers' differ: clean
  snapshot-json        fork_snapshot: the child's inversion, attributed to the child only
  snapshot-preload     the same under plain LD_PRELOAD
  snapshot-fixed       --fixed: clean
  plugin-json          plugin_host: host_lock and plugin_lock, the plugin's functions
                       in audit_plugin.so, although it was dlclosed
  plugin-text          the same in text, the plugin named on the command line
  plugin-preload       plain LD_PRELOAD, then `lockgraph report`
  plugin-fixed         --fixed: clean
  sigkill-json         sigkill_self: the finding of a process killed by SIGKILL; 66, or
                       137 with --fail-on none; summary.unfinished_processes
  sigkill-text         the note naming the killed process
  sigkill-preload      plain LD_PRELOAD: no END record; `lockgraph report` still finds it
  sigkill-fixed        --fixed: nothing found, the program's own 137, still the note
  binary-output        1 MiB of binary stdout and stderr: byte for byte the same
  binary-output-abba   the same with a finding (report to a file): 66, output unchanged
  pipeline             `sh -c 'bank_transfer | cat; inventory_sales; ordered_workers; exit 3'`:
                       the two findings, from their own processes; 66
  pipeline-fail-on-none  the same with --fail-on none: the shell's own 3
  signal-raise         a handler locks while main holds a lock and while it holds none
  signal-timer         a 1 ms timer's handler locks in the middle of everything
  signal-contended     a handler waits for a lock that another thread holds while that
                       thread creates locks (lockgraph's internal locks in between)
  signal-same          a handler locks the lock the interrupted code holds: the actual
                       deadlock is reported and the program stopped
  lifetime             locks in constructors (some before lockgraph's own start-up), held
                       across main, in atexit handlers and destructors
  exit-threads-exit    threads still locking while main calls exit()
  exit-threads-return  the same, returning from main
  trace-dir-under-file out=DIR where a path component is a regular file: one warning
  trace-dir-is-file    out=FILE: one warning
  trace-dir-proc       out=/proc (no files can be created there, even by root): one warning
  trace-dir-fork       a forking program and a bad out=: still one warning
  refuse-static        `lockgraph run` of a statically linked program: 125, one line
  refuse-tsan          of a program built with ThreadSanitizer: 125, one line
  refuse-setuid        of a set-user-ID program owned by another user: 125, one line
  refuse-setgid        of a set-group-ID program of another group: 125, one line
  caps-locks           LOCKGRAPH_OPTIONS=max_locks=5: the note, output unchanged
  caps-edges           max_edges=3
  caps-stacks          max_stacks=2
  caps-one             max_locks=1: "more than 1 lock", in the singular
  caps-commas          verbosity=0,max_locks=5: entries separated by commas too
"""

import collections
import grp
import os
import pwd
import re
import shutil
import stat
import sys
import time

sys.dont_write_bytecode = True  # never write __pycache__ into the source tree

import lgtest  # noqa: E402
from lgtest import FOUND, check, check_equal  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))

# lockgraph run's status for a program it cannot preload.
CANNOT_RUN = 125
# The shell's status for a program killed by SIGKILL.
KILLED = 128 + 9

# A stuck program is stopped well within this; natively it would hang.
DEADLOCK_TIMEOUT = 30

# Where a lock was taken: the function, its source file (relative to
# samples/, or "e2e/NAME" for this directory), the `/* lg:MARKER */` on the
# line, and the program (a --sample name) whose code it is.
Site = collections.namedtuple("Site", "function source marker module")

# An expected lock-order edge: `thread` took `acquired` (at acquired_at, a
# list of frames, innermost first) while holding `held` (taken at held_at).
Edge = collections.namedtuple("Edge", "held acquired thread acquired_at held_at")

# A potential deadlock: its edges, where its threads were created, where
# each lock was first taken.
Potential = collections.namedtuple("Potential", "edges created_at first_taken")


def source_path(args, source):
    if source.startswith("e2e/"):
        return os.path.join(HERE, source[len("e2e/"):])
    check(args.samples_src, "--samples-src is required")
    return os.path.join(args.samples_src, source)


def line_of(args, site):
    return lgtest.marker_line(source_path(args, site.source), site.marker)


def check_site(args, stack, site, what, depth=0):
    """Frame `depth` of stack is site (function, file:line, module)."""
    check(isinstance(stack, list) and len(stack) > depth,
          f"{what}: expected at least {depth + 1} frames, got:{lgtest.stack_text(stack)}")
    lgtest.check_frame(stack[depth:], site.function, os.path.basename(site.source),
                       line_of(args, site), f"{what} (frame #{depth})",
                       module=lgtest.sample_path(args, site.module))


def check_sites(args, stack, sites, what):
    for depth, site in enumerate(sites):
        check_site(args, stack, site, what, depth)


def lock_names(finding):
    return {lock.get("id"): lock.get("name") for lock in finding.get("locks") or []}


def findings_of(report, where):
    lgtest.check_report_shape(report, where)
    return report["findings"]


def check_no_findings(report, where):
    findings = findings_of(report, where)
    check(findings == [],
          f"{where}: expected no findings, got {len(findings)}:{lgtest.findings_summary(report)}")


def check_potential(args, finding, spec, where):
    """One potential deadlock, in full: kind, locks by name, each edge with
    its thread and both stacks, where the threads were created."""
    check_equal(finding.get("kind"), "potential-deadlock", f"{where}: kind")
    check_equal(finding.get("latent"), False, f"{where}: latent")
    names = lock_names(finding)
    check_equal(sorted(map(str, names.values())), sorted({e.held for e in spec.edges}),
                f"{where}: lock names")
    for lock in finding.get("locks") or []:
        check_equal(lock.get("kind"), "mutex", f"{where}: kind of lock {lock.get('name')}")
        first = lock.get("first_taken")
        if first:
            check_site(args, first, spec.first_taken[lock.get("name")],
                       f"{where}: first_taken of {lock.get('name')}")

    threads = {t.get("id"): t for t in finding.get("threads") or []}
    edges = finding.get("edges") or []
    check_equal(len(edges), len(spec.edges), f"{where}: number of edges (the cycle's length)")
    by_pair = {(names.get(e.get("from")), names.get(e.get("to"))): e for e in edges}
    for want in spec.edges:
        label = f"{where}: edge {want.held} -> {want.acquired}"
        edge = by_pair.get((want.held, want.acquired))
        check(edge is not None, f"{label}: missing; the edges are {sorted(map(str, by_pair))}")
        thread = threads.get(edge.get("thread"))
        check(thread is not None, f"{label}: thread {edge.get('thread')!r} is not listed")
        check_equal(thread.get("name"), want.thread, f"{label}: thread name")
        check_sites(args, edge.get("acquire_stack"), want.acquired_at,
                    f"{label}: acquire_stack (where {want.acquired} was taken)")
        check_site(args, edge.get("held_stack"), want.held_at,
                   f"{label}: held_stack (where {want.held} was taken)")
        check_site(args, thread.get("created_at"), spec.created_at,
                   f"{label}: created_at of thread {want.thread}")
    edge_threads = [e.get("thread") for e in edges]
    check(len(set(edge_threads)) == len(edge_threads),
          f"{where}: expected one distinct thread per edge, got {edge_threads}")


def check_processes(finding, exe, pids, where):
    """The finding was seen once in each of `pids`, all running exe."""
    processes = finding.get("processes") or []
    check_equal(sorted(p.get("pid") for p in processes), sorted(pids),
                f"{where}: the pids of the processes it was seen in")
    for p in processes:
        check(isinstance(p.get("exe"), str) and lgtest.same_file(p["exe"], exe),
              f"{where}: process {p.get('pid')}: exe expected {exe}, got {p.get('exe')!r}")
    check_equal(finding.get("occurrences"), len(pids), f"{where}: occurrences")


def mentions(text, words, where):
    """Each of words appears in text as a whole word."""
    missing = [w for w in words if not re.search(rf"(?<![\w.]){re.escape(w)}(?!\w)", text)]
    check(not missing, f"{where}: the report does not mention {missing}:{lgtest.clip(text)}")


def native(cmd, status, what="natively"):
    result = lgtest.run(cmd)
    lgtest.check_status(result, status, what)
    return result


def lockgraph_run(args, cmd, cwd, options=(), fmt="json", env=None, timeout=lgtest.TIMEOUT):
    """`lockgraph run --out TRACES --format FMT --output F OPTIONS -- CMD`.
    Returns the Result, the report (parsed JSON, or text), and the
    processes of the kept traces by pid."""
    traces = os.path.join(cwd, "traces")
    shutil.rmtree(traces, ignore_errors=True)
    out = os.path.join(cwd, "report." + fmt)
    if os.path.exists(out):
        os.unlink(out)
    result = lgtest.run([args.lockgraph, "run", "--out", traces, "--format", fmt, "--output", out]
                        + list(options) + ["--"] + list(cmd), cwd=cwd, env=env, timeout=timeout)
    if fmt == "json":
        report = lgtest.load_json(out)
    else:
        report = lgtest.read_text(out) if os.path.exists(out) else ""
    return result, report, lgtest.trace_processes(traces)


def preload_run(args, cmd, cwd, options="", timeout=lgtest.TIMEOUT):
    """cmd under plain LD_PRELOAD, traces to cwd/traces; returns the Result
    and the traces' processes by pid."""
    traces = os.path.join(cwd, "traces")
    shutil.rmtree(traces, ignore_errors=True)
    os.mkdir(traces)
    env = lgtest.preload_env(args, traces)
    if options:
        env["LOCKGRAPH_OPTIONS"] += ":" + options
    result = lgtest.run(cmd, env=env, cwd=cwd, timeout=timeout)
    return result, lgtest.trace_processes(traces)


def report_json(args, traces, cwd, status):
    """`lockgraph report --format json` on traces; returns the report."""
    out = os.path.join(cwd, "report-again.json")
    result = lgtest.run([args.lockgraph, "report", "--format", "json", "--output", out, traces],
                        cwd=cwd)
    lgtest.check_status(result, status, f"lockgraph report {traces}")
    return lgtest.load_json(out)


def children_of(processes, pid):
    return sorted(p["pid"] for p in processes.values() if p["ppid"] == pid)


def check_one_run(processes, where):
    """Every trace of a `lockgraph run` carries its run id."""
    runs = {p["run"] for p in processes.values()}
    check(len(runs) == 1 and "" not in runs,
          f"{where}: expected one run id in every trace, got {sorted(runs)}")


def check_frames_avoid(stack, function, where):
    """No frame of stack is in function."""
    for frame in stack:
        check(frame.get("function") != function,
              f"{where}: names {function}:{lgtest.stack_text(stack)}")


# ---------------------------------------------------------------- prefork_server


def prefork_site(function, marker):
    return Site(function, "prefork_server.c", marker, "prefork_server")


PREFORK = Potential(
    edges=[
        Edge("config_lock", "cache_lock", "handler",
             [prefork_site("serve_request", "serve-cache")],
             prefork_site("serve_request", "serve-config")),
        Edge("cache_lock", "config_lock", "reloader",
             [prefork_site("reload_config", "reload-config")],
             prefork_site("reload_config", "reload-cache")),
    ],
    created_at=prefork_site("worker", "create"),
    # A worker's locks are copies of the master's, and so is their history:
    # both were first taken in the master's warm_cache, before the fork.
    first_taken={
        "config_lock": prefork_site("warm_cache", "warm-config"),
        "cache_lock": prefork_site("warm_cache", "warm-cache"),
    },
)

PREFORK_OUT = (b"master: config version 1, cache warmed with 4 entries\n"
               b"worker 1: 2 requests (1 hit, 1 miss), 2 reloads, config version 3\n"
               b"worker 2: 2 requests (1 hit, 1 miss), 2 reloads, config version 3\n"
               b"master: 2 workers exited cleanly\n")


def prefork_native(args, flag=None):
    cmd = [lgtest.sample_path(args, "prefork_server")] + ([flag] if flag else [])
    result = native(cmd, 0)
    check_equal(result.stdout, PREFORK_OUT, "prefork_server's own stdout")
    return cmd, result


def prefork_processes(processes, master_parent, where):
    """The master (child of master_parent) and its two workers."""
    masters = children_of(processes, master_parent)
    check(len(masters) == 1, f"{where}: expected one trace of the master (ppid {master_parent}), "
          f"got {sorted(processes)}")
    workers = children_of(processes, masters[0])
    check_equal(len(workers), 2, f"{where}: number of worker traces (ppid {masters[0]})")
    check_equal(len(processes), 3, f"{where}: number of traces (master and 2 workers)")
    return masters[0], workers


def check_prefork_report(args, report, master, workers, where):
    findings = findings_of(report, where)
    check(len(findings) == 1,
          f"{where}: expected 1 finding (the workers'), got {len(findings)}:"
          f"{lgtest.findings_summary(report)}")
    check_potential(args, findings[0], PREFORK, where)
    # Each worker is its own process: the same finding twice, and never
    # the master, whose own order (warm_cache) is consistent.
    check_processes(findings[0], lgtest.sample_path(args, "prefork_server"), workers, where)
    for edge in findings[0].get("edges") or []:
        for key in ("acquire_stack", "held_stack"):
            check_frames_avoid(edge.get(key) or [], "warm_cache", f"{where}: an edge's {key}")
    check(master not in workers, f"{where}: the master {master} is one of the workers")


def case_prefork_json(args):
    cmd, nat = prefork_native(args)
    with lgtest.temp_dir() as tmp:
        result, report, processes = lockgraph_run(args, cmd, tmp)
        lgtest.check_status(result, FOUND, "a deadlock was found")
        lgtest.check_same_output(result, nat, "lockgraph run --output")
        master, workers = prefork_processes(processes, result.pid, "lockgraph run --out")
        check_one_run(processes, "lockgraph run --out")
        check_prefork_report(args, report, master, workers, "lockgraph run --format json")


def case_prefork_text(args):
    cmd, nat = prefork_native(args)
    with lgtest.temp_dir() as tmp:
        result, text, processes = lockgraph_run(args, cmd, tmp, fmt="text")
        lgtest.check_status(result, FOUND, "a deadlock was found")
        lgtest.check_same_output(result, nat, "lockgraph run --output")
        master, workers = prefork_processes(processes, result.pid, "lockgraph run --out")
        where = "lockgraph run (text)"
        mentions(text, ["config_lock", "cache_lock", "handler", "reloader", "serve_request",
                        "reload_config", "SUMMARY"], where)
        mentions(text, [f"prefork_server (pid {pid})" for pid in workers], where)
        check("seen 2 times in 2 processes" in text,
              f"{where}: expected 'seen 2 times in 2 processes':{lgtest.clip(text)}")
        check(f"pid {master})" not in text,
              f"{where}: the master (pid {master}) is named:{lgtest.clip(text)}")
        check_equal(text.count("==lockgraph=="), 1, f"{where}: number of findings")


def case_prefork_preload(args):
    cmd, nat = prefork_native(args)
    with lgtest.temp_dir() as tmp:
        result, processes = preload_run(args, cmd, tmp)
        # A potential deadlock does not change a worker's status (the
        # master would say so) nor the master's.
        lgtest.check_status(result, 0, "the program's own, under LD_PRELOAD")
        lgtest.check_same_output(result, nat, "LD_PRELOAD run")
        check(result.pid in processes,
              f"no trace of the master (pid {result.pid}): {sorted(processes)}")
        workers = children_of(processes, result.pid)
        check_equal(len(workers), 2, "number of worker traces")
        check_equal(len(processes), 3, "number of traces")
        for pid, process in processes.items():
            check_equal(os.path.basename(process["path"]), f"prefork_server.{pid}.lgt",
                        f"the trace file of pid {pid}")
            check(lgtest.trace_ended(process["path"]), f"{process['path']}: no END record")
        traces = os.path.join(tmp, "traces")
        report = report_json(args, traces, tmp, FOUND)
        check_prefork_report(args, report, result.pid, workers, f"lockgraph report {traces}")


def prefork_clean(args, flag):
    cmd, nat = prefork_native(args, flag)
    with lgtest.temp_dir() as tmp:
        result, report, processes = lockgraph_run(args, cmd, tmp)
        lgtest.check_status(result, 0, "nothing found: the program's own")
        lgtest.check_same_output(result, nat, "lockgraph run --output")
        prefork_processes(processes, result.pid, "lockgraph run --out")
        check_no_findings(report, f"lockgraph run --format json -- prefork_server {flag}")

        result = lgtest.run([args.lockgraph, "run", "--"] + cmd, cwd=tmp)
        lgtest.check_status(result, 0, "nothing found: the program's own")
        lgtest.check_same_output(result, nat, "lockgraph run (text): nothing added")


def case_prefork_fixed(args):
    prefork_clean(args, "--fixed")


def case_prefork_own_order(args):
    prefork_clean(args, "--own-order")


# ---------------------------------------------------------------- fork_snapshot


def snapshot_site(function, marker):
    return Site(function, "fork_snapshot.c", marker, "fork_snapshot")


SNAPSHOT = Potential(
    edges=[
        Edge("dict_lock", "dump_lock", "compressor",
             [snapshot_site("compress_pages", "compress-dump")],
             snapshot_site("compress_pages", "compress-dict")),
        Edge("dump_lock", "dict_lock", "writer",
             [snapshot_site("flush_dump", "flush-dict")],
             snapshot_site("flush_dump", "flush-dump")),
    ],
    created_at=snapshot_site("snapshot_child", "create"),
    # dict_lock was first taken by the parent's main thread, the one that
    # forked holding it (the child's copy has that history); dump_lock by
    # the child's compressor.
    first_taken={
        "dict_lock": snapshot_site("main", "fork-dict"),
        "dump_lock": snapshot_site("compress_pages", "compress-dump"),
    },
)

SNAPSHOT_OUT = (b"child: journal busy (held by a thread of the parent), skipped\n"
                b"child: snapshot of 8 keys in 2 pages, 2 flushes\n"
                b"parent: journal has 2 entries, snapshot child exited with status 0\n")


def snapshot_native(args, flag=None):
    cmd = [lgtest.sample_path(args, "fork_snapshot")] + ([flag] if flag else [])
    result = native(cmd, 0)
    check_equal(result.stdout, SNAPSHOT_OUT, "fork_snapshot's own stdout")
    return cmd, result


def snapshot_processes(processes, parent, where):
    """The parent's trace and its child's."""
    check(parent in processes, f"{where}: no trace of the parent {parent}: {sorted(processes)}")
    children = children_of(processes, parent)
    check_equal(len(children), 1, f"{where}: number of traces of the snapshot child")
    check_equal(len(processes), 2, f"{where}: number of traces")
    return children[0]


def check_snapshot_report(args, report, child, where):
    findings = findings_of(report, where)
    check(len(findings) == 1,
          f"{where}: expected 1 finding (the child's), got {len(findings)}:"
          f"{lgtest.findings_summary(report)}")
    check_potential(args, findings[0], SNAPSHOT, where)
    check_processes(findings[0], lgtest.sample_path(args, "fork_snapshot"), [child], where)
    # journal_lock was held by a parent thread the child does not have: it
    # is in no finding (the child never held it).
    check("journal_lock" not in lock_names(findings[0]).values(),
          f"{where}: journal_lock is in the finding")


def case_snapshot_json(args):
    cmd, nat = snapshot_native(args)
    with lgtest.temp_dir() as tmp:
        result, report, processes = lockgraph_run(args, cmd, tmp)
        lgtest.check_status(result, FOUND, "a deadlock was found")
        lgtest.check_same_output(result, nat, "lockgraph run --output")
        parents = children_of(processes, result.pid)
        check_equal(len(parents), 1, "number of traces of the parent")
        child = snapshot_processes(processes, parents[0], "lockgraph run --out")
        check_one_run(processes, "lockgraph run --out")
        check_snapshot_report(args, report, child, "lockgraph run --format json")


def case_snapshot_preload(args):
    cmd, nat = snapshot_native(args)
    with lgtest.temp_dir() as tmp:
        result, processes = preload_run(args, cmd, tmp)
        lgtest.check_status(result, 0, "the program's own, under LD_PRELOAD")
        lgtest.check_same_output(result, nat, "LD_PRELOAD run")
        child = snapshot_processes(processes, result.pid, "LD_PRELOAD run")
        traces = os.path.join(tmp, "traces")
        check_snapshot_report(args, report_json(args, traces, tmp, FOUND), child,
                              f"lockgraph report {traces}")


def case_snapshot_fixed(args):
    cmd, nat = snapshot_native(args, "--fixed")
    with lgtest.temp_dir() as tmp:
        result, report, processes = lockgraph_run(args, cmd, tmp)
        lgtest.check_status(result, 0, "nothing found: the program's own")
        lgtest.check_same_output(result, nat, "lockgraph run --output")
        parents = children_of(processes, result.pid)
        check_equal(len(parents), 1, "number of traces of the parent")
        snapshot_processes(processes, parents[0], "lockgraph run --out")
        check_no_findings(report, "lockgraph run --format json -- fork_snapshot --fixed")


# ---------------------------------------------------------------- plugin_host


def host_site(function, marker):
    return Site(function, "plugin_host.c", marker, "plugin_host")


def plugin_site(function, marker):
    return Site(function, "plugin/audit_plugin.c", marker, "audit_plugin")


PLUGIN = Potential(
    edges=[
        # The host holds host_lock and calls the plugin, which locks.
        Edge("host_lock", "plugin_lock", "order-desk",
             [plugin_site("audit_record", "record-plugin"),
              host_site("place_order", "place-record")],
             host_site("place_order", "place-host")),
        # The plugin holds plugin_lock and calls back into the host.
        Edge("plugin_lock", "host_lock", "auditor",
             [host_site("order_count", "count-host"),
              plugin_site("audit_flush", "flush-callback")],
             plugin_site("audit_flush", "flush-plugin")),
    ],
    created_at=host_site("main", "create"),
    first_taken={
        "host_lock": host_site("place_order", "place-host"),
        "plugin_lock": plugin_site("audit_record", "record-plugin"),
    },
)

PLUGIN_OUT = (b"plugin: loaded\n"
              b"audit: flushed 1 entry after order 1\n"
              b"audit: flushed 1 entry after order 2\n"
              b"orders: 2, total 400, audited 2\n"
              b"plugin: unloaded\n")


def plugin_native(args, fixed=False, explicit=False):
    """plugin_host's command; explicit: the plugin's path on the command
    line (else plugin_host finds it next to itself)."""
    cmd = [lgtest.sample_path(args, "plugin_host")] + (["--fixed"] if fixed else [])
    if explicit:
        cmd.append(lgtest.sample_path(args, "audit_plugin"))
    result = native(cmd, 0)
    check_equal(result.stdout, PLUGIN_OUT, "plugin_host's own stdout")
    return cmd, result


def check_plugin_report(args, report, pid, where):
    findings = findings_of(report, where)
    check(len(findings) == 1,
          f"{where}: expected 1 finding, got {len(findings)}:{lgtest.findings_summary(report)}")
    check_potential(args, findings[0], PLUGIN, where)
    check_processes(findings[0], lgtest.sample_path(args, "plugin_host"), [pid], where)


def case_plugin_json(args):
    cmd, nat = plugin_native(args)
    with lgtest.temp_dir() as tmp:
        result, report, processes = lockgraph_run(args, cmd, tmp)
        lgtest.check_status(result, FOUND, "a deadlock was found")
        lgtest.check_same_output(result, nat, "lockgraph run --output")
        check_equal(len(processes), 1, "number of traces")
        check_plugin_report(args, report, list(processes)[0], "lockgraph run --format json")


def case_plugin_text(args):
    cmd, nat = plugin_native(args, explicit=True)
    with lgtest.temp_dir() as tmp:
        result, text, _ = lockgraph_run(args, cmd, tmp, fmt="text")
        lgtest.check_status(result, FOUND, "a deadlock was found")
        lgtest.check_same_output(result, nat, "lockgraph run --output")
        sites = [s for e in PLUGIN.edges for s in e.acquired_at + [e.held_at]]
        words = ["host_lock", "plugin_lock", "order-desk", "auditor", "SUMMARY"]
        words += sorted({s.function for s in sites})
        words += sorted({f"{s.source}:{line_of(args, s)}" for s in sites})
        mentions(text, words, "lockgraph run (text)")


def case_plugin_preload(args):
    cmd, nat = plugin_native(args)
    with lgtest.temp_dir() as tmp:
        result, processes = preload_run(args, cmd, tmp)
        lgtest.check_status(result, 0, "the program's own, under LD_PRELOAD")
        lgtest.check_same_output(result, nat, "LD_PRELOAD run")
        check_equal(sorted(processes), [result.pid], "the traces' pids")
        traces = os.path.join(tmp, "traces")
        check_plugin_report(args, report_json(args, traces, tmp, FOUND), result.pid,
                            f"lockgraph report {traces}")


def case_plugin_fixed(args):
    cmd, nat = plugin_native(args, fixed=True, explicit=True)
    with lgtest.temp_dir() as tmp:
        result, report, _ = lockgraph_run(args, cmd, tmp)
        lgtest.check_status(result, 0, "nothing found: the program's own")
        lgtest.check_same_output(result, nat, "lockgraph run --output")
        check_no_findings(report, "lockgraph run --format json -- plugin_host --fixed")


# ---------------------------------------------------------------- sigkill_self


def sigkill_site(function, marker):
    return Site(function, "sigkill_self.c", marker, "sigkill_self")


SIGKILL = Potential(
    edges=[
        Edge("queue_lock", "results_lock", "loader",
             [sigkill_site("take_job", "take-results")], sigkill_site("take_job", "take-queue")),
        Edge("results_lock", "queue_lock", "storer",
             [sigkill_site("store_result", "store-queue")],
             sigkill_site("store_result", "store-results")),
    ],
    created_at=sigkill_site("main", "create"),
    first_taken={
        "queue_lock": sigkill_site("take_job", "take-queue"),
        "results_lock": sigkill_site("take_job", "take-results"),
    },
)

SIGKILL_OUT = b"batch: 3 jobs, 3 results\nbatch: time is up, killing myself\n"


def sigkill_native(args, fixed=False):
    cmd = [lgtest.sample_path(args, "sigkill_self")] + (["--fixed"] if fixed else [])
    result = lgtest.run(cmd, core_dumps=False)
    lgtest.check_status(result, -9, "natively: killed by SIGKILL")
    check_equal(result.stdout, SIGKILL_OUT, "sigkill_self's own stdout")
    return cmd, result


def unfinished_note(pid):
    return (f"note: 1 process ended without exiting (killed or crashed): sigkill_self "
            f"(pid {pid}); what they recorded is reported")


def check_killed_trace(processes, where):
    """One trace, without an END record; returns its pid."""
    check_equal(len(processes), 1, f"{where}: number of traces")
    process = list(processes.values())[0]
    check(not lgtest.trace_ended(process["path"]),
          f"{where}: {process['path']} has an END record, but the process was killed")
    return process["pid"]


def check_sigkill_report(args, report, pid, where, fixed=False):
    findings = findings_of(report, where)
    summary = report.get("summary") or {}
    check_equal(summary.get("unfinished_processes"), 1, f"{where}: summary.unfinished_processes")
    if fixed:
        check(findings == [], f"{where}: expected no findings:{lgtest.findings_summary(report)}")
        return
    check(len(findings) == 1,
          f"{where}: expected 1 finding, got {len(findings)}:{lgtest.findings_summary(report)}")
    check_potential(args, findings[0], SIGKILL, where)
    check_processes(findings[0], lgtest.sample_path(args, "sigkill_self"), [pid], where)


def case_sigkill_json(args):
    cmd, nat = sigkill_native(args)
    with lgtest.temp_dir() as tmp:
        # What was recorded before the kill is found: 66, not the 137 the
        # program's own status would be (README, "Exit status").
        result, report, processes = lockgraph_run(args, cmd, tmp)
        lgtest.check_status(result, FOUND, "a deadlock was found (the program died by SIGKILL)")
        lgtest.check_same_output(result, nat, "lockgraph run --output")
        pid = check_killed_trace(processes, "lockgraph run --out")
        check_sigkill_report(args, report, pid, "lockgraph run --format json")

        result, report, processes = lockgraph_run(args, cmd, tmp, options=["--fail-on", "none"])
        lgtest.check_status(result, KILLED, "--fail-on none: the program's own, 128 + SIGKILL")
        lgtest.check_same_output(result, nat, "lockgraph run --fail-on none --output")
        pid = check_killed_trace(processes, "lockgraph run --fail-on none --out")
        check_sigkill_report(args, report, pid, "lockgraph run --fail-on none --format json")


def case_sigkill_text(args):
    cmd, nat = sigkill_native(args)
    with lgtest.temp_dir() as tmp:
        result, text, processes = lockgraph_run(args, cmd, tmp, fmt="text")
        lgtest.check_status(result, FOUND, "a deadlock was found (the program died by SIGKILL)")
        lgtest.check_same_output(result, nat, "lockgraph run --output")
        pid = check_killed_trace(processes, "lockgraph run --out")
        where = "lockgraph run (text)"
        mentions(text, ["queue_lock", "results_lock", "take_job", "store_result", "SUMMARY",
                        f"sigkill_self (pid {pid})"], where)
        check(unfinished_note(pid) in text.splitlines(),
              f"{where}: expected the line {unfinished_note(pid)!r}:{lgtest.clip(text)}")


def case_sigkill_preload(args):
    cmd, nat = sigkill_native(args)
    with lgtest.temp_dir() as tmp:
        traces = os.path.join(tmp, "traces")
        os.mkdir(traces)
        result = lgtest.run(cmd, env=lgtest.preload_env(args, traces), cwd=tmp, core_dumps=False)
        lgtest.check_status(result, -9, "killed by SIGKILL under LD_PRELOAD")
        lgtest.check_same_output(result, nat, "LD_PRELOAD run")
        pid = check_killed_trace(lgtest.trace_processes(traces), "LD_PRELOAD run")
        check_equal(pid, result.pid, "the trace's pid")
        check_sigkill_report(args, report_json(args, traces, tmp, FOUND), pid,
                             f"lockgraph report --format json {traces}")
        result = lgtest.run([args.lockgraph, "report", traces], cwd=tmp)
        lgtest.check_status(result, FOUND, "a deadlock was found")
        check(unfinished_note(pid) in result.out.splitlines(),
              f"lockgraph report: expected the line {unfinished_note(pid)!r}" + result.describe())


def case_sigkill_fixed(args):
    cmd, nat = sigkill_native(args, fixed=True)
    with lgtest.temp_dir() as tmp:
        result, report, processes = lockgraph_run(args, cmd, tmp)
        lgtest.check_status(result, KILLED, "nothing found: the program's own, 128 + SIGKILL")
        lgtest.check_same_output(result, nat, "lockgraph run --output")
        pid = check_killed_trace(processes, "lockgraph run --out")
        check_sigkill_report(args, report, pid, "lockgraph run --format json", fixed=True)

        # In text, to stderr: no finding, only the note.
        result = lgtest.run([args.lockgraph, "run", "--"] + cmd, cwd=tmp)
        lgtest.check_status(result, KILLED, "nothing found: the program's own, 128 + SIGKILL")
        check(result.stdout == nat.stdout, "stdout must be the program's own" + result.describe())
        added = lgtest.added_lines(result, nat)
        note = re.escape(unfinished_note("PID")).replace("PID", r"\d+")
        check(len(added) == 1 and re.fullmatch(note, added[0]),
              f"expected only the note about the killed process after the program's stderr, got "
              f"{added}" + result.describe())


# ---------------------------------------------------------------- output, byte for byte


def binary_output(args, abba):
    exe = lgtest.sample_path(args, "binary_output")
    cmd = [exe, "5"] + (["--abba"] if abba else [])
    nat = native(cmd, 5)
    check_equal(len(nat.stdout), 1 << 20, "binary_output's own stdout size")
    check(b"\0" in nat.stdout and b"\xff" in nat.stdout and b"\0" in nat.stderr,
          "binary_output's output is not binary")
    with lgtest.temp_dir() as tmp:
        traces = os.path.join(tmp, "traces")
        os.mkdir(traces)
        result = lgtest.run(cmd, env=lgtest.preload_env(args, traces), cwd=tmp)
        lgtest.check_status(result, 5, "the program's own, under LD_PRELOAD")
        lgtest.check_same_output(result, nat, "LD_PRELOAD run")

        result, report, _ = lockgraph_run(args, cmd, tmp)
        lgtest.check_status(result, FOUND if abba else 5,
                            "a deadlock was found" if abba else "the program's own")
        lgtest.check_same_output(result, nat, "lockgraph run --format json --output")
        findings = findings_of(report, "lockgraph run --format json")
        check_equal(sorted(sorted(map(str, lock_names(f).values())) for f in findings),
                    [["out_lock", "stats_lock"]] if abba else [], "the findings' locks")

        result, text, _ = lockgraph_run(args, cmd, tmp, fmt="text")
        lgtest.check_status(result, FOUND if abba else 5,
                            "a deadlock was found" if abba else "the program's own")
        lgtest.check_same_output(result, nat, "lockgraph run --output (text)")

        if not abba:
            # The report (none) to stderr: still exactly the program's.
            result = lgtest.run([args.lockgraph, "run", "--"] + cmd, cwd=tmp)
            lgtest.check_status(result, 5, "the program's own")
            lgtest.check_same_output(result, nat, "lockgraph run")


def case_binary_output(args):
    binary_output(args, abba=False)


def case_binary_output_abba(args):
    binary_output(args, abba=True)


# ---------------------------------------------------------------- a shell pipeline


def pipeline_script(args):
    s = {name: lgtest.sample_path(args, name)
         for name in ("bank_transfer", "inventory_sales", "ordered_workers")}
    return (f"'{s['bank_transfer']}' | cat >/dev/null; '{s['inventory_sales']}'; "
            f"'{s['ordered_workers']}'; exit 3")


def pipeline(args, options, status, why):
    cmd = ["sh", "-c", pipeline_script(args)]
    nat = native(cmd, 3)
    with lgtest.temp_dir() as tmp:
        result, report, processes = lockgraph_run(args, cmd, tmp, options=options)
        lgtest.check_status(result, status, why)
        lgtest.check_same_output(result, nat, "lockgraph run --output")
        check_one_run(processes, "lockgraph run --out")

        # One trace per program; the shell's forked children exec at once
        # and leave none of their own.
        shell = children_of(processes, result.pid)
        check_equal(len(shell), 1, "number of traces of the shell")
        by_exe = collections.Counter(os.path.basename(p["exe"]) for p in processes.values())
        expected = collections.Counter(
            [os.path.basename(os.path.realpath(shutil.which("sh"))), "bank_transfer", "cat",
             "inventory_sales", "ordered_workers"])
        check_equal(dict(by_exe), dict(expected), "the programs that left a trace")
        for p in processes.values():
            if p["pid"] != shell[0]:
                check_equal(p["ppid"], shell[0], f"the parent of {p['exe']} (pid {p['pid']})")
        check_equal((report.get("summary") or {}).get("traces"), 5, "summary.traces")

        findings = findings_of(report, "lockgraph run --format json")
        got = {}
        for f in findings:
            check_equal(f.get("kind"), "potential-deadlock", "kind")
            check_equal(f.get("latent"), False, "latent")
            names = tuple(sorted(map(str, lock_names(f).values())))
            check(names not in got, f"two findings between {names}")
            got[names] = f
        want = {("accounts[0].lock", "accounts[1].lock"): "bank_transfer",
                ("inventory_lock", "sales_lock"): "inventory_sales"}
        check_equal(sorted(got), sorted(want),
                    "the findings, by lock names" + lgtest.findings_summary(report))
        for names, program in want.items():
            pids = [p["pid"] for p in processes.values()
                    if os.path.basename(p["exe"]) == program]
            check_processes(got[names], lgtest.sample_path(args, program), pids,
                            f"the finding between {names[0]} and {names[1]}")


def case_pipeline(args):
    pipeline(args, [], FOUND, "two deadlocks were found")


def case_pipeline_fail_on_none(args):
    pipeline(args, ["--fail-on", "none"], 3, "--fail-on none: the shell's own")


def case_exec(args):
    """A wrapper script that ends with `exec PROG` (as CI wrappers do): the
    shell's trace has no END, but the same pid's next trace is the program
    it became, so nobody was killed."""
    prog = lgtest.sample_path(args, "ordered_workers")
    cmd = ["sh", "-c", f"'{prog}' >/dev/null; exec '{prog}'"]
    nat = native(cmd, 0)
    with lgtest.temp_dir() as tmp:
        traces = os.path.join(tmp, "traces")
        result, report = lgtest.lockgraph_json(args, "run", ["--out", traces], cmd, tmp)
        lgtest.check_status(result, 0, "a clean program")
        lgtest.check_same_output(result, nat, "lockgraph run --output")
        pids = [lgtest.trace_process(path)["pid"] for path in lgtest.trace_files(traces)]
        check_equal(len(pids), 3, "traces: the shell, its child, the program it became")
        check_equal(len(set(pids)), 2, "the exec'd program keeps the shell's pid")
        summary = report.get("summary") or {}
        check_equal(summary.get("unfinished_processes"), 0,
                    "an exec is not a kill: unfinished processes")
        result = lgtest.run([args.lockgraph, "run", "--"] + cmd, cwd=tmp)
        lgtest.check_status(result, 0, "a clean program")
        check("killed or crashed" not in result.err,
              "an exec'd shell is reported as killed" + result.describe())


# ---------------------------------------------------------------- never crash, never hang


def check_unharmed(args, cmd, status, runs=1):
    """cmd behaves under LD_PRELOAD and `lockgraph run` exactly as natively
    (output, status, no signal, no hang), `runs` times each, and nothing is
    found."""
    nat = native(cmd, status)
    lgtest.check_not_signaled(nat, "natively")
    with lgtest.temp_dir() as tmp:
        for run in range(1, runs + 1):
            what = f"run {run} of {runs}: " if runs > 1 else ""
            result, processes = preload_run(args, cmd, tmp)
            lgtest.check_not_signaled(result, f"{what}LD_PRELOAD run")
            lgtest.check_status(result, status, f"{what}the program's own, under LD_PRELOAD")
            lgtest.check_same_output(result, nat, f"{what}LD_PRELOAD run")
            check_equal(sorted(processes), [result.pid], f"{what}the traces' pids")
            traces = os.path.join(tmp, "traces")
            # The trace is whole and usable (records after END are allowed).
            report = lgtest.run([args.lockgraph, "report", traces], cwd=tmp)
            lgtest.check_status(report, 0, f"{what}lockgraph report {traces}: nothing found")
            check(report.stdout == b"" and not re.search(r"error|warning|note|cut", report.err),
                  f"{what}lockgraph report {traces}: expected no report and no complaint"
                  + report.describe())

            result, report, _ = lockgraph_run(args, cmd, tmp)
            lgtest.check_status(result, status, f"{what}nothing found: the program's own")
            lgtest.check_same_output(result, nat, f"{what}lockgraph run --output")
            check_no_findings(report, f"{what}lockgraph run --format json")
            summary = report.get("summary") or {}
            check_equal((summary.get("unfinished_processes"), summary.get("truncated_traces")),
                        (0, 0), f"{what}summary: unfinished processes, truncated traces")

            result = lgtest.run([args.lockgraph, "run", "--"] + cmd, cwd=tmp)
            lgtest.check_status(result, status, f"{what}nothing found: the program's own")
            lgtest.check_same_output(result, nat, f"{what}lockgraph run (text): nothing added")


def case_signal_raise(args):
    cmd = [lgtest.sample_path(args, "signal_locks"), "raise"]
    check_equal(native(cmd, 0).stdout, b"raise: handler ran 2 times, work 2\n",
                "signal_locks raise's own stdout")
    check_unharmed(args, cmd, 0)


def case_signal_timer(args):
    cmd = [lgtest.sample_path(args, "signal_locks"), "timer"]
    check_equal(native(cmd, 0).stdout,
                b"timer: 2 threads, 40000 or more rounds, handler ran: yes\n",
                "signal_locks timer's own stdout")
    check_unharmed(args, cmd, 0, runs=5)


def case_signal_contended(args):
    cmd = [lgtest.sample_path(args, "signal_locks"), "contended"]
    check_equal(native(cmd, 0).stdout, b"contended: handler ran 2000 times or more\n",
                "signal_locks contended's own stdout")
    check_unharmed(args, cmd, 0)


def case_lifetime(args):
    cmd = [lgtest.sample_path(args, "lifetime_locks"), "4"]
    check_equal(native(cmd, 4).stdout,
                b"main: early library constructed 1 time, boot lock taken 1 time\n"
                b"main: released the locks the constructors kept\n"
                b"main: returning 4\n"
                b"atexit: took late_lock\n"
                b"destructor: took late_lock and boot_lock\n",
                "lifetime_locks's own stdout")
    check_unharmed(args, cmd, 4)


def exit_threads(args, how, status):
    cmd = [lgtest.sample_path(args, "exit_threads"), how, str(status)]
    check_equal(native(cmd, status).stdout,
                f"main: 4 lockers and 1 waiter still running, ending with {status}\n".encode(),
                "exit_threads's own stdout")
    check_unharmed(args, cmd, status, runs=5)


def case_exit_threads_exit(args):
    exit_threads(args, "exit", 3)


def case_exit_threads_return(args):
    exit_threads(args, "return", 4)


def case_signal_same(args):
    """The handler waits for the lock its own thread holds: an actual
    deadlock of one thread, which hangs natively; lockgraph reports it and
    stops the program."""
    exe = lgtest.sample_path(args, "signal_locks")
    cmd = [exe, "same"]
    expected = b"same: updating stats\n"
    with lgtest.temp_dir() as tmp, lgtest.Background(cmd, tmp, cwd=tmp) as bg:
        printed = lgtest.wait_until(lambda: bg.stdout() == expected or not bg.alive(), 10)
        check(printed and bg.alive(), "natively, it should print its line and hang"
              + bg.result().describe())
        time.sleep(1.0)
        check(bg.alive(), "natively, it should hang" + bg.result().describe())

    with lgtest.temp_dir() as tmp:
        traces = os.path.join(tmp, "traces")
        os.mkdir(traces)
        result = lgtest.run(cmd, env=lgtest.preload_env(args, traces), cwd=tmp,
                            timeout=DEADLOCK_TIMEOUT)
        lgtest.check_status(result, FOUND, "stopped by the preload (on_deadlock=exit)")
        check_equal(result.stdout, expected, "stdout under LD_PRELOAD")
        check(any(line.startswith("lockgraph: deadlock:") for line in result.err.splitlines()),
              "expected the preload's notice on stderr" + result.describe())

        result, report, _ = lockgraph_run(args, cmd, tmp, timeout=DEADLOCK_TIMEOUT)
        lgtest.check_status(result, FOUND, "an actual deadlock was found")
        check_equal(result.stdout, expected, "stdout under lockgraph run")
        where = "lockgraph run --format json"
        findings = findings_of(report, where)
        check(len(findings) == 1,
              f"{where}: expected 1 finding, got {len(findings)}:{lgtest.findings_summary(report)}")
        finding = findings[0]
        check_equal(finding.get("kind"), "actual-deadlock", f"{where}: kind")
        names = lock_names(finding)
        check_equal(list(names.values()), ["stats_lock"], f"{where}: lock names")
        threads = finding.get("threads") or []
        check_equal(len(threads), 1, f"{where}: number of threads (a cycle of one)")
        thread = threads[0]
        check_equal(names.get(thread.get("waiting_for")), "stats_lock", f"{where}: waiting_for")
        # Where it waits: the handler, on top of the interrupted code.
        check_site(args, thread.get("wait_stack"),
                   Site("log_on_signal", "e2e/signal_locks.c", "handler-stats", "signal_locks"),
                   f"{where}: wait_stack")
        holding = thread.get("holding") or []
        check_equal([names.get(h.get("lock")) for h in holding], ["stats_lock"],
                    f"{where}: the locks it holds")
        check_site(args, holding[0].get("stack"),
                   Site("update_stats", "e2e/signal_locks.c", "same-stats", "signal_locks"),
                   f"{where}: where it took stats_lock")


# ---------------------------------------------------------------- unusable trace directories


def check_one_warning(args, cmd, status, out, kind, names, cwd):
    """cmd under LD_PRELOAD with out=`out`: status and stdout unchanged, and
    exactly one line added to stderr: lockgraph's warning that it cannot
    create its trace `kind` ("directory" or "file"), naming `names`."""
    nat = native(cmd, status)
    env = lgtest.clean_env({"LD_PRELOAD": args.lib, "LOCKGRAPH_OPTIONS": f"out={out}"})
    result = lgtest.run(cmd, env=env, cwd=cwd)
    lgtest.check_status(result, status, "the program's own, under LD_PRELOAD")
    lgtest.check_same_output(result, nat, "LD_PRELOAD run", stderr=False)
    added = lgtest.added_lines(result, nat)
    check(len(added) == 1, f"expected exactly one line added to stderr, got {added}"
          + result.describe())
    prefix = f"lockgraph: warning: cannot create trace {kind} '"
    check(added[0].startswith(prefix), f"expected the line to start {prefix!r}: {added[0]!r}")
    for name in names:
        check(name in added[0], f"expected the warning to name {name!r}: {added[0]!r}")


def regular_file(directory):
    path = os.path.join(directory, "not-a-directory")
    with open(path, "w") as f:
        f.write("a regular file\n")
    return path


def case_trace_dir_under_file(args):
    with lgtest.temp_dir() as tmp:
        out = os.path.join(regular_file(tmp), "traces")
        check_one_warning(args, [args.exit_with, "3"], 3, out, "directory", [out], tmp)


def case_trace_dir_is_file(args):
    with lgtest.temp_dir() as tmp:
        out = regular_file(tmp)
        check_one_warning(args, [args.exit_with, "3"], 3, out, "file", [out + "/exit_with."], tmp)


def case_trace_dir_proc(args):
    with lgtest.temp_dir() as tmp:
        check_one_warning(args, [args.exit_with, "3"], 3, "/proc", "file", ["/proc/exit_with."],
                          tmp)


def case_trace_dir_fork(args):
    """The workers of a forking program inherit the master's failure: still
    one warning, not one per process."""
    with lgtest.temp_dir() as tmp:
        out = os.path.join(regular_file(tmp), "traces")
        check_one_warning(args, [lgtest.sample_path(args, "prefork_server")], 0, out,
                          "directory", [out], tmp)


# ---------------------------------------------------------------- programs lockgraph cannot run


def check_refused(args, program, reason, cwd, env=None, named=None):
    """`lockgraph run -- PROGRAM 0`: 125, one line naming the program and
    the reason; the program did not run."""
    result = lgtest.run([args.lockgraph, "run", "--", program, "0"], cwd=cwd, env=env)
    lgtest.check_status(result, CANNOT_RUN, "lockgraph cannot run it")
    check(result.stdout == b"", "the program ran (it printed to stdout)" + result.describe())
    lines = result.err.splitlines()
    check(len(lines) == 1, "expected exactly one line on stderr" + result.describe())
    for word in ("lockgraph: ", named or program, reason):
        check(word in lines[0], f"expected the line to say {word!r}" + result.describe())


def case_refuse_static(args):
    exe = lgtest.sample_path(args, "exit_with_static")
    native([exe, "0"], 0)
    with lgtest.temp_dir() as tmp:
        check_refused(args, exe, "it is statically linked", tmp)
        # Found through PATH, the same.
        env = lgtest.clean_env({"PATH": os.path.dirname(exe) + ":" + os.environ.get("PATH", "")})
        check_refused(args, "exit_with_static", "it is statically linked", tmp, env=env)


def case_refuse_tsan(args):
    # (Not run natively: ThreadSanitizer's runtime refuses some memory layouts.)
    exe = lgtest.sample_path(args, "exit_with_tsan")
    with lgtest.temp_dir() as tmp:
        check_refused(args, exe, "ThreadSanitizer", tmp)


def special_copy(args, directory, bit):
    """A copy of exit_with with the set-user-ID or set-group-ID bit, owned by
    another user or group (so that it changes the process's identity)."""
    if os.geteuid() != 0:
        lgtest.skip("making a program set-user-ID for another user needs root")
    path = os.path.join(directory, "exit_with_special")
    shutil.copy(args.exit_with, path)
    if bit == stat.S_ISUID:
        os.chown(path, pwd.getpwnam("nobody").pw_uid, -1)
    else:
        os.chown(path, -1, grp.getgrnam("nogroup").gr_gid)
    os.chmod(path, 0o755 | bit)
    return path


def case_refuse_setuid(args):
    with lgtest.temp_dir() as tmp:
        path = special_copy(args, tmp, stat.S_ISUID)
        check_refused(args, path, "set-user-ID or set-group-ID", tmp)


def case_refuse_setgid(args):
    with lgtest.temp_dir() as tmp:
        path = special_copy(args, tmp, stat.S_ISGID)
        check_refused(args, path, "set-user-ID or set-group-ID", tmp)


# ---------------------------------------------------------------- capacity limits


def caps(args, option, pattern):
    """LOCKGRAPH_OPTIONS=OPTION on ordered_workers (16 locks, 8 threads): the
    note matching pattern (with PID for the pid) in text and JSON; no
    crash, output and status unchanged."""
    cmd = [lgtest.sample_path(args, "ordered_workers")]
    nat = native(cmd, 0)
    env = lgtest.clean_env({"LOCKGRAPH_OPTIONS": option})
    with lgtest.temp_dir() as tmp:
        result, report, processes = lockgraph_run(args, cmd, tmp, env=env)
        lgtest.check_status(result, 0, "nothing found: the program's own")
        lgtest.check_same_output(result, nat, "lockgraph run --output")
        check_equal(len(processes), 1, "number of traces")
        pid = list(processes)[0]
        note = re.compile(pattern.replace("PID", str(pid)))
        check_no_findings(report, "lockgraph run --format json")
        notes = (report.get("summary") or {}).get("notes")
        check(isinstance(notes, list) and len(notes) == 1 and note.fullmatch(notes[0]),
              f"summary.notes: expected one note matching {note.pattern!r}, got {notes!r}")

        result = lgtest.run([args.lockgraph, "run", "--"] + cmd, cwd=tmp, env=env)
        lgtest.check_status(result, 0, "nothing found: the program's own")
        check(result.stdout == nat.stdout, "stdout must be the program's own" + result.describe())
        added = lgtest.added_lines(result, nat)
        check(len(added) == 1 and re.fullmatch(r"note: " + pattern.replace("PID", r"\d+"),
                                               added[0]),
              f"expected only the note after the program's stderr, got {added}" + result.describe())


def case_caps_locks(args):
    caps(args, "max_locks=5",
         re.escape("ordered_workers (pid PID): more than 5 locks: later ones are not tracked "
                   "(raise LOCKGRAPH_OPTIONS=max_locks)"))


def case_caps_edges(args):
    caps(args, "max_edges=3",
         re.escape("ordered_workers (pid PID): more than 3 lock-order edges: ") + r".*"
         + re.escape("(raise LOCKGRAPH_OPTIONS=max_edges)"))


def case_caps_stacks(args):
    caps(args, "max_stacks=2",
         re.escape("ordered_workers (pid PID): more than 2 distinct stacks: ") + r".*"
         + re.escape("(raise LOCKGRAPH_OPTIONS=max_stacks)"))


def case_caps_one(args):
    caps(args, "max_locks=1",
         re.escape("ordered_workers (pid PID): more than 1 lock: later ones are not tracked "
                   "(raise LOCKGRAPH_OPTIONS=max_locks)"))


def case_caps_commas(args):
    caps(args, "verbosity=0,max_locks=5",
         re.escape("ordered_workers (pid PID): more than 5 locks: later ones are not tracked "
                   "(raise LOCKGRAPH_OPTIONS=max_locks)"))


CASES = {
    "prefork-json": case_prefork_json,
    "prefork-text": case_prefork_text,
    "prefork-preload": case_prefork_preload,
    "prefork-fixed": case_prefork_fixed,
    "prefork-own-order": case_prefork_own_order,
    "snapshot-json": case_snapshot_json,
    "snapshot-preload": case_snapshot_preload,
    "snapshot-fixed": case_snapshot_fixed,
    "plugin-json": case_plugin_json,
    "plugin-text": case_plugin_text,
    "plugin-preload": case_plugin_preload,
    "plugin-fixed": case_plugin_fixed,
    "sigkill-json": case_sigkill_json,
    "sigkill-text": case_sigkill_text,
    "sigkill-preload": case_sigkill_preload,
    "sigkill-fixed": case_sigkill_fixed,
    "binary-output": case_binary_output,
    "binary-output-abba": case_binary_output_abba,
    "pipeline": case_pipeline,
    "pipeline-fail-on-none": case_pipeline_fail_on_none,
    "exec": case_exec,
    "signal-raise": case_signal_raise,
    "signal-timer": case_signal_timer,
    "signal-contended": case_signal_contended,
    "signal-same": case_signal_same,
    "lifetime": case_lifetime,
    "exit-threads-exit": case_exit_threads_exit,
    "exit-threads-return": case_exit_threads_return,
    "trace-dir-under-file": case_trace_dir_under_file,
    "trace-dir-is-file": case_trace_dir_is_file,
    "trace-dir-proc": case_trace_dir_proc,
    "trace-dir-fork": case_trace_dir_fork,
    "refuse-static": case_refuse_static,
    "refuse-tsan": case_refuse_tsan,
    "refuse-setuid": case_refuse_setuid,
    "refuse-setgid": case_refuse_setgid,
    "caps-locks": case_caps_locks,
    "caps-edges": case_caps_edges,
    "caps-stacks": case_caps_stacks,
    "caps-one": case_caps_one,
    "caps-commas": case_caps_commas,
}

if __name__ == "__main__":
    lgtest.main(CASES)
