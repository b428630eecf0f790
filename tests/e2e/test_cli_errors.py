#!/usr/bin/env python3
"""lockgraph's command line fails clearly: bad usage and unusable input exit
2 with a one-line error naming what was wrong; a program that cannot be run
exits 127 (not found) or 126 (not executable), as a shell would.

Usage (meson passes the paths): test_cli_errors.py --lockgraph EXE --lib SO
    --exit-with PROG --sample bank_transfer PATH CASE

Cases:
  no-args            `lockgraph`: 2 and a usage line
  unknown-option     an unknown option, top level, for run and for report: 2, named
  unknown-command    `lockgraph frobnicate`: 2, named
  run-no-program     `lockgraph run` and `lockgraph run --`: 2
  not-found          `lockgraph run -- /nonexistent/prog`: 127, named
  not-executable     `lockgraph run -- FILE` of a mode 0644 file: 126, named
  report-missing     `lockgraph report /nonexistent`: 2, named
  report-garbage     a .lgt file that is not a trace: 2, named
  report-empty       an empty .lgt file: 2, named
  report-truncated   a real trace with its last bytes cut: still reported, with a warning
  bad-format         `--format xml` for run and for report: 2
  exitcode           `lockgraph run --exitcode N` on a finding: N; a non-number: 2
  out-separator      `lockgraph run --out` a directory whose path has ':' or ','
                     (LOCKGRAPH_OPTIONS separators), given or resolved: 2, named
"""

import os
import re
import shutil
import stat
import sys

sys.dont_write_bytecode = True  # never write __pycache__ into the source tree

import lgtest  # noqa: E402
from lgtest import FOUND, check  # noqa: E402

USAGE = 2


def probe(args):
    check(args.exit_with, "--exit-with is required")
    return [args.exit_with, "0"]


def expect_error(result, status, names=(), why=""):
    """The command failed with `status`, saying so on stderr and naming each
    of `names` there."""
    lgtest.check_status(result, status, why)
    err = result.err
    check(err.strip(), "expected an error message on stderr" + result.describe())
    for name in names:
        check(name in err, f"expected stderr to name {name!r}" + result.describe())


def check_not_run(result):
    check(b"hello from exit_with" not in result.stdout,
          "the program ran although the command line was bad" + result.describe())


def case_no_args(args):
    with lgtest.temp_dir() as tmp:
        result = lgtest.run([args.lockgraph], cwd=tmp)
        expect_error(result, USAGE, why="no arguments")
        check(re.search(r"usage", result.err, re.IGNORECASE),
              "expected a usage line on stderr" + result.describe())


def case_unknown_option(args):
    with lgtest.temp_dir() as tmp:
        result = lgtest.run([args.lockgraph, "--no-such-option"], cwd=tmp)
        expect_error(result, USAGE, ["--no-such-option"], "unknown option")

        result = lgtest.run([args.lockgraph, "run", "--no-such-option", "--"] + probe(args),
                            cwd=tmp)
        expect_error(result, USAGE, ["--no-such-option"], "unknown option to run")
        check_not_run(result)

        result = lgtest.run([args.lockgraph, "report", "--no-such-option", tmp], cwd=tmp)
        expect_error(result, USAGE, ["--no-such-option"], "unknown option to report")


def case_unknown_command(args):
    with lgtest.temp_dir() as tmp:
        result = lgtest.run([args.lockgraph, "frobnicate"], cwd=tmp)
        expect_error(result, USAGE, ["frobnicate"], "unknown command")


def case_run_no_program(args):
    with lgtest.temp_dir() as tmp:
        for cmd in (["run"], ["run", "--"]):
            result = lgtest.run([args.lockgraph] + cmd, cwd=tmp)
            expect_error(result, USAGE, why="run without a program")


def case_not_found(args):
    with lgtest.temp_dir() as tmp:
        missing = "/nonexistent/prog"
        result = lgtest.run([args.lockgraph, "run", "--", missing], cwd=tmp)
        expect_error(result, 127, [missing], "program not found")

        # A bare name is looked up in PATH, and not found there either.
        name = "lockgraph-test-no-such-program"
        result = lgtest.run([args.lockgraph, "run", "--", name], cwd=tmp)
        expect_error(result, 127, [name], "program not found in PATH")


def case_not_executable(args):
    with lgtest.temp_dir() as tmp:
        path = os.path.join(tmp, "not-executable.sh")
        with open(path, "w") as f:
            f.write("#!/bin/sh\necho should not run\n")
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR | stat.S_IRGRP | stat.S_IROTH)
        result = lgtest.run([args.lockgraph, "run", "--", path], cwd=tmp)
        expect_error(result, 126, ["not-executable.sh"], "program not executable")
        check(b"should not run" not in result.stdout, "the file ran" + result.describe())


def case_report_missing(args):
    with lgtest.temp_dir() as tmp:
        missing = "/nonexistent/traces"
        result = lgtest.run([args.lockgraph, "report", missing], cwd=tmp)
        expect_error(result, USAGE, [missing], "missing path")


def case_report_garbage(args):
    with lgtest.temp_dir() as tmp:
        path = os.path.join(tmp, "bad.lgt")
        with open(path, "wb") as f:
            f.write(b"this is not a lockgraph trace\n" + bytes(range(256)) * 4)
        result = lgtest.run([args.lockgraph, "report", path], cwd=tmp)
        expect_error(result, USAGE, ["bad.lgt"], "malformed trace")
        # Inside a directory, the same.
        result = lgtest.run([args.lockgraph, "report", tmp], cwd=tmp)
        expect_error(result, USAGE, ["bad.lgt"], "malformed trace in a directory")


