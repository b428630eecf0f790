"""Shared helpers for lockgraph's end-to-end tests (standard library only).

Each test script is run by `meson test` with the paths of the things under
test on its command line (see tests/e2e/meson.build) and the name of one case
to run. A case is a plain function that raises Failure with a message saying
what was expected and what happened; main() turns that into the exit status
meson reads (0 pass, 1 fail).

Nothing here writes into the source tree: every file a test makes lives in a
temporary directory that is removed afterwards (set LGTEST_KEEP=1 to keep it
for a post-mortem; its path is printed).
"""

import argparse
import contextlib
import json
import os
import re
import resource
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import traceback

# How long one command may run. The samples finish in well under a second;
# this only turns a hang into a clear failure before meson's own timeout.
TIMEOUT = 40

# lockgraph's exit status when it found a (non-latent) deadlock.
FOUND = 66

# Variables that would change how the programs under test behave if they
# leaked in from the environment of whoever runs the tests.
SCRUBBED_ENV = ("LD_PRELOAD", "LOCKGRAPH_OPTIONS")


class Failure(Exception):
    """A test expectation did not hold."""


def fail(message):
    raise Failure(message)


def check(condition, message):
    if not condition:
        raise Failure(message)


def check_equal(actual, expected, what):
    if actual != expected:
        raise Failure(f"{what}: expected {expected!r}, got {actual!r}")


# ---------------------------------------------------------------- arguments


def parse_args(cases, argv=None):
    """The command line every e2e script takes; `cases` maps case names to
    functions taking the parsed arguments."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lockgraph", required=True, help="the lockgraph executable")
    parser.add_argument("--lib", required=True, help="liblockgraph.so")
    parser.add_argument("--samples-src", help="the samples/ source directory")
    parser.add_argument(
        "--sample",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "PATH"),
        help="a built sample program (repeatable)",
    )
    parser.add_argument("--exit-with", help="the exit_with test program")
    parser.add_argument("case", choices=sorted(cases), help="which case to run")
    parser.add_argument("params", nargs="*", help="the case's parameters")
    args = parser.parse_args(argv)
    args.samples = {name: os.path.abspath(path) for name, path in args.sample}
    args.lockgraph = os.path.abspath(args.lockgraph)
    args.lib = os.path.abspath(args.lib)
    if args.exit_with:
        args.exit_with = os.path.abspath(args.exit_with)
    return args


def sample_path(args, name):
    if name not in args.samples:
        fail(f"no sample named {name!r} was passed (--sample {name} PATH); "
             f"have: {sorted(args.samples)}")
    return args.samples[name]


def main(cases, argv=None):
    """Runs the case named on the command line; exits 0 if it passed."""
    args = parse_args(cases, argv)
    label = " ".join([args.case] + args.params)
    try:
        cases[args.case](args, *args.params)
    except Failure as e:
        print(f"FAIL: {label}: {e}")
        sys.exit(1)
    except Exception:
        traceback.print_exc()
        print(f"FAIL: {label}: the test itself crashed (see the traceback above)")
        sys.exit(1)
    print(f"PASS: {label}")
    sys.exit(0)


# ---------------------------------------------------------------- processes


class Result:
    """What a finished command did."""

    def __init__(self, cmd, pid, status, stdout, stderr):
        self.cmd = cmd
        self.pid = pid
        self.status = status  # exit status, or -N when killed by signal N
        self.stdout = stdout  # bytes
        self.stderr = stderr  # bytes

    @property
    def out(self):
        return self.stdout.decode("utf-8", "replace")

    @property
    def err(self):
        return self.stderr.decode("utf-8", "replace")

    def describe(self):
        return (
            f"\n  command: {shell_words(self.cmd)}"
            f"\n  exit status: {self.status}"
            f"\n  stdout: {clip(self.out)}"
            f"\n  stderr: {clip(self.err)}"
        )


def clip(text, limit=3000):
    if not text:
        return "(empty)"
    if len(text) > limit:
        text = text[:limit] + f"... ({len(text) - limit} more characters)"
    return "\n    | " + text.rstrip("\n").replace("\n", "\n    | ")


def shell_words(cmd):
    return " ".join(arg if re.fullmatch(r"[\w@%+=:,./-]+", arg) else repr(arg) for arg in cmd)


def clean_env(extra=None):
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV}
    env.update(extra or {})
    return env


def no_core_dumps():
    """For preexec_fn: a program that is meant to abort leaves no core file."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def run(cmd, env=None, cwd=None, timeout=TIMEOUT, core_dumps=True):
    """Runs cmd (a list) to completion and returns its Result; a command that
    outlives `timeout` seconds is killed (with its process group) and fails
    the test. core_dumps=False: the command and its children dump no core
    (for programs expected to abort)."""
    cmd = [str(c) for c in cmd]
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=clean_env() if env is None else env,
        cwd=cwd,
        start_new_session=True,
        preexec_fn=None if core_dumps else no_core_dumps,
    )
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        stdout, stderr = proc.communicate()
        fail(f"still running after {timeout} s (hung?), killed"
             + Result(cmd, proc.pid, "killed", stdout, stderr).describe())
    return Result(cmd, proc.pid, proc.returncode, stdout, stderr)


