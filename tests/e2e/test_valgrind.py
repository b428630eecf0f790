#!/usr/bin/env python3
"""liblockgraph.so is clean under valgrind memcheck: a sample runs with the
preload inside memcheck with no memory error (valgrind.supp holds the one
known libunwind false positive, explained there), prints what it prints
natively, and its trace still gives the sample's verdict.

Usage (meson passes the paths): test_valgrind.py --lockgraph EXE --lib SO
    --sample NAME PATH ... CASE SAMPLE FINDINGS
"""

import os
import shutil
import sys

sys.dont_write_bytecode = True  # never write __pycache__ into the source tree

import lgtest  # noqa: E402
from lgtest import check, check_equal  # noqa: E402

SUPPRESSIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "valgrind.supp")
MEMCHECK_ERROR = 99


def case_memcheck(args, name, findings):
    valgrind = shutil.which("valgrind")
    check(valgrind, "valgrind is not installed (make test installs it)")
    exe = lgtest.sample_path(args, name)
    native = lgtest.run([exe])
    lgtest.check_status(native, 0, "the sample run natively")
    with lgtest.temp_dir() as tmp:
        traces = os.path.join(tmp, "traces")
        cmd = [valgrind, "--tool=memcheck", "--quiet", f"--error-exitcode={MEMCHECK_ERROR}",
               f"--suppressions={SUPPRESSIONS}", exe]
        result = lgtest.run(cmd, env=lgtest.preload_env(args, traces), cwd=tmp, timeout=240)
        check(result.status != MEMCHECK_ERROR,
              "memcheck found errors with liblockgraph.so preloaded" + result.describe())
        lgtest.check_status(result, 0, "the sample's own status")
        check_equal(result.stdout, native.stdout, "stdout under memcheck")
        out = os.path.join(tmp, "report.json")
        report = lgtest.run([args.lockgraph, "report", "--format", "json", "--output", out,
                             traces], cwd=tmp)
        lgtest.check_status(report, 66 if int(findings) else 0, "the report's verdict")
        check_equal(len(lgtest.load_json(out)["findings"]), int(findings), "findings")


if __name__ == "__main__":
    lgtest.main({"memcheck": case_memcheck})
