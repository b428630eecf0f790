#!/usr/bin/env python3
"""The lock profile: `lockgraph run --profile` (or LOCKGRAPH_OPTIONS=profile=1)
names the lock and the call site that make a program wait, with counts that
match the program's known numbers of lock calls and times that add up.

Usage (meson passes the paths): test_profile.py --lockgraph EXE --lib SO
    --sample hot_lock PATH --samples-src DIR CASE

Cases:
  hot        hot_lock: cache_lock from refresh_entry() is the top row; exact
             acquisition counts; waits and holds consistent with the run
  fixed      hot_lock --fixed: four bucket locks, 400 acquisitions each,
             never waited for; cache_lock is not in the profile
  text       the "Contended locks" table in the text report, and in HTML
  off        without --profile the report has no profile (JSON "profile": null)
  env        LOCKGRAPH_OPTIONS=profile=1 with plain LD_PRELOAD, then
             `lockgraph report --sort acquisitions --top 1`
  bad-sort   --sort and --top with bad values: exit 2 before the program runs
"""

import os
import sys
import time

sys.dont_write_bytecode = True  # never write __pycache__ into the source tree

import lgtest  # noqa: E402
from lgtest import check, check_equal, fail  # noqa: E402

WORKERS, ROUNDS = 4, 400  # hot_lock.c


def source(args):
    return os.path.join(args.samples_src, "hot_lock.c")


def profiled(args, extra_args=(), options=("--profile",)):
    """Runs hot_lock under `lockgraph run --profile`; the report and the
    run's wall time."""
    prog = lgtest.sample_path(args, "hot_lock")
    with lgtest.temp_dir() as cwd:
        start = time.monotonic()
        result, report = lgtest.lockgraph_json(args, "run", options, [prog] + list(extra_args),
                                               cwd)
        wall = time.monotonic() - start
    lgtest.check_status(result, 0, "hot_lock has no lock-order problem")
    check(b"cache: 1600 refreshes" in result.stdout, "hot_lock's output changed" + result.describe())
    check(report is not None, "no report was written" + result.describe())
    lgtest.check_report_shape(report)
    check_equal(report["findings"], [], "findings")
    return report, wall


def lock_row(profile, name):
    rows = [r for r in profile["locks"] if r["lock"] == name]
    check(len(rows) == 1, f"expected one profile row for {name}, got: "
          f"{[r['lock'] for r in profile['locks']]}")
    return rows[0]


def check_counts_consistent(profile, wall, threads):
    for row in profile["locks"]:
        what = f"profile row {row['lock']}"
        check(row["contended"] <= row["acquisitions"], f"{what}: more waits than acquisitions")
        check(row["wait_max_ns"] <= row["wait_ns"], f"{what}: longest wait above the total")
        check(row["hold_max_ns"] <= row["hold_ns"], f"{what}: longest hold above the total")
        check(row["contended"] > 0 or row["wait_ns"] == 0, f"{what}: waited without waits")
        for key in ("acquisitions", "contended", "wait_ns", "hold_ns"):
            check_equal(sum(s[key] for s in row["sites"]), row[key], f"{what}: sites' {key}")
    total_wait = sum(r["wait_ns"] for r in profile["locks"])
    check_equal(sum(t["wait_ns"] for t in profile["threads"]), total_wait,
                "the threads' waits add up to the locks' waits")
    check(total_wait <= wall * 1e9 * threads,
          f"{total_wait} ns of waiting in {wall:.3f} s of {threads} threads: impossible")
    check(sum(r["hold_ns"] for r in profile["locks"]) <= wall * 1e9 * threads,
          "more holding than the run had time for")


def hot(args):
    report, wall = profiled(args)
    profile = report["profile"]
    check(profile is not None, "no profile in the report")
    check_equal(profile["sort"], "wait", "default order")
    top = profile["locks"][0]
    check_equal(top["lock"], "cache_lock", "the lock that makes hot_lock wait")
    check_equal(top["acquisitions"], WORKERS * ROUNDS, "cache_lock acquisitions")
    check(top["contended"] >= 1 and top["wait_ns"] > 0,
          f"four workers on one lock never waited? {top}")
    check_equal(len(top["sites"]), 1, "cache_lock is taken at one call site")
    site = top["sites"][0]
    check_equal(site["function"], "refresh_entry", "the call site's function")
    check_equal(site["line"], lgtest.marker_line(source(args), "refresh"), "the call site's line")
    check(lgtest.same_file(site["file"], source(args)), f"call site file {site['file']}")
    stats = lock_row(profile, "stats_lock")
    check_equal(stats["acquisitions"], WORKERS, "stats_lock acquisitions")
    check_equal(stats["sites"][0]["function"], "report_done", "stats_lock's call site")
    workers = [t for t in profile["threads"] if (t["name"] or "").startswith("refresher-")]
    check_equal(len(workers), WORKERS, f"worker threads in the profile: {profile['threads']}")
    for t in workers:
        check_equal(t["acquisitions"], ROUNDS + 1, f"{t['name']}'s acquisitions")
    check_counts_consistent(profile, wall, WORKERS + 1)


