#!/usr/bin/env python3
"""lockgraph on real programs: Debian's own multi-threaded
programs, each run natively, preloaded with liblockgraph.so, and under
`lockgraph run`, interleaved and repeated; checks that every run computes
the same verified result with the same exit status, collects every finding
with its disposition (programs/*.py list the findings investigated, see
docs/field-reports.md), and measures median wall time and peak RSS as
ratios to native, and the lock-call rate of a separate `--profile` run.

    make field                          (installs the packages, all programs)
    run_field.py --list-packages        (what the programs need, for apt-get)
    run_field.py --smoke ...            (pigz and xz at small sizes, one run
                                         each: a meson test; exit 77 when
                                         they are not installed; never a time)

Writes field.md and field.json into --out. Exits 1 when a program's result
was not verified or a finding has no disposition.
"""

import argparse
import hashlib
import importlib.util
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
MODES = ["native", "preload", "run"]
# Every program, in table order; each is programs/NAME.py.
PROGRAMS = ["pigz", "zstd", "xz", "lbzip2", "git", "sqlite", "python3", "memcached", "redis"]
SMOKE_PROGRAMS = ["pigz", "xz"]


def load_program(name):
    path = os.path.join(HERE, "programs", name + ".py")
    spec = importlib.util.spec_from_file_location("field_" + name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, timeout=30.0):
    """Until something accepts on 127.0.0.1:port (False if proc ended or
    the time ran out)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            time.sleep(0.05)
    return False


class Context:
    """What a program definition may use: a work directory shared by all
    its runs, the sizes (smaller with --smoke), and a few helpers."""

    def __init__(self, work, smoke):
        self.work = work
        self.smoke = smoke
        self.python = "/usr/bin/python3"  # Debian's, never a pyenv shim
        self.cc = os.environ.get("CC", "cc")

    def size(self, full, smoke):
        return smoke if self.smoke else full

    def text_file(self, name, mib, seed=11):
        """A deterministic, compressible text of `mib` MiB (words drawn from
        a made-up vocabulary with a skewed frequency), made once."""
        path = os.path.join(self.work, "%s-%dMiB.txt" % (name, mib))
        if os.path.exists(path):
            return path
        import random
        r = random.Random(seed)
        syl = ["ka", "lo", "mi", "ne", "tu", "ra", "shi", "po", "ven", "dor", "ul", "ex",
               "qua", "zi", "tha", "ber", "gin", "os", "ly", "an", "e", "i"]
        vocab = ["".join(r.choice(syl) for _ in range(r.randint(1, 4))) for _ in range(6000)]
        weights = [1.0 / (k + 1) for k in range(len(vocab))]
        cum = []
        total = 0.0
        for w in weights:
            total += w
            cum.append(total)
        target = mib << 20
        with open(path + ".tmp", "wb") as f:
            written = 0
            while written < target:
                words = r.choices(vocab, cum_weights=cum, k=120_000)
                chunk = ("\n".join(" ".join(words[i:i + 12]) for i in range(0, len(words), 12))
                         + "\n").encode()
                chunk = chunk[:target - written]
                f.write(chunk)
                written += len(chunk)
        os.replace(path + ".tmp", path)
        return path

    def sh(self, argv, **kw):
        """A helper command run natively (not measured); raises on failure."""
        return subprocess.run(argv, check=True, env=clean_env(), **kw)


def clean_env():
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    env.pop("LOCKGRAPH_OPTIONS", None)
    return env


class Runner:
    def __init__(self, args):
        self.args = args
        self.tmp = tempfile.mkdtemp(prefix="lockgraph-field-")

    def wrap(self, mode, argv, trace_dir, json_out):
        """The measured command for one mode. The environment is given
        through env(1) inside the command, as the bench does, so the
        measuring process is never preloaded itself."""
        base = ["env", "-u", "LD_PRELOAD", "-u", "LOCKGRAPH_OPTIONS"]
        if mode == "native":
            return base + argv
        if mode == "preload":
            return base + ["LD_PRELOAD=" + self.args.lib, "LOCKGRAPH_OPTIONS=out=" + trace_dir] + argv
        cmd = base + ["LOCKGRAPH_PRELOAD=" + self.args.lib, self.args.lockgraph, "run",
                      "--out", trace_dir, "--format", "json", "--output", json_out]
        if mode == "profile":
            cmd.append("--profile")
        return cmd + ["--"] + argv

    def start_measured(self, argv, stdin=None, stdout=None, timeout=None):
        fd, result_file = tempfile.mkstemp(prefix="measure-", dir=self.tmp)
        os.close(fd)
        err = tempfile.TemporaryFile()
        out = open(stdout, "wb") if stdout else tempfile.TemporaryFile()
        inp = open(stdin, "rb") if stdin else subprocess.DEVNULL
        timeout_ms = str(int((timeout or self.args.timeout) * 1000))
        proc = subprocess.Popen([self.args.measure, timeout_ms, result_file, "--"] + argv,
                                stdin=inp, stdout=out, stderr=err, env=clean_env())
        return {"proc": proc, "result_file": result_file, "out": out, "err": err,
                "stdout_path": stdout, "inp": inp}

    @staticmethod
    def finish_measured(h):
        # wait4 on measure gives its children's CPU time too (it reaps the
        # program): user+sys time, less disturbed than wall time when other
        # work shares the machine.
        while True:
            try:
                _, wstatus, usage = os.wait4(h["proc"].pid, 0)
                break
            except InterruptedError:
                continue
        h["proc"].returncode = os.waitstatus_to_exitcode(wstatus)
        with open(h["result_file"]) as r:
            line = r.read().strip()
        os.unlink(h["result_file"])
        if h["inp"] is not subprocess.DEVNULL:
            h["inp"].close()
        if h["proc"].returncode != 0 or not line:
            raise RuntimeError("measure failed (%d)" % h["proc"].returncode)
        seconds, rss, status = line.split()
        h["err"].seek(0)
        stderr = h["err"].read().decode(errors="replace")
        stdout = ""
        if not h["stdout_path"]:
            h["out"].seek(0)
            stdout = h["out"].read().decode(errors="replace")
        h["out"].close()
        h["err"].close()
        return {"seconds": float(seconds), "rss_kib": int(rss),
                "cpu_seconds": usage.ru_utime + usage.ru_stime,
                "status": int(status) if status.lstrip("-").isdigit() else status,
                "stdout": stdout, "stderr": stderr}

    @staticmethod
    def measured_child(h):
        """The pid measure forked: the program itself (env execs it), or
        `lockgraph run`, which forwards SIGTERM to the program."""
        pid = h["proc"].pid
        for _ in range(200):
            try:
                with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
                    kids = f.read().split()
                if kids:
                    return int(kids[0])
            except OSError:
                pass
            time.sleep(0.01)
        raise RuntimeError("measure started no child")

    def run_once(self, prog, state, mode, rep):
        """One measured run of one program in one mode; the program's own
        check decides whether the result is right."""
        tag = "%s-%s-%d" % (prog.NAME, mode, rep)
        outdir = os.path.join(self.tmp, tag)
        os.makedirs(outdir)
        trace_dir = os.path.join(outdir, "traces")
        json_out = os.path.join(outdir, "report.json")
        res = {"mode": mode}
        if getattr(prog, "SERVER", False):
            port = free_port()
            spec = prog.command(self.ctx, state, outdir, port)
            h = self.start_measured(self.wrap(mode, spec["argv"], trace_dir, json_out),
                                    stdout=spec.get("stdout"))
            try:
                if not wait_port(port, h["proc"]):
                    raise RuntimeError("the server did not listen on port %d" % port)
                t0 = time.monotonic()
                digest = prog.drive(self.ctx, state, port)
                res["drive_seconds"] = time.monotonic() - t0
                ok, detail = True, "client checked every reply"
            except Exception as e:  # a failed client is a failed run, not a crash here
                digest, ok, detail = None, False, "client: %s" % e
            try:
                os.kill(self.measured_child(h), signal.SIGTERM)
            except (OSError, RuntimeError):
                pass
            m = self.finish_measured(h)
        else:
            spec = prog.command(self.ctx, state, outdir)
            h = self.start_measured(self.wrap(mode, spec["argv"], trace_dir, json_out),
                                    stdin=spec.get("stdin"), stdout=spec.get("stdout"))
            m = self.finish_measured(h)
            if m["status"] == "timeout":
                ok, digest, detail = False, None, "timed out"
            else:
                ok, digest, detail = prog.check(self.ctx, state, outdir, m["stdout"])
        res.update(m)
        res.update({"ok": ok, "digest": digest, "detail": detail})
        if mode in ("run", "profile"):
            try:
                with open(json_out) as f:
                    res["report"] = json.load(f)
            except (OSError, ValueError) as e:
                res["report"] = None
                res["ok"] = False
                res["detail"] += "; no JSON report (%s)" % e
        elif mode == "preload":
            res["report"] = self.report_dir(trace_dir)
        if mode in ("run", "profile", "preload") and res.get("report") is None:
            res["ok"] = False
        if not self.args.keep:
            for name in os.listdir(outdir):
                p = os.path.join(outdir, name)
                if name != "traces" and os.path.isfile(p):
                    os.unlink(p)
            prog_cleanup = getattr(prog, "cleanup", None)
            if prog_cleanup:
                prog_cleanup(self.ctx, state, outdir)
        return res

    def report_dir(self, trace_dir):
        """`lockgraph report` over a preloaded run's traces (its findings,
        and how long the report itself took)."""
        if not os.path.isdir(trace_dir):
            return None
        t0 = time.monotonic()
        p = subprocess.run([self.args.lockgraph, "report", "--format", "json", "--fail-on", "none",
                            trace_dir], capture_output=True, env=clean_env())
        if p.returncode != 0:
            return None
        rep = json.loads(p.stdout)
        rep["_report_seconds"] = time.monotonic() - t0
        return rep

    def program(self, name):
        prog = load_program(name)
        self.ctx = Context(os.path.join(self.args.work, name), self.args.smoke)
        os.makedirs(self.ctx.work, exist_ok=True)
        row = {"program": name, "packages": prog.PACKAGES, "workload": prog.WORKLOAD,
               "version": package_version(prog.VERSION_OF), "runs": []}
        missing = [b for b in prog.BINARIES if not os.path.exists(b)]
        if missing:
            row["skipped"] = "not installed: " + ", ".join(missing)
            return row
        state = prog.prepare(self.ctx)
        reps = 1 if self.args.smoke else self.args.reps
        for rep in range(reps):
            for mode in MODES:
                r = self.run_once(prog, state, mode, rep)
                row["runs"].append(r)
                if not self.args.quiet:
                    print("  %-10s %-8s rep %d: %s %.2f s (cpu %.2f s) %d KiB status %s%s" % (
                        name, mode, rep, "ok" if r["ok"] else "FAILED",
                        r.get("drive_seconds", r["seconds"]), r["cpu_seconds"], r["rss_kib"],
                        r["status"], "" if r["ok"] else " (%s)" % r["detail"]),
                        file=sys.stderr, flush=True)
        if not self.args.smoke:
            r = self.run_once(prog, state, "profile", 0)
            row["profile_run"] = r
        summarize(row, prog)
        return row


def package_version(pkg):
    p = subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg], capture_output=True, text=True)
    return p.stdout.strip() if p.returncode == 0 else "?"


def finding_key(f):
    return f["signature"]


def describe_finding(f):
    locks = " / ".join((l.get("name") or l.get("description") or l["id"]) for l in f["locks"])
    kind = f["kind"] + (" (latent)" if f.get("latent") else "")
    return "%s: %s" % (kind, locks)


def summarize(row, prog):
    """Verification, findings with dispositions, medians and ratios."""
    runs = row["runs"]
    native = [r for r in runs if r["mode"] == "native"]
    base_digest = native[0]["digest"] if native else None
    base_status = native[0]["status"] if native else None
    problems = []
    findings = {}
    all_runs = runs + ([row["profile_run"]] if "profile_run" in row else [])
    for r in all_runs:
        rep = r.get("report") or {}
        for f in rep.get("findings", []):
            e = findings.setdefault(finding_key(f), {"signature": f["signature"], "kind": f["kind"],
                                                     "latent": f.get("latent", False),
                                                     "what": describe_finding(f), "runs": 0,
                                                     "modes": set()})
            e["runs"] += 1
            e["modes"].add(r["mode"])
    notes = set()
    for r in all_runs:
        summ = (r.get("report") or {}).get("summary", {})
        if summ.get("search_bounded_components"):
            notes.add("the cycle search reached its bounds in %d group(s) of locks: longer or "
                      "further cycles there were not examined" % summ["search_bounded_components"])
        for n in summ.get("notes", []):
            if "no debug info" not in n and "reached its bounds" not in n:
                notes.add(n)
        if summ.get("truncated_traces") or summ.get("unfinished_processes"):
            notes.add("%s: %d truncated traces, %d unfinished processes" % (
                r["mode"], summ.get("truncated_traces", 0), summ.get("unfinished_processes", 0)))
    row["notes"] = sorted(notes)
    row["search_bounded"] = any("reached its bounds" in n for n in notes)
    blocking = any(not f["latent"] for f in findings.values())
    for r in all_runs:
        if not r["ok"]:
            problems.append("%s: %s" % (r["mode"], r["detail"]))
        if r["digest"] != base_digest:
            problems.append("%s: result %s differs from native %s" % (r["mode"], r["digest"], base_digest))
        expect = base_status
        if r["mode"] in ("run", "profile") and blocking:
            expect = 66
        if r["status"] != expect:
            problems.append("%s: exit status %s, expected %s" % (r["mode"], r["status"], expect))
        if r["mode"] == "native" and r["status"] != getattr(prog, "EXPECT_STATUS", 0):
            problems.append("native: exit status %s" % r["status"])
    row["verified"] = not problems and base_digest is not None
    row["problems"] = sorted(set(problems))
    known = getattr(prog, "KNOWN_FINDINGS", {})
    for e in findings.values():
        e["modes"] = sorted(e["modes"])
        e["disposition"] = known.get(e["signature"], "NOT INVESTIGATED")
    row["findings"] = sorted(findings.values(), key=lambda e: e["signature"])
    key = "drive_seconds" if getattr(prog, "SERVER", False) else "seconds"
    med = {}
    for mode in MODES:
        rs = [r for r in runs if r["mode"] == mode and r.get(key) is not None]
        if rs:
            med[mode] = {"seconds": statistics.median(r[key] for r in rs),
                         "cpu_seconds": statistics.median(r["cpu_seconds"] for r in rs),
                         "rss_kib": statistics.median(r["rss_kib"] for r in rs)}
    row["median"] = med
    rts = [r["report"]["_report_seconds"] for r in runs
           if r["mode"] == "preload" and r.get("report") and "_report_seconds" in r["report"]]
    if rts:
        row["report_seconds"] = statistics.median(rts)
    if "native" in med:
        n = med["native"]
        for mode in ("preload", "run"):
            if mode in med and n["seconds"] > 0:
                med[mode]["time_ratio"] = med[mode]["seconds"] / n["seconds"]
                med[mode]["cpu_ratio"] = med[mode]["cpu_seconds"] / max(n["cpu_seconds"], 1e-6)
                med[mode]["rss_ratio"] = med[mode]["rss_kib"] / n["rss_kib"]
    prof = row.get("profile_run")
    if prof and prof.get("report") and prof["report"].get("profile"):
        locks = prof["report"]["profile"]["locks"]
        acq = sum(l["acquisitions"] for l in locks)
        row["lock_acquisitions"] = acq
        row["profiled_locks"] = len(locks)
        if "native" in med:
            row["lock_calls_per_s"] = acq / med["native"]["seconds"]
        row["top_locks"] = [{"lock": l["lock"], "acquisitions": l["acquisitions"],
                             "contended": l["contended"]} for l in locks[:5]]
    elif prof:
        row["lock_acquisitions"] = 0
        row["lock_calls_per_s"] = 0.0


def fmt_ratio(med, mode, key):
    v = med.get(mode, {}).get(key)
    return "-" if v is None else "%.2f×" % v


def findings_cell(row):
    fs = row.get("findings", [])
    bounded = " (search bounded)" if row.get("search_bounded") else ""
    if not fs:
        return "0" + bounded
    known = sum(1 for f in fs if f["disposition"] != "NOT INVESTIGATED")
    return "%d (%d investigated)%s" % (len(fs), known, bounded)


def rate_cell(row):
    r = row.get("lock_calls_per_s")
    if r is None:
        return "-"
    if r >= 1e6:
        return "%.1f M" % (r / 1e6)
    if r >= 1e3:
        return "%.0f k" % (r / 1e3)
    return "%.0f" % r


def markdown(rows, machine, reps):
    lines = ["Machine: " + machine + "; %d runs per mode, interleaved; medians." % reps, ""]
    lines.append("| program | version | workload | verified | findings | time × | time × (preload) "
                 "| CPU × | RSS × | RSS × (preload) | lock calls/s | native | report |")
    lines.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        if "skipped" in row:
            lines.append("| %s | %s | %s | skipped (%s) | | | | | | | | | |" % (
                row["program"], row["version"], row["workload"], row["skipped"]))
            continue
        med = row.get("median", {})
        nat = med.get("native", {})
        rs = row.get("report_seconds")
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            row["program"], row["version"], row["workload"], "yes" if row["verified"] else "NO",
            findings_cell(row), fmt_ratio(med, "run", "time_ratio"),
            fmt_ratio(med, "preload", "time_ratio"), fmt_ratio(med, "run", "cpu_ratio"),
            fmt_ratio(med, "run", "rss_ratio"), fmt_ratio(med, "preload", "rss_ratio"),
            rate_cell(row),
            "%.2f s, %.1f MiB" % (nat.get("seconds", 0), nat.get("rss_kib", 0) / 1024),
            "-" if rs is None else "%.2f s" % rs))
    lines.append("")
    lines.append("time ×: `lockgraph run` (the program preloaded, then the report) over native; "
                 "time × (preload): the program alone under LD_PRELOAD; for servers, the time "
                 "the client took for its fixed workload. CPU ×: user+system time of everything "
                 "`lockgraph run` ran (for servers, the server's whole session) over native. "
                 "RSS ×: peak RSS under `lockgraph run` "
                 "(the program or the reporter, whichever is larger) over native; RSS × "
                 "(preload): the program's own. Lock calls/s: acquisitions counted by a separate "
                 "`--profile` run over the native median time. native: median wall time and peak "
                 "RSS natively. report: `lockgraph report` over one preloaded run's traces "
                 "(part of `lockgraph run`'s time). search bounded: lockgraph's cycle search "
                 "stopped at its bounds in a group of locks (see docs/field-reports.md).")
    for row in rows:
        for p in row.get("problems", []):
            lines.append("- %s: %s" % (row["program"], p))
        for n in row.get("notes", []):
            lines.append("- %s: note: %s" % (row["program"], n))
        for f in row.get("findings", []):
            lines.append("- %s finding %s (%s; in %d runs): %s" % (
                row["program"], f["signature"], f["what"], f["runs"], f["disposition"]))
    return "\n".join(lines) + "\n"


def machine_line():
    cpu = platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    deb = "Debian"
    try:
        with open("/etc/debian_version") as f:
            deb += " " + f.read().strip()
    except OSError:
        pass
    return "%s, %d cores, %s, Linux %s" % (cpu, os.cpu_count() or 0, deb, platform.release())


def strip_for_json(rows):
    out = []
    for row in rows:
        row = dict(row)
        clean = []
        for r in row.get("runs", []):
            if r.get("report"):
                r = dict(r, report_summary=r["report"].get("summary"))
            r = {k: v for k, v in r.items() if k not in ("report", "stdout")}
            r["stderr"] = r.get("stderr", "")[-2000:]
            clean.append(r)
        row["runs"] = clean
        if "profile_run" in row:
            pr = {k: v for k, v in row["profile_run"].items() if k not in ("report", "stdout")}
            pr["stderr"] = pr.get("stderr", "")[-2000:]
            row["profile_run"] = pr
        out.append(row)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lockgraph", help="the lockgraph command")
    ap.add_argument("--lib", help="liblockgraph.so")
    ap.add_argument("--measure", help="the bench's measure helper (tests/bench/measure)")
    ap.add_argument("--programs", help="comma-separated (default: all)")
    ap.add_argument("--reps", type=int, default=5, help="runs per mode (default 5)")
    ap.add_argument("--timeout", type=float, default=300, help="seconds per run")
    ap.add_argument("--out", help="directory for field.md and field.json")
    ap.add_argument("--work", help="inputs made once (default: OUT/work, or a temporary one)")
    ap.add_argument("--keep", action="store_true", help="keep every run's outputs and traces")
    ap.add_argument("--quiet", action="store_true")
    ap.add_argument("--smoke", action="store_true",
                    help="pigz and xz, small, one run per mode, no profile; exit 77 if not installed")
    ap.add_argument("--list-packages", action="store_true",
                    help="print the Debian packages the programs need, and exit")
    args = ap.parse_args()
    names = args.programs.split(",") if args.programs else (
        SMOKE_PROGRAMS if args.smoke else PROGRAMS)
    if args.list_packages:
        pkgs = []
        for n in names:
            for p in load_program(n).PACKAGES:
                if p not in pkgs:
                    pkgs.append(p)
        print(" ".join(pkgs))
        return 0
    for opt in ("lockgraph", "lib", "measure"):
        if not getattr(args, opt):
            ap.error("--%s is required" % opt)
        setattr(args, opt, os.path.abspath(getattr(args, opt)))
    if args.smoke:
        missing = [b for n in names for b in load_program(n).BINARIES if not os.path.exists(b)]
        if missing:
            print("field smoke: skipped, not installed: " + ", ".join(missing))
            return 77
    runner = Runner(args)
    if not args.work:
        args.work = os.path.join(args.out, "work") if args.out else os.path.join(runner.tmp, "work")
    rows = []
    try:
        if not args.smoke:
            print("lockgraph field: %s; %d runs per mode" % (machine_line(), args.reps),
                  file=sys.stderr, flush=True)
        for n in names:
            rows.append(runner.program(n))
    finally:
        if not args.keep:
            subprocess.run(["rm", "-rf", runner.tmp])
    md = markdown(rows, machine_line(), 1 if args.smoke else args.reps)
    if args.smoke:
        for row in rows:
            print("field smoke: %s %s: %s natively, preloaded and under lockgraph run; "
                  "%d findings%s" % (row["program"], row["version"],
                                     "same verified result and exit status" if row["verified"]
                                     else "NOT VERIFIED", len(row.get("findings", [])),
                                     "".join("; " + p for p in row.get("problems", []))))
    else:
        print(md)
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        name = "field-smoke" if args.smoke else "field"
        with open(os.path.join(args.out, name + ".md"), "w") as f:
            f.write(md)
        with open(os.path.join(args.out, name + ".json"), "w") as f:
            json.dump({"machine": machine_line(), "reps": args.reps, "programs": strip_for_json(rows)},
                      f, indent=1, default=list)
        print("written: %s/%s.md, %s.json" % (args.out, name, name), file=sys.stderr)
    bad = [r["program"] for r in rows if "skipped" not in r and not r["verified"]]
    open_findings = [(r["program"], f["signature"]) for r in rows for f in r.get("findings", [])
                     if f["disposition"] == "NOT INVESTIGATED"]
    if bad:
        print("field: not verified: " + ", ".join(bad), file=sys.stderr)
    if open_findings:
        print("field: findings without a disposition: " +
              ", ".join("%s %s" % x for x in open_findings), file=sys.stderr)
    if args.smoke and any(r.get("findings") for r in rows):
        print("field smoke: expected no findings", file=sys.stderr)
        return 1
    return 1 if bad or open_findings else 0


if __name__ == "__main__":
    sys.exit(main())
