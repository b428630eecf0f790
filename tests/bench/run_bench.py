#!/usr/bin/env python3
"""lockgraph's benchmark: every workload of bench.c natively, under lockgraph
(LD_PRELOAD), built with ThreadSanitizer (detect_deadlocks=1) and under
valgrind's Helgrind, interleaved in one run; median wall-time and peak-RSS
ratios to native, as a markdown table and JSON. Also the reporter on 1,000
traces with 100,000 edges, and the time from an actual deadlock forming to
its report.

    make bench                    (all of it, several repetitions)
    run_bench.py --smoke ...      (tiny sizes, lockgraph only: part of make test)

A tool that is not installed is skipped with a note. The smoke run checks
what the bench relies on (every tool computes the same results, the inversion
among the distinct locks is found, the reporter reads every trace) and never
a time.
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

# name, full size, Helgrind size (None: too slow to run at all), goal for
# lockgraph's time ratio (None: shown, not judged), what it is.
CASES = [
    ("uncontended", 30_000_000, 300_000, 1.3, "1 thread, lock/unlock one mutex"),
    ("contended", 3_000_000, 30_000, None, "2 threads, lock/unlock one mutex"),
    ("nested", 3_000_000, 30_000, 1.3, "2 threads, nested pair A then B"),
    ("chain", 3000, 30, 2.0, "1,000-lock chain walked N times"),
    ("distinct", 1_000_000, 10_000, None, "1,000,000 distinct mutexes, one inversion"),
    ("readers", 5_000_000, 50_000, None, "2 threads, rwlock read lock/unlock"),
    ("job_queue", 100_000, 2_000, 1.05, "thread pool, bounded queue, condvars"),
    ("hash_table", 500_000, 10_000, 1.05, "4 threads, 256 buckets, lock per bucket"),
]
SMOKE_SIZE = {"uncontended": 20_000, "contended": 5_000, "nested": 5_000, "chain": 2,
              "distinct": 20_000, "readers": 5_000, "job_queue": 500, "hash_table": 2_000}
RSS_GOAL = (1.5, 32 * 1024)  # peak RSS <= 1.5 x native + 32 MiB (in KiB)
TOOLS = ["native", "floor", "lockgraph", "profile", "tsan", "helgrind"]


def run_measured(argv, env=None, timeout=None, measure=None):
    """Runs argv through the `measure` helper: its wall time, its own peak
    RSS (python's wait4 would count the interpreter's memory, which a child
    inherits until it execs), exit status and output. The environment
    reaches only the command (through env(1), for every tool alike), never
    the measuring process: a preload there would trace it too."""
    if env is not None:
        extra = ["%s=%s" % (k, v) for k, v in env.items() if os.environ.get(k) != v]
        unset = [a for k in os.environ if k not in env for a in ("-u", k)]
        argv = ["env"] + unset + extra + list(argv)
    out = tempfile.TemporaryFile()
    err = tempfile.TemporaryFile()
    fd, result_file = tempfile.mkstemp(prefix="lockgraph-measure-")
    os.close(fd)
    timeout_ms = str(int((timeout or 0) * 1000))
    proc = subprocess.Popen([measure or MEASURE, timeout_ms, result_file, "--"] + argv,
                            stdout=out, stderr=err)
    proc.wait()
    with open(result_file) as r:
        line = r.read().strip()
    os.unlink(result_file)
    if proc.returncode != 0 or not line:
        raise SystemExit("measure failed (%d) for %s" % (proc.returncode, " ".join(argv)))
    seconds, rss, status = line.split()
    out.seek(0)
    err.seek(0)
    return {
        "seconds": float(seconds),
        "rss_kib": int(rss),
        "status": int(status) if status.lstrip("-").isdigit() else status,
        "timed_out": status == "timeout",
        "stdout": out.read().decode(errors="replace"),
        "stderr": err.read().decode(errors="replace"),
    }


MEASURE = None


class Bench:
    def __init__(self, args):
        self.args = args
        self.tmp = tempfile.mkdtemp(prefix="lockgraph-bench-")
        self.notes = []
        self.tools = [t for t in args.tools.split(",") if t]
        if "tsan" in self.tools and not args.bench_tsan:
            self.tools.remove("tsan")
            self.notes.append("ThreadSanitizer: skipped, the compiler has no libtsan "
                              "(install libtsan2 / the compiler's sanitizer runtime)")
        if "helgrind" in self.tools and not shutil.which("valgrind"):
            self.tools.remove("helgrind")
            self.notes.append("Helgrind: skipped, valgrind is not installed (apt-get install "
                              "valgrind)")

    def close(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def trace_dir(self, name):
        d = os.path.join(self.tmp, name)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        return d

    def command(self, tool, case, size, trace_dir=None):
        """The argv and environment that run one case under one tool."""
        env = dict(os.environ)
        env.pop("LD_PRELOAD", None)
        env.pop("LOCKGRAPH_OPTIONS", None)
        argv = [self.args.bench, case, str(size)]
        if tool in ("lockgraph", "profile"):
            env["LD_PRELOAD"] = self.args.lib
            env["LOCKGRAPH_OPTIONS"] = "out=" + trace_dir
            if tool == "profile":
                env["LOCKGRAPH_OPTIONS"] += ":profile=1"
        elif tool == "floor":
            env["LD_PRELOAD"] = self.args.floor
        elif tool == "tsan":
            argv[0] = self.args.bench_tsan
            # Report, never stop: a finding must not change the timing.
            env["TSAN_OPTIONS"] = "detect_deadlocks=1 second_deadlock_stack=1 exitcode=0"
        elif tool == "helgrind":
            argv = ["valgrind", "--tool=helgrind", "--error-exitcode=0", "-q"] + argv
        return argv, env

    def found_inversion(self, tool, res, trace_dir):
        """Did this tool report the one inversion of the distinct case?"""
        if tool == "lockgraph":
            report = self.report_json([trace_dir])
            return report["summary"]["potential"] == 1
        if tool == "tsan":
            return "lock-order-inversion" in res["stderr"]
        if tool == "helgrind":
            return "lock order" in res["stderr"]
        return None

    def report_json(self, dirs):
        res = run_measured([self.args.lockgraph, "report", "--format", "json"] + dirs)
        if res["status"] not in (0, 66):
            raise SystemExit("lockgraph report failed (%d): %s" % (res["status"], res["stderr"]))
        return json.loads(res["stdout"])

    def run_cases(self):
        """Every case under every tool, interleaved: one repetition runs each
        tool once in turn, so slow drifts of the machine hit all alike."""
        reps = 1 if self.args.smoke else self.args.reps
        results = {}
        for name, full, hg_size, goal, what in CASES:
            if self.args.cases and name not in self.args.cases.split(","):
                continue
            size = SMOKE_SIZE[name] if self.args.smoke else int(full * self.args.scale)
            hsize = max(1, int(hg_size * self.args.scale)) if hg_size else None
            if self.args.smoke:
                hsize = None
            row = {"case": name, "what": what, "size": size, "helgrind_size": hsize,
                   "goal": goal, "runs": {}}
            plan = [(t, size) for t in self.tools if t != "helgrind"]
            if "helgrind" in self.tools and hsize:
                # Helgrind's ratio is to a native run of its own smaller size.
                plan += [("native@helgrind", hsize), ("helgrind", hsize)]
            for rep in range(reps):
                for tool, sz in plan:
                    real_tool = "native" if tool == "native@helgrind" else tool
                    tdir = self.trace_dir("%s-%s" % (name, tool)) \
                        if real_tool in ("lockgraph", "profile") \
                        else None
                    argv, env = self.command(real_tool, name, sz, tdir)
                    res = run_measured(argv, env, timeout=self.args.timeout)
                    entry = row["runs"].setdefault(tool, {"seconds": [], "rss_kib": []})
                    if res["timed_out"]:
                        entry["timed_out"] = True
                        continue
                    expect = "%s %d:" % (name, sz)
                    if not res["stdout"].startswith(expect) or (
                            res["status"] != 0 and real_tool != "helgrind"):
                        raise SystemExit("%s under %s: exit %d, output %r, stderr %s" % (
                            name, tool, res["status"], res["stdout"][:200], res["stderr"][-2000:]))
                    entry.setdefault("checksum", res["stdout"].strip())
                    if entry["checksum"] != res["stdout"].strip():
                        raise SystemExit("%s under %s: results differ between runs" % (name, tool))
                    entry["seconds"].append(res["seconds"])
                    entry["rss_kib"].append(res["rss_kib"])
                    if name == "distinct" and rep == 0:
                        entry["found_inversion"] = self.found_inversion(real_tool, res, tdir)
            self.check_same_results(row)
            results[name] = row
            if not self.args.smoke:
                print("  %-12s done" % name, file=sys.stderr, flush=True)
        return results

    @staticmethod
    def check_same_results(row):
        """Every tool computed what the native run computed."""
        runs = row["runs"]
        for tool, entry in runs.items():
            if tool.startswith("native"):
                continue
            base = runs.get("native@helgrind" if tool == "helgrind" else "native")
            if base and "checksum" in entry and "checksum" in base and \
                    entry["checksum"] != base["checksum"]:
                raise SystemExit("%s: %s computed %r, native %r" % (
                    row["case"], tool, entry["checksum"], base["checksum"]))

    def reporter(self, processes, edges_each):
        """Traces of `processes` runs, each adding `edges_each` edges to one long
        graph, every tenth also one inversion of its own (a finding to
        symbolize and rank); times `lockgraph report` over all of them."""
        d = self.trace_dir("reporter")
        inversions = 0
        for k in range(processes):
            first = (k * edges_each) % (120_000 - edges_each)
            argv, env = self.command("lockgraph", "edges", edges_each, d)
            argv.append(str(first))
            if k % 10 == 0:
                argv.append("invert")
                inversions += 1
            res = run_measured(argv, env)
            if res["status"] != 0:
                raise SystemExit("edges under lockgraph failed: %s" % res["stderr"])
        files = len([f for f in os.listdir(d) if f.endswith(".lgt")])
        if files != processes:
            raise SystemExit("reporter bench: %d trace files for %d processes" % (files, processes))
        times, instance_times = [], []
        for _ in range(1 if self.args.smoke else 3):
            # Interleaved: with lock classes (the default) and objects only.
            res = run_measured([self.args.lockgraph, "report", "--classes", "off", "--format",
                                "json", d])
            if res["status"] != 0:
                raise SystemExit("lockgraph report --classes off: exit %d: %s" % (
                    res["status"], res["stderr"][-1000:]))
            instance_times.append(res["seconds"])
            res = run_measured([self.args.lockgraph, "report", "--format", "json", d])
            if res["status"] != 0:  # latent findings do not fail a run by default
                raise SystemExit("lockgraph report over %d traces: exit %d: %s" % (
                    files, res["status"], res["stderr"][-1000:]))
            report = json.loads(res["stdout"])
            summary = report["summary"]
            if summary["traces"] != processes or summary["latent"] != inversions:
                raise SystemExit("reporter bench: expected %d traces and %d latent findings "
                                 "(single-threaded inversions), got %s" % (
                                     processes, inversions, summary))
            times.append(res["seconds"])
            rss = res["rss_kib"]
        return {"traces": files, "edges": processes * edges_each, "findings": inversions,
                "seconds": statistics.median(times), "rss_kib": rss, "goal_seconds": 5.0,
                "instance_only_seconds": statistics.median(instance_times)}

    def latency(self):
        """From an actual deadlock forming to lockgraph's report, and what the
        other tools do with the same program (they let it hang)."""
        out = {"lockgraph_us": []}
        for pairs in (1, 2, 4):
            for _ in range(1 if self.args.smoke else 5):
                d = self.trace_dir("latency")
                argv, env = self.command("lockgraph", "deadlock", pairs, d)
                res = run_measured(argv, env, timeout=30)
                if res["status"] != 66:
                    raise SystemExit("deadlock under lockgraph: exit %d, stderr %s" % (
                        res["status"], res["stderr"]))
                report = self.report_json([d])
                actual = [f for f in report["findings"] if f["kind"] == "actual-deadlock"]
                if len(actual) != 1:
                    raise SystemExit("deadlock: expected one actual deadlock, got %d" % len(actual))
                out["lockgraph_us"].append(actual[0]["detected_after_us"])
        if self.args.smoke:
            return out
        for tool in self.tools:
            if tool in ("native", "floor", "lockgraph", "profile"):
                continue
            argv, env = self.command(tool, "deadlock", 1)
            res = run_measured(argv, env, timeout=self.args.hang_timeout)
            out[tool] = ("hung: no report in %g s, killed" % self.args.hang_timeout
                         if res["timed_out"] else
                         "ended with status %d%s" % (res["status"], ", reported it" if (
                             "deadlock" in res["stderr"].lower()) else ""))
        return out


def median(xs):
    return statistics.median(xs) if xs else None


def summarize(results):
    """Median seconds and RSS per tool, and ratios to the matching native run."""
    for row in results.values():
        runs = row["runs"]
        for tool, e in runs.items():
            e["median_seconds"] = median(e["seconds"])
            e["median_rss_kib"] = median(e["rss_kib"])
        for tool, e in runs.items():
            if tool.startswith("native"):
                continue
            base = runs.get("native@helgrind" if tool == "helgrind" else "native")
            if base and e["median_seconds"] and base["median_seconds"]:
                e["time_ratio"] = e["median_seconds"] / base["median_seconds"]
                e["rss_ratio"] = e["median_rss_kib"] / base["median_rss_kib"]
        lg, nat = runs.get("lockgraph"), runs.get("native")
        if lg and nat and lg.get("time_ratio"):
            time_ok = row["goal"] is None or lg["time_ratio"] <= row["goal"]
            rss_ok = lg["median_rss_kib"] <= RSS_GOAL[0] * nat["median_rss_kib"] + RSS_GOAL[1]
            inv_ok = lg.get("found_inversion", True)
            row["goal_met"] = bool(time_ok and rss_ok and inv_ok)


def fmt_ratio(e, key):
    if not e:
        return "-"
    if e.get("timed_out") and not e.get("seconds"):
        return "timed out"
    r = e.get(key)
    return "-" if r is None else ("%.2f×" % r if r < 10 else "%.0f×" % r)


def markdown(results, reporter, latency, machine, notes):
    lines = ["Machine: " + machine, ""]
    lines.append("| case | native | floor | lockgraph time | goal | lockgraph RSS | "
                 "with --profile | TSan time | TSan RSS | Helgrind time (size) |")
    lines.append("|---|---|---|---|---|---|---|---|---|---|")
    for row in results.values():
        r = row["runs"]
        nat = r.get("native", {})
        lg = r.get("lockgraph")
        goal = "shown only" if row["goal"] is None else "≤ %.2f×" % row["goal"]
        if "goal_met" in row:
            goal += " ✓" if row["goal_met"] else " ✗"
        hg = r.get("helgrind")
        hg_cell = "-" if not hg else "%s (%d)" % (fmt_ratio(hg, "time_ratio"), row["helgrind_size"])
        inv = ""
        if row["case"] == "distinct":
            found = {t: r[t].get("found_inversion") for t in r if "found_inversion" in r[t]}
            inv = " — inversion found: " + ", ".join(
                "%s %s" % (t, "yes" if v else "no") for t, v in found.items() if v is not None)
        lines.append("| %s (%s)%s | %.3f s, %.1f MiB | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            row["case"], row["size"], inv, nat.get("median_seconds") or 0,
            (nat.get("median_rss_kib") or 0) / 1024, fmt_ratio(r.get("floor"), "time_ratio"),
            fmt_ratio(lg, "time_ratio"), goal,
            fmt_ratio(lg, "rss_ratio"), fmt_ratio(r.get("profile"), "time_ratio"),
            fmt_ratio(r.get("tsan"), "time_ratio"),
            fmt_ratio(r.get("tsan"), "rss_ratio"), hg_cell))
    lines.append("")
    lines.append("Times and RSS are medians, as ratios to the native run of the same size "
                 "(Helgrind's to a native run of its smaller size). floor: the cheapest "
                 "possible interposer (a dlsym'd call and a thread-local held stack, "
                 "floor_preload.c), what interposing alone costs on this machine. "
                 "with --profile: lockgraph keeping the lock profile too (profile=1).")
    lines.append("")
    if reporter:
        lines.append("Reporter: %d trace files, %d edges, %d findings: %.2f s (goal < %.0f s), "
                     "peak RSS %.1f MiB; %.2f s with --classes off (objects only)." % (
                         reporter["traces"], reporter["edges"], reporter["findings"],
                         reporter["seconds"], reporter["goal_seconds"],
                         reporter["rss_kib"] / 1024, reporter["instance_only_seconds"]))
    if latency:
        us = latency["lockgraph_us"]
        lines.append("Actual deadlock to report (lockgraph, 1–4 stuck pairs, %d runs): median "
                     "%.2f ms, max %.2f ms." % (len(us), statistics.median(us) / 1000,
                                               max(us) / 1000))
        for tool in ("tsan", "helgrind"):
            if tool in latency:
                lines.append("Same program under %s: %s." % (
                    "ThreadSanitizer" if tool == "tsan" else "Helgrind", latency[tool]))
    for n in notes:
        lines.append("Note: " + n)
    return "\n".join(lines) + "\n"


def machine_line():
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return "%s, %d cores, %s %s" % (cpu, os.cpu_count() or 0, platform.system(),
                                     platform.release())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bench", required=True, help="bench built plainly")
    ap.add_argument("--bench-tsan", help="bench built with -fsanitize=thread")
    ap.add_argument("--lib", required=True, help="liblockgraph.so")
    ap.add_argument("--lockgraph", required=True, help="the lockgraph command")
    ap.add_argument("--floor", required=True, help="the cheapest interposer (floor_preload.so)")
    ap.add_argument("--measure", required=True, help="the measure helper")
    ap.add_argument("--tools", default=",".join(TOOLS))
    ap.add_argument("--cases", help="comma-separated cases (default: all)")
    ap.add_argument("--reps", type=int, default=5, help="repetitions (default 5)")
    ap.add_argument("--scale", type=float, default=1.0, help="multiply every size")
    ap.add_argument("--timeout", type=float, default=600, help="seconds per run")
    ap.add_argument("--hang-timeout", type=float, default=5,
                    help="how long other tools get to report the real deadlock")
    ap.add_argument("--out", help="directory for bench.md and bench.json")
    ap.add_argument("--smoke", action="store_true",
                    help="tiny sizes, native and lockgraph only, no timing table")
    args = ap.parse_args()
    global MEASURE
    MEASURE = os.path.abspath(args.measure)
    if args.smoke:
        args.tools = "native,floor,lockgraph,profile"

    for what, path in (("--bench", args.bench), ("--lib", args.lib), ("--floor", args.floor),
                       ("--measure", args.measure), ("--lockgraph", args.lockgraph)):
        if not os.path.exists(path):
            raise SystemExit("run_bench: %s '%s' does not exist" % (what, path))
    b = Bench(args)
    try:
        if not args.smoke:
            print("lockgraph bench: %s; tools: %s; %d repetitions" % (
                machine_line(), ", ".join(b.tools), args.reps), file=sys.stderr, flush=True)
        results = b.run_cases()
        reporter = b.reporter(20, 100) if args.smoke else b.reporter(1000, 100)
        latency = b.latency()
    finally:
        b.close()
    summarize(results)
    if args.smoke:
        checked = sum(len(r["runs"]) for r in results.values())
        print("bench smoke: %d cases, %d tool runs, same results under lockgraph; inversion "
              "among %d locks found; reporter read %d traces; deadlock reported after %d us" % (
                  len(results), checked, results["distinct"]["size"], reporter["traces"],
                  latency["lockgraph_us"][0]))
        if not results["distinct"]["runs"]["lockgraph"].get("found_inversion"):
            raise SystemExit("distinct: lockgraph missed the inversion")
        return 0
    md = markdown(results, reporter, latency, machine_line(), b.notes)
    print(md)
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        with open(os.path.join(args.out, "bench.md"), "w") as f:
            f.write(md)
        with open(os.path.join(args.out, "bench.json"), "w") as f:
            json.dump({"machine": machine_line(), "cases": results, "reporter": reporter,
                       "latency": latency, "notes": b.notes}, f, indent=1)
        print("written: %s, %s" % (os.path.join(args.out, "bench.md"),
                                   os.path.join(args.out, "bench.json")), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
