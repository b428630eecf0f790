#!/usr/bin/env python3
"""lockgraph leaves a clean program alone: its stdout, stderr and exit status
are exactly what they are without lockgraph, and lockgraph adds nothing.

Usage (meson passes the paths): test_passthrough.py --lockgraph EXE --lib SO
    --exit-with PROG CASE [STATUS]

Cases:
  run [STATUS]       `lockgraph run -- exit_with STATUS`
  run-json [STATUS]  the same with --format json, to a file and to stderr
  run-out [STATUS]   `lockgraph run --out DIR`: the trace lands in DIR
  preload [STATUS]   plain LD_PRELOAD + LOCKGRAPH_OPTIONS=out=DIR, then `lockgraph report DIR`
  path-lookup        `lockgraph run -- sh -c 'exit 5'`: PROGRAM is looked up in PATH, args kept
"""

import json
import os
import sys

sys.dont_write_bytecode = True  # never write __pycache__ into the source tree

import lgtest  # noqa: E402
from lgtest import check, check_equal, fail  # noqa: E402


def probe(args, status):
    check(args.exit_with, "--exit-with is required")
    return [args.exit_with, str(status)]


def native_run(cmd, status):
    result = lgtest.run(cmd)
    lgtest.check_status(result, int(status), "the probe run natively")
    check(b"hello from exit_with" in result.stdout, "the probe did not greet" + result.describe())
    return result


def check_same_output(result, native, what):
    check(result.stdout == native.stdout,
          f"{what}: stdout differs from the native run"
          + f"\n  native stdout:{lgtest.clip(native.out)}" + result.describe())
    check(result.stderr == native.stderr,
          f"{what}: stderr differs from the native run"
          + f"\n  native stderr:{lgtest.clip(native.err)}" + result.describe())


def check_empty_json(report, where):
    lgtest.check_report_shape(report, where)
    check(report["findings"] == [],
          f"{where}: expected no findings, got:{lgtest.findings_summary(report)}")


def check_clean_report(args, traces, cwd):
    """`lockgraph report` on a clean run's traces: exit 0, nothing printed."""
    result = lgtest.run([args.lockgraph, "report", traces], cwd=cwd)
    lgtest.check_status(result, 0, "nothing was found")
    check(result.stdout == b"", "a clean report prints nothing on stdout" + result.describe())

    result = lgtest.run([args.lockgraph, "report", "--format", "json", traces], cwd=cwd)
    lgtest.check_status(result, 0, "nothing was found")
    try:
        report = json.loads(result.out)
    except json.JSONDecodeError as e:
        fail(f"`lockgraph report --format json` did not print JSON ({e})" + result.describe())
    check_empty_json(report, "lockgraph report --format json")


def case_run(args, status="3"):
    cmd = probe(args, status)
    native = native_run(cmd, status)
    with lgtest.temp_dir() as tmp:
        result = lgtest.run([args.lockgraph, "run", "--"] + cmd, cwd=tmp)
        lgtest.check_status(result, int(status), "the program's own status")
        check_same_output(result, native, "lockgraph run")


def case_run_json(args, status="3"):
    cmd = probe(args, status)
    native = native_run(cmd, status)
    with lgtest.temp_dir() as tmp:
        out = os.path.join(tmp, "report.json")
        result = lgtest.run([args.lockgraph, "run", "--format", "json", "--output", out, "--"]
                            + cmd, cwd=tmp)
        lgtest.check_status(result, int(status), "the program's own status")
        check_same_output(result, native, "lockgraph run --format json --output")
        check_empty_json(lgtest.load_json(out), out)

        # Without --output the report follows the program's own stderr;
        # stdout stays the program's alone.
        result = lgtest.run([args.lockgraph, "run", "--format", "json", "--"] + cmd, cwd=tmp)
        lgtest.check_status(result, int(status), "the program's own status")
        check(result.stdout == native.stdout,
              "stdout must be the program's own" + result.describe())
        check(result.stderr.startswith(native.stderr),
              "stderr must start with the program's own" + result.describe())
        rest = result.stderr[len(native.stderr):].decode("utf-8", "replace")
        try:
            report = json.loads(rest)
        except json.JSONDecodeError as e:
            fail(f"after the program's stderr, there is not one JSON report ({e})"
                 + result.describe())
        check_empty_json(report, "lockgraph run --format json (stderr)")


def case_run_out(args, status="3"):
    cmd = probe(args, status)
    native = native_run(cmd, status)
    with lgtest.temp_dir() as tmp:
        traces = os.path.join(tmp, "traces")
        result = lgtest.run([args.lockgraph, "run", "--out", traces, "--"] + cmd, cwd=tmp)
        lgtest.check_status(result, int(status), "the program's own status")
        check_same_output(result, native, "lockgraph run --out")
        check(os.path.isdir(traces), f"lockgraph run --out {traces} did not create it")
        files = lgtest.trace_files(traces)
        check_equal(len(files), 1, f"number of .lgt files in {traces} ({os.listdir(traces)})")
        check_clean_report(args, traces, tmp)


def case_preload(args, status="3"):
    cmd = probe(args, status)
    native = native_run(cmd, status)
    with lgtest.temp_dir() as tmp:
        traces = os.path.join(tmp, "traces")
        os.mkdir(traces)
        result = lgtest.run(cmd, env=lgtest.preload_env(args, traces), cwd=tmp)
        lgtest.check_status(result, int(status), "the program's own status under LD_PRELOAD")
        check_same_output(result, native, "LD_PRELOAD run")
        files = lgtest.trace_files(traces)
        check_equal(len(files), 1, f"number of .lgt files in {traces} ({os.listdir(traces)})")
        check_clean_report(args, traces, tmp)
        # A trace file named directly works as well as its directory.
        check_clean_report(args, files[0], tmp)


def case_path_lookup(args):
    cmd = ["sh", "-c", 'echo "out $0 $1"; echo "err" >&2; exit 5', "zero", "one two"]
    native = lgtest.run(cmd)
    lgtest.check_status(native, 5, "sh run natively")
    with lgtest.temp_dir() as tmp:
        result = lgtest.run([args.lockgraph, "run", "--"] + cmd, cwd=tmp)
        lgtest.check_status(result, 5, "the program's own status")
        check_same_output(result, native, "lockgraph run -- sh -c ...")


CASES = {
    "run": case_run,
    "run-json": case_run_json,
    "run-out": case_run_out,
    "preload": case_preload,
    "path-lookup": case_path_lookup,
}

if __name__ == "__main__":
    lgtest.main(CASES)