def wait_until(condition, timeout, interval=0.02):
    """Polls condition() until it is true (returns True) or `timeout`
    seconds have passed (returns False)."""
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


class Background:
    """A command left running in its own process group, for programs that
    hang on purpose: its stdout and stderr go to files in `directory`, so
    they can be read while it runs. Use it in a `with` block, which kills
    whatever is still running at the end."""

    def __init__(self, cmd, directory, env=None, cwd=None):
        self.cmd = [str(c) for c in cmd]
        fd, self.stdout_path = tempfile.mkstemp(prefix="stdout-", dir=directory)
        os.close(fd)
        fd, self.stderr_path = tempfile.mkstemp(prefix="stderr-", dir=directory)
        os.close(fd)
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(
                self.cmd,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                env=clean_env() if env is None else env,
                cwd=cwd,
                start_new_session=True,
            )
        self.pid = self.proc.pid

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()

    def stdout(self):
        with open(self.stdout_path, "rb") as f:
            return f.read()

    def stderr(self):
        with open(self.stderr_path, "rb") as f:
            return f.read()

    def alive(self):
        return self.proc.poll() is None

    def result(self):
        """What it did so far (status "still running" while it runs)."""
        status = self.proc.poll()
        return Result(self.cmd, self.pid, "still running" if status is None else status,
                      self.stdout(), self.stderr())

    def kill(self):
        """Kills it with its process group (if still running) and returns its Result."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)
        self.proc.wait()
        return self.result()


def check_status(result, expected, why=""):
    if result.status != expected:
        fail(f"expected exit status {expected}{' (' + why + ')' if why else ''}, "
             f"got {result.status}" + result.describe())


def preload_env(args, out_dir):
    """The environment for running a program under plain LD_PRELOAD."""
    return clean_env({"LD_PRELOAD": args.lib, "LOCKGRAPH_OPTIONS": f"out={out_dir}"})


@contextlib.contextmanager
def temp_dir(prefix="lgtest-"):
    path = tempfile.mkdtemp(prefix=prefix)
    try:
        yield path
    finally:
        if os.environ.get("LGTEST_KEEP"):
            print(f"kept temporary directory {path}")
        else:
            shutil.rmtree(path, ignore_errors=True)


def trace_files(directory):
    return sorted(
        os.path.join(directory, name) for name in os.listdir(directory) if name.endswith(".lgt")
    )


# ---------------------------------------------------------------- files


def load_json(path):
    """Parses a JSON report file, failing with its beginning when it is not JSON."""
    if not os.path.exists(path):
        fail(f"no report was written to {path}")
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        fail(f"{path} is not valid JSON ({e}); it starts with:{clip(text, 1000)}")


def read_text(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


MARKER = re.compile(r"/\*\s*lg:([A-Za-z0-9_.-]+)\s*\*/")


def marker_lines(source):
    """Maps each `/* lg:NAME */` marker in the source file to its 1-based line."""
    lines = {}
    with open(source, encoding="utf-8") as f:
        for number, text in enumerate(f, 1):
            for name in MARKER.findall(text):
                if name in lines:
                    fail(f"{source}: marker lg:{name} on lines {lines[name]} and {number}")
                lines[name] = number
    return lines


def marker_line(source, name):
    lines = marker_lines(source)
    if name not in lines:
        fail(f"{source}: no /* lg:{name} */ marker (have: {sorted(lines)})")
    return lines[name]


# ---------------------------------------------------------------- reports


def check_report_shape(report, path="report"):
    """The top level every JSON report has."""
    check(isinstance(report, dict), f"{path}: the top level is not an object: {report!r:.200}")
    check_equal(report.get("version"), 1, f"{path}: version")
    check(isinstance(report.get("findings"), list),
          f"{path}: 'findings' is not a list: {report.get('findings')!r:.200}")


def lockgraph_json(args, command, options, operands, cwd, env=None, timeout=TIMEOUT):
    """Runs `lockgraph COMMAND OPTIONS --format json --output F [--] OPERANDS`
    (the `--` for `run` only) and returns its Result and the parsed report
    (None when no report was written). F is a new file in cwd."""
    fd, out = tempfile.mkstemp(prefix="report-", suffix=".json", dir=cwd)
    os.close(fd)
    os.unlink(out)
    cmd = [args.lockgraph, command] + list(options) + ["--format", "json", "--output", out]
    cmd += (["--"] if command == "run" else []) + list(operands)
    result = run(cmd, env=env, cwd=cwd, timeout=timeout)
    return result, (load_json(out) if os.path.exists(out) else None)


def findings_summary(report):
    """One line per finding, for failure messages."""
    lines = []
    for f in report.get("findings", []):
        names = {lock.get("id"): lock.get("name") for lock in f.get("locks", [])}
        cycle = " -> ".join(str(names.get(e.get("from"), e.get("from"))) for e in f.get("edges", []))
        lines.append(f"{f.get('kind')} latent={f.get('latent')} [{cycle}]")
    return "\n    | " + "\n    | ".join(lines) if lines else " (none)"


def frame_text(frame):
    if not isinstance(frame, dict):
        return repr(frame)
    file = os.path.basename(frame.get("file") or "?")
    return f"{frame.get('function')} {file}:{frame.get('line')} ({frame.get('pc')})"


def stack_text(stack):
    if not stack:
        return " (empty)"
    return "".join(f"\n      #{i} {frame_text(frame)}" for i, frame in enumerate(stack))


def check_frame(stack, function, file, line, what, module=None):
    """Checks that the innermost frame of `stack` is function at file:line
    (file compared by basename) and, if given, lies in module."""
    check(isinstance(stack, list) and stack, f"{what}: the stack is empty or missing: {stack!r}")
    top = stack[0]
    got = (top.get("function"), os.path.basename(top.get("file") or ""), top.get("line"))
    want = (function, file, line)
    check(got == want,
          f"{what}: expected the innermost frame to be {function} {file}:{line}, "
          f"got this stack:{stack_text(stack)}")
    if module is not None:
        got_module = top.get("module")
        check(got_module is not None and same_file(got_module, module),
              f"{what}: expected the innermost frame in {module}, got module {got_module!r}")
        # Reports are read elsewhere than where they were built: a source
        # path must name the file itself, not be relative to a build dir.
        path = top.get("file")
        check(os.path.isabs(path) and os.path.isfile(path),
              f"{what}: the source file {path!r} is not an absolute path to an existing file")


def same_file(a, b):
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


# ---------------------------------------------------------------- outputs


def check_same_output(result, native, what, stderr=True):
    """result's stdout (and stderr, unless stderr=False) are exactly the
    native run's, byte for byte."""
    check(result.stdout == native.stdout,
          f"{what}: stdout differs from the native run"
          + f"\n  native stdout:{clip(native.out)}" + result.describe())
    if stderr:
        check(result.stderr == native.stderr,
              f"{what}: stderr differs from the native run"
              + f"\n  native stderr:{clip(native.err)}" + result.describe())