def fixed(args):
    report, wall = profiled(args, ["--fixed"])
    profile = report["profile"]
    names = sorted(r["lock"] for r in profile["locks"])
    check_equal(names, [f"bucket_locks[{i}]" for i in range(WORKERS)] + ["stats_lock"],
                "locks in the fixed profile")
    for i in range(WORKERS):
        row = lock_row(profile, f"bucket_locks[{i}]")
        check_equal(row["acquisitions"], ROUNDS, f"bucket_locks[{i}] acquisitions")
        check_equal(row["contended"], 0, f"bucket_locks[{i}]: one worker each, nobody waits")
        check_equal(row["wait_ns"], 0, f"bucket_locks[{i}] wait")
    # Only stats_lock, taken once by each worker at the end, may still wait.
    check_equal(sum(t["wait_ns"] for t in profile["threads"]),
                lock_row(profile, "stats_lock")["wait_ns"], "threads' waiting")
    check_counts_consistent(profile, wall, WORKERS + 1)


def text(args):
    prog = lgtest.sample_path(args, "hot_lock")
    line = lgtest.marker_line(source(args), "refresh")
    with lgtest.temp_dir() as cwd:
        result = lgtest.run([args.lockgraph, "run", "--profile", "--", prog], cwd=cwd)
        lgtest.check_status(result, 0, "no lock-order problem")
        err = result.err
        check("Contended locks (lock profile: 2 locks, by wait):" in err,
              "no profile table in the text report" + result.describe())
        rows = [ln.split() for ln in err.splitlines() if ln.strip().startswith(("1 ", "2 "))]
        check(len(rows) == 2 and rows[0][1] == "cache_lock" and rows[0][2] == "1600",
              f"first row is not cache_lock with 1600 acquisitions: {rows}" + result.describe())
        check(f"taken at refresh_entry (hot_lock.c:{line}): 1600 times" in err,
              "refresh_entry is not named as the call site" + result.describe())
        check("Threads waiting longest: 'refresher-" in err,
              "the waiting threads are not named" + result.describe())
        page = os.path.join(cwd, "profile.html")
        result = lgtest.run([args.lockgraph, "run", "--profile", "--format", "html", "--output",
                             page, "--", prog], cwd=cwd)
        lgtest.check_status(result, 0, "no lock-order problem")
        html = lgtest.read_text(page)
        check('<h2 id="profile">Contended locks</h2>' in html and "<code>cache_lock</code>" in html,
              "the HTML page has no profile table naming cache_lock")


def off(args):
    report, _ = profiled(args, options=())
    check("profile" in report and report["profile"] is None,
          f"without --profile the report has a profile: {report.get('profile')!r:.200}")
    prog = lgtest.sample_path(args, "hot_lock")
    with lgtest.temp_dir() as cwd:
        result = lgtest.run([args.lockgraph, "run", "--", prog], cwd=cwd)
    lgtest.check_status(result, 0, "no lock-order problem")
    check("Contended locks" not in result.err, "a profile table without --profile")


def env(args):
    prog = lgtest.sample_path(args, "hot_lock")
    with lgtest.temp_dir() as traces:
        environment = lgtest.clean_env({"LD_PRELOAD": args.lib,
                                        "LOCKGRAPH_OPTIONS": f"out={traces}:profile=1"})
        result = lgtest.run([prog], env=environment)
        lgtest.check_status(result, 0, "hot_lock")
        result, report = lgtest.lockgraph_json(args, "report", ["--sort", "acquisitions"],
                                               [traces], traces)
        lgtest.check_status(result, 0, "nothing to report")
        check_equal(report["profile"]["sort"], "acquisitions", "sort key")
        check_equal([r["lock"] for r in report["profile"]["locks"]], ["cache_lock", "stats_lock"],
                    "locks by acquisitions")
        result = lgtest.run([args.lockgraph, "report", "--top", "1", traces])
        lgtest.check_status(result, 0, "nothing to report")
        rows = [ln for ln in result.out.splitlines() if ln.strip().startswith(("1 ", "2 "))]
        check(len(rows) == 1 and "cache_lock" in rows[0],
              f"--top 1 should show one row, cache_lock: {rows}" + result.describe())


def bad_sort(args):
    prog = lgtest.sample_path(args, "hot_lock")
    for option, value, message in (
            ("--sort", "slowest", "unknown sort key 'slowest'"),
            ("--top", "0", "--top '0' is not a number"),
            ("--top", "many", "--top 'many' is not a number")):
        result = lgtest.run([args.lockgraph, "run", "--profile", option, value, "--", prog])
        lgtest.check_status(result, 2, f"{option} {value}")
        check(message in result.err, f"expected {message!r}" + result.describe())
        check(b"cache:" not in result.stdout, "the program ran despite the bad option")


if __name__ == "__main__":
    lgtest.main({"hot": hot, "fixed": fixed, "text": text, "off": off, "env": env,
                 "bad-sort": bad_sort})