def case_report_empty(args):
    with lgtest.temp_dir() as tmp:
        path = os.path.join(tmp, "empty.lgt")
        open(path, "wb").close()
        result = lgtest.run([args.lockgraph, "report", path], cwd=tmp)
        expect_error(result, USAGE, ["empty.lgt"], "empty trace")


def bank_transfer_trace(args, directory):
    """Runs bank_transfer under plain LD_PRELOAD; returns its one trace file."""
    exe = lgtest.sample_path(args, "bank_transfer")
    result = lgtest.run([exe], env=lgtest.preload_env(args, directory), cwd=directory)
    check(result.status in (0, FOUND), "bank_transfer under LD_PRELOAD failed" + result.describe())
    files = lgtest.trace_files(directory)
    check(len(files) == 1, f"expected one .lgt file in {directory}, got {os.listdir(directory)}")
    return files[0]


def case_report_truncated(args):
    with lgtest.temp_dir() as tmp:
        traces = os.path.join(tmp, "traces")
        os.mkdir(traces)
        trace = bank_transfer_trace(args, traces)
        cut = os.path.join(tmp, "copy.lgt")
        shutil.copyfile(trace, cut)
        size = os.path.getsize(cut)
        check(size > 16, f"{trace} is only {size} bytes")
        with open(cut, "r+b") as f:
            f.truncate(size - 3)  # the tail of the last record (the process end)

        result = lgtest.run([args.lockgraph, "report", cut], cwd=tmp)
        # The cut is in the last record, after every lock-order edge: the
        # finding is still there, and the cut is mentioned.
        lgtest.check_status(result, FOUND, "the finding is still in the cut trace")
        check("accounts[0].lock" in result.out and "accounts[1].lock" in result.out,
              "the report of the cut trace lacks the finding" + result.describe())
        check("copy.lgt" in result.err, "stderr does not name the cut file" + result.describe())
        said = result.err.replace(cut, "").replace("copy.lgt", "").replace(tmp, "")  # not its name
        check(re.search(r"cut|truncat|short|incomplete|partial", said, re.IGNORECASE),
              "stderr does not say the file was cut short" + result.describe())


def case_bad_format(args):
    with lgtest.temp_dir() as tmp:
        result = lgtest.run([args.lockgraph, "run", "--format", "xml", "--"] + probe(args),
                            cwd=tmp)
        expect_error(result, USAGE, ["xml"], "unknown format for run")
        check_not_run(result)

        traces = os.path.join(tmp, "traces")
        os.mkdir(traces)
        lgtest.run(probe(args), env=lgtest.preload_env(args, traces), cwd=tmp)
        result = lgtest.run([args.lockgraph, "report", "--format", "xml", traces], cwd=tmp)
        expect_error(result, USAGE, ["xml"], "unknown format for report")


def case_missing_value(args):
    with lgtest.temp_dir() as tmp:
        result = lgtest.run([args.lockgraph, "run", "--out"], cwd=tmp)
        expect_error(result, USAGE, ["--out", "needs a value"], "run --out without a value")
        result = lgtest.run([args.lockgraph, "report", "--format"], cwd=tmp)
        expect_error(result, USAGE, ["--format", "needs a value"], "report --format without a value")


def case_exitcode(args):
    exe = lgtest.sample_path(args, "bank_transfer")
    with lgtest.temp_dir() as tmp:
        out = os.path.join(tmp, "report.txt")
        result = lgtest.run([args.lockgraph, "run", "--exitcode", "3", "--output", out, "--", exe],
                            cwd=tmp)
        lgtest.check_status(result, 3, "--exitcode 3 with a finding")

        result = lgtest.run([args.lockgraph, "run", "--exitcode", "abc", "--"] + probe(args),
                            cwd=tmp)
        expect_error(result, USAGE, ["abc"], "--exitcode takes a number")
        check_not_run(result)


def case_out_separator(args):
    with lgtest.temp_dir() as tmp:
        for name in ("a:b", "a,b"):
            result = lgtest.run([args.lockgraph, "run", "--out", name, "--"] + probe(args),
                                cwd=tmp)
            expect_error(result, USAGE, [f"trace directory '{name}' must not contain ':' or ','"],
                         f"--out {name}")
            check_not_run(result)
            check(not os.path.exists(os.path.join(tmp, name)), f"--out {name} was created")
        # A plain name inside a directory whose path has one.
        parent = os.path.join(tmp, "a,b")
        os.mkdir(parent)
        result = lgtest.run([args.lockgraph, "run", "--out", "traces", "--"] + probe(args),
                            cwd=parent)
        expect_error(result, USAGE, [f"trace directory '{os.path.realpath(parent)}/traces' "
                                     "must not contain"], "--out traces under a,b")
        check_not_run(result)


CASES = {
    "no-args": case_no_args,
    "unknown-option": case_unknown_option,
    "unknown-command": case_unknown_command,
    "run-no-program": case_run_no_program,
    "not-found": case_not_found,
    "not-executable": case_not_executable,
    "report-missing": case_report_missing,
    "report-garbage": case_report_garbage,
    "report-empty": case_report_empty,
    "report-truncated": case_report_truncated,
    "bad-format": case_bad_format,
    "missing-value": case_missing_value,
    "exitcode": case_exitcode,
    "out-separator": case_out_separator,
}

if __name__ == "__main__":
    lgtest.main(CASES)