def check_not_signaled(result, what):
    """The command ended by itself, not by a signal (a crash)."""
    check(isinstance(result.status, int) and result.status >= 0,
          f"{what}: killed by signal {-result.status if isinstance(result.status, int) else '?'}"
          + result.describe())


def added_lines(result, native):
    """The lines of result's stderr that the native run's does not have
    (stderr must still contain the native lines, in order)."""
    lines = result.err.splitlines()
    extra = []
    for want in native.err.splitlines():
        while lines and lines[0] != want:
            extra.append(lines.pop(0))
        check(lines, f"stderr lacks the program's own line {want!r}" + result.describe())
        lines.pop(0)
    return extra + lines


# ---------------------------------------------------------------- trace files
# Just enough of docs/trace-format.md to tell which process wrote a trace
# and whether it ended normally.

TRACE_PROCESS = 1
TRACE_END = 8


def trace_records(path):
    """(type, payload) of every complete record of a trace file, in order."""
    with open(path, "rb") as f:
        data = f.read()
    off = 0
    while off + 8 <= len(data):
        rtype, _, length = struct.unpack_from("<HHI", data, off)
        if off + 8 + length > len(data):
            break
        yield rtype, data[off + 8:off + 8 + length]
        off += 8 + length


def trace_process(path):
    """The PROCESS record of a trace: a dict with pid, ppid, exe, run
    (the run id) and cmdline."""
    for rtype, payload in trace_records(path):
        check(rtype == TRACE_PROCESS, f"{path}: the first record is of type {rtype}, not PROCESS")
        fixed = "<8sHHIIIQQ"
        magic, _, _, pid, ppid, _, _, _ = struct.unpack_from(fixed, payload)
        check(magic == b"LOCKGRPH", f"{path}: bad magic {magic!r}")
        off = struct.calcsize(fixed)
        strings = []
        for _ in range(4):
            (n,) = struct.unpack_from("<H", payload, off)
            strings.append(payload[off + 2:off + 2 + n].decode("utf-8", "replace"))
            off += 2 + n
        exe, _host, run_id, cmdline = strings
        return {"pid": pid, "ppid": ppid, "exe": exe, "run": run_id, "cmdline": cmdline,
                "path": path}
    fail(f"{path}: no complete record")


def trace_ended(path):
    """Whether the trace has an END record (the process exited normally)."""
    return any(rtype == TRACE_END for rtype, _ in trace_records(path))


def trace_processes(directory):
    """The PROCESS record of every trace in directory, by pid."""
    processes = {}
    for path in trace_files(directory):
        process = trace_process(path)
        check(process["pid"] not in processes,
              f"two traces of pid {process['pid']}: {processes.get(process['pid'], {}).get('path')}"
              f" and {path}")
        processes[process["pid"]] = process
    return processes


def skip(message):
    """Ends the test as skipped (meson's exit status 77), saying why."""
    print(f"SKIP: {message}")
    sys.exit(77)
