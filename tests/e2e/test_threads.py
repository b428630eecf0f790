#!/usr/bin/env python3
"""lockgraph leaves threads alone however the program makes them: the
smallest stacks pthreads allows, signal handlers on small alternate stacks,
thousands of short-lived threads (whose per-thread state lockgraph must give
back). The probe's output and exit status are the same as natively, and the
report is clean.

Usage (meson passes the paths): test_threads.py --lockgraph EXE --lib SO CASE PROBE

Cases:
  small-stack PROBE   a PTHREAD_STACK_MIN thread using most of its stack
  altstack PROBE      locks in a handler on a small, guarded alternate stack
  churn PROBE         5,000 threads in turn: same output, and peak memory
                      within 16 MiB of the native run's
"""

import os
import subprocess
import sys

sys.dont_write_bytecode = True  # never write __pycache__ into the source tree

import lgtest  # noqa: E402
from lgtest import check, fail  # noqa: E402

CHURN_THREADS = 5000
CHURN_EXTRA_KIB = 16 * 1024


def run_with_peak(cmd, env):
    """Runs cmd; its Result and peak RSS in KiB (from wait4)."""
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)
    stdout, stderr = proc.stdout.read(), proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return lgtest.Result(cmd, proc.pid, proc.returncode, stdout, stderr), usage.ru_maxrss


def compare(args, probe, params):
    """Runs the probe natively and under the preload; same output, a clean
    report. Returns both peak RSS figures."""
    cmd = [probe] + params
    native, native_kib = run_with_peak(cmd, lgtest.clean_env())
    lgtest.check_status(native, 0, "the probe natively")
    with lgtest.temp_dir() as traces:
        under, under_kib = run_with_peak(cmd, lgtest.preload_env(args, traces))
        lgtest.check_status(under, 0, "the probe under lockgraph, as natively")
        check(under.stdout == native.stdout and under.stderr == native.stderr,
              "the output differs from the native run"
              + f"\n  native stdout:{lgtest.clip(native.out)}" + under.describe())
        check(len(lgtest.trace_files(traces)) == 1, f"expected one trace in {traces}")
        report = lgtest.run([args.lockgraph, "report", traces])
        lgtest.check_status(report, 0, "one lock order only: nothing to report")
    return native_kib, under_kib


def small_stack(args, probe):
    compare(args, probe, ["small-stack"])


def altstack(args, probe):
    compare(args, probe, ["altstack"])


def churn(args, probe):
    native_kib, under_kib = compare(args, probe, ["churn", str(CHURN_THREADS)])
    if under_kib > native_kib + CHURN_EXTRA_KIB:
        fail(f"{CHURN_THREADS} short-lived threads took {under_kib} KiB at peak under "
             f"lockgraph, {native_kib} KiB natively: per-thread state is not given back")


if __name__ == "__main__":
    lgtest.main({"small-stack": small_stack, "altstack": altstack, "churn": churn})
