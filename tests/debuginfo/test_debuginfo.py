#!/usr/bin/env python3
"""lockgraph symbolizes by build-id when the binaries that made the traces
are stripped, rebuilt or gone: --debug-dir trees, a real debuginfod server,
traces from several machines.

Usage (meson passes the paths): test_debuginfo.py --lockgraph EXE --lib SO
    --source bank_transfer.c --cc CC [--cc ARG ...] --objcopy OBJCOPY
    --strip STRIP CASE

Cases:
  split-debug    the program stripped after its run, its debug file kept in a
                 .build-id tree: with --debug-dir the JSON findings equal the
                 unstripped ones (and so with a .gnu_debuglink beside it);
                 without, the module is named in the notes and its frames show
                 as module+offset
  rebuilt        the program rebuilt at the same path after its run: the note
                 names both build-ids, no frame or lock gets a name from the
                 new file; with the old debug file in --debug-dir, full symbols
  debuginfod     the program and its debug file gone from the machine, a real
                 debuginfod server on 127.0.0.1 has them: --debuginfod gives
                 full symbols; without it, the server is not asked
  many-machines  the program built and run on two "machines" (other paths,
                 other load addresses), one of them stripped with a debug
                 tree: one finding, two occurrences, the one-machine signature

Each case builds its own copy of samples/bank_transfer.c (a known potential
deadlock between accounts[0].lock and accounts[1].lock, taken in transfer())
in a temporary directory, which is removed afterwards (LGTEST_KEEP=1 keeps
it). Nothing outside the machine is contacted: DEBUGINFOD_URLS is removed
from every command's environment except the debuginfod case's reports,
where it names the local server. Exit status 0 pass, 1 fail, 77 skipped
(debuginfod not installed).
"""

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request

sys.dont_write_bytecode = True

FOUND = 66  # lockgraph's status for a potential deadlock
SKIP = 77  # meson's "skipped"
TIMEOUT = 60  # per command; turns a hang into a clear failure

# What bank_transfer's report says, whichever file the symbols came from.
LOCK_NAMES = ["accounts[0].lock", "accounts[1].lock"]


class Failure(Exception):
    pass


class Skipped(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


# ---------------------------------------------------------------- environment


def clean_env(**extra):
    """The environment of every command: no preload, no lockgraph options,
    and no debuginfod servers unless a case names one."""
    env = dict(os.environ)
    for key in ("LD_PRELOAD", "LOCKGRAPH_OPTIONS", "DEBUGINFOD_URLS", "DEBUGINFOD_PROGRESS",
                "DEBUGINFOD_VERBOSE"):
        env.pop(key, None)
    env.update(extra)
    return env


def run(cmd, env=None, cwd=None):
    p = subprocess.run(cmd, env=env if env is not None else clean_env(), cwd=cwd,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=TIMEOUT)
    return p


def must(cmd, **kw):
    p = run(cmd, **kw)
    check(p.returncode == 0,
          f"{' '.join(map(str, cmd))} exited with {p.returncode}:\n{p.stdout}{p.stderr}")
    return p


@contextlib.contextmanager
def workdir():
    d = tempfile.mkdtemp(prefix="lg-debuginfo-")
    try:
        yield d
    finally:
        if os.environ.get("LGTEST_KEEP"):
            print(f"kept {d}")
        else:
            shutil.rmtree(d, ignore_errors=True)


# ---------------------------------------------------------------- ELF


def build_id(path):
    """The GNU build-id of an ELF file, as lower-case hex (None if none)."""
    with open(path, "rb") as f:
        data = f.read()
    check(data[:4] == b"\x7fELF", f"{path} is not an ELF file")
    e = "<" if data[5] == 1 else ">"
    if data[4] == 2:  # ELF64
        shoff, = struct.unpack_from(e + "Q", data, 0x28)
        shentsize, shnum = struct.unpack_from(e + "HH", data, 0x3A)
        section = lambda off: struct.unpack_from(e + "I", data, off + 4) + \
            struct.unpack_from(e + "QQ", data, off + 0x18)
    else:
        shoff, = struct.unpack_from(e + "I", data, 0x20)
        shentsize, shnum = struct.unpack_from(e + "HH", data, 0x2E)
        section = lambda off: struct.unpack_from(e + "III", data, off + 4)[:1] + \
            struct.unpack_from(e + "II", data, off + 0x10)
    for i in range(shnum):
        sh_type, offset, size = section(shoff + i * shentsize)
        if sh_type != 7:  # SHT_NOTE
            continue
        pos = offset
        while pos + 12 <= offset + size:
            namesz, descsz, ntype = struct.unpack_from(e + "III", data, pos)
            name = data[pos + 12:pos + 12 + namesz]
            desc_at = pos + 12 + (namesz + 3) // 4 * 4
            if ntype == 3 and name == b"GNU\0":  # NT_GNU_BUILD_ID
                return data[desc_at:desc_at + descsz].hex()
            pos = desc_at + (descsz + 3) // 4 * 4
    return None


# ---------------------------------------------------------------- the program


class Tools:
    def __init__(self, args):
        self.args = args

    def build(self, out, source=None, extra=()):
        """Builds bank_transfer (or `source`) into `out` with debug info
        and a build-id."""
        os.makedirs(os.path.dirname(out), exist_ok=True)
        cmd = list(self.args.cc) + ["-g", "-O1", "-pthread", "-Wl,--build-id=sha1", "-o", out,
                                    *extra, source or self.args.source]
        must(cmd)
        check(build_id(out), f"{out} has no build-id")
        return out

    def trace(self, binary, out):
        """Runs binary under the preload; its traces go to `out`."""
        env = clean_env(LD_PRELOAD=self.args.lib, LOCKGRAPH_OPTIONS=f"out={out}")
        must([binary], env=env)
        traces = [f for f in os.listdir(out) if f.endswith(".lgt")]
        check(len(traces) == 1, f"expected one trace in {out}, got {traces}")
        return out

    def keep_debug(self, binary, tree):
        """Copies binary's debug info to TREE/.build-id/xx/yyyy.debug (the
        gdb and elfutils layout); returns that file."""
        bid = build_id(binary)
        debug = os.path.join(tree, ".build-id", bid[:2], bid[2:] + ".debug")
        os.makedirs(os.path.dirname(debug), exist_ok=True)
        must([self.args.objcopy, "--only-keep-debug", binary, debug])
        check(build_id(debug) == bid, f"{debug} lost the build-id")
        return debug

    def strip(self, binary, how="--strip-all"):
        bid = build_id(binary)
        must([self.args.strip, how, binary])
        check(build_id(binary) == bid, "strip changed the build-id")
        p = run(["readelf", "-S", binary]) if shutil.which("readelf") else None
        check(p is None or ".debug_info" not in p.stdout, f"{binary} still has DWARF")

    def report(self, traces, *options, env=None, expect=FOUND, fmt="json"):
        """lockgraph report: the parsed JSON (or the text) and stderr."""
        cmd = [self.args.lockgraph, "report", "--format", fmt, *options, *traces]
        p = run(cmd, env=env if env is not None else clean_env(
            DEBUGINFOD_CACHE_PATH=os.path.join(os.path.dirname(traces[0]), "cache")))
        check(p.returncode == expect,
              f"{' '.join(cmd)}: status {p.returncode}, expected {expect}\n{p.stderr}")
        if fmt != "json":
            return p.stdout, p.stderr
        try:
            return json.loads(p.stdout), p.stderr
        except ValueError as e:
            raise Failure(f"{' '.join(cmd)}: not JSON ({e}):\n{p.stdout[:2000]}")


def marker_lines(source):
    """Line numbers of the `/* lg:NAME */` markers in the sample."""
    lines = {}
    with open(source) as f:
        for no, text in enumerate(f, 1):
            for name in re.findall(r"/\* lg:([\w-]+) \*/", text):
                lines[name] = no
    return lines


def frames_of(finding):
    for edge in finding["edges"]:
        for key in ("acquire_stack", "held_stack"):
            yield from edge.get(key, [])
    for lock in finding["locks"]:
        yield from lock.get("first_taken", [])
    for thread in finding["threads"]:
        yield from thread.get("created_at", [])


def check_symbolized(doc, source, binaries, what):
    """The bank_transfer finding, fully symbolized: lock names from DWARF,
    transfer() at the marked lines, every frame in the program named."""
    check(len(doc["findings"]) == 1,
          f"{what}: expected one finding, got {len(doc['findings'])}")
    fi = doc["findings"][0]
    check(sorted(l["name"] or "(none)" for l in fi["locks"]) == LOCK_NAMES,
          f"{what}: lock names {[l['name'] for l in fi['locks']]}, expected {LOCK_NAMES}")
    marks = marker_lines(source)
    for edge in fi["edges"]:
        top = edge["acquire_stack"][0]
        check(top["function"] == "transfer" and top["line"] == marks["take-to"] and
              os.path.basename(top["file"] or "") == os.path.basename(source),
              f"{what}: the edge was taken at {top}, expected transfer at "
              f"{os.path.basename(source)}:{marks['take-to']}")
        held = edge["held_stack"][0]
        check(held["function"] == "transfer" and held["line"] == marks["take-from"],
              f"{what}: the held lock was taken at {held}, expected transfer at line "
              f"{marks['take-from']}")
    for fr in frames_of(fi):
        if fr["module"] in binaries:
            # (_start is assembly: named, but no line)
            check(fr["function"] and (fr["function"] == "_start" or fr["line"]),
                  f"{what}: a frame in the program without symbols: {fr}")
    return fi


def check_unsymbolized(doc, binary, what):
    """No frame of the program names a function, file or line, and no lock
    is named: nothing comes from a file that is not the one that ran."""
    seen = 0
    for fi in doc["findings"]:
        for fr in frames_of(fi):
            if fr["module"] != binary:
                continue
            seen += 1
            check(fr["function"] is None and fr["file"] is None and fr["line"] is None,
                  f"{what}: a frame in {binary} got a name it cannot have: {fr}")
            check(fr.get("offset", "").startswith("0x"),
                  f"{what}: a frame in {binary} without its module offset: {fr}")
        check(all(l["name"] is None for l in fi["locks"]),
              f"{what}: locks named without symbols: {[l['name'] for l in fi['locks']]}")
    check(seen > 0, f"{what}: no frame in {binary} at all")


def note_with(doc, *parts):
    notes = doc["summary"]["notes"]
    for n in notes:
        if all(p in n for p in parts):
            return n
    raise Failure(f"no note containing {parts}; notes: {json.dumps(notes, indent=1)}")


def same_findings(a, b, what):
    if a["findings"] != b["findings"]:
        raise Failure(f"{what}: the findings differ from the unstripped report:\n"
                      f"expected {json.dumps(a['findings'])[:3000]}\n"
                      f"got      {json.dumps(b['findings'])[:3000]}")


# ---------------------------------------------------------------- cases


def case_split_debug(t):
    with workdir() as d:
        prog = t.build(os.path.join(d, "bin", "bank_transfer"))
        bid = build_id(prog)
        traces = t.trace(prog, os.path.join(d, "traces"))
        full, _ = t.report([traces])
        check_symbolized(full, t.args.source, {prog}, "unstripped")

        debug_tree = os.path.join(d, "debug")
        t.keep_debug(prog, debug_tree)
        t.strip(prog)

        split, _ = t.report([traces], "--debug-dir", debug_tree)
        check_symbolized(split, t.args.source, {prog}, "stripped, --debug-dir")
        same_findings(full, split, "stripped, --debug-dir")
        check(split["summary"]["notes"] == [],
              f"notes with the debug file found: {split['summary']['notes']}")

        # Without it: named as lacking debug info, frames as module+offset,
        # the deadlock still reported (status 66).
        bare, _ = t.report([traces])
        check_unsymbolized(bare, prog, "stripped, no --debug-dir")
        note_with(bare, "no debug info", f"'{prog}'", bid)
        text, _ = t.report([traces], fmt="text")
        check(re.search(r"\(bank_transfer\+0x[0-9a-f]+\)", text),
              f"the text report shows no module+offset frame:\n{text}")

        # The same debug file beside the program, found by its
        # .gnu_debuglink name (the name is not the build-id's).
        beside = os.path.join(d, "bin", "bank_transfer.dbg")
        shutil.copy(os.path.join(debug_tree, ".build-id", bid[:2], bid[2:] + ".debug"), beside)
        must([t.args.objcopy, f"--add-gnu-debuglink={beside}", prog], cwd=os.path.dirname(prog))
        check(build_id(prog) == bid, "objcopy --add-gnu-debuglink changed the build-id")
        linked, _ = t.report([traces])
        same_findings(full, linked, "stripped, .gnu_debuglink")


def case_rebuilt(t):
    with workdir() as d:
        prog = t.build(os.path.join(d, "bin", "bank_transfer"))
        old = build_id(prog)
        traces = t.trace(prog, os.path.join(d, "traces"))
        full, _ = t.report([traces])
        check_symbolized(full, t.args.source, {prog}, "before the rebuild")
        debug_tree = os.path.join(d, "debug")
        t.keep_debug(prog, debug_tree)

        # Other code first, and other data: a file that symbolized the old
        # addresses with it would name the wrong functions and variables.
        shifted = os.path.join(d, "shifted.c")
        with open(shifted, "w") as f:
            f.write("#define transfer transfer_renamed\n"
                    "static volatile int pad_data[4096] = {1};\n"
                    "int pad_code(int x);\n"
                    "int pad_code(int x) { for (int i = 0; i < 64; i++) x = x * 31 + pad_data[i]; "
                    "return x; }\n"
                    f'#include "{os.path.abspath(t.args.source)}"\n')
        t.build(prog, source=shifted, extra=["-DLG_REBUILT=1"])
        new = build_id(prog)
        check(new != old, "the rebuild kept the build-id")

        doc, _ = t.report([traces])
        check_unsymbolized(doc, prog, "rebuilt")
        note_with(doc, f"'{prog}' was rebuilt since the run (build-id {old}, now {new})",
                  "no symbols")

        found, _ = t.report([traces], "--debug-dir", debug_tree)
        note_with(found, f"'{prog}' was rebuilt since the run (build-id {old}, now {new})",
                  f"symbols from --debug-dir {os.path.realpath(debug_tree)}")
        same_findings(full, found, "rebuilt, old debug file in --debug-dir")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, b""
    except (urllib.error.URLError, OSError):
        return None, b""


@contextlib.contextmanager
def debuginfod_server(d, scan_dir):
    """A debuginfod on 127.0.0.1 serving what it finds in scan_dir; stopped
    on the way out, whatever happened."""
    exe = shutil.which("debuginfod")
    if not exe:
        raise Skipped("debuginfod is not installed (Debian: apt-get install debuginfod, "
                      "or .ci/install-deps test)")
    proc, url, log = None, None, os.path.join(d, "debuginfod.log")
    try:
        for _attempt in range(3):
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            with open(log, "w") as out:
                proc = subprocess.Popen(
                    [exe, "-p", str(port), "-d", os.path.join(d, "debuginfod.sqlite"),
                     "-F", scan_dir],
                    stdout=out, stderr=subprocess.STDOUT, env=clean_env(),
                    start_new_session=True)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and proc.poll() is None:
                if fetch(url + "/metrics")[0] == 200:
                    break
                time.sleep(0.1)
            if proc.poll() is None and fetch(url + "/metrics")[0] == 200:
                break
            stop(proc)  # the port was taken meanwhile: another one
            proc = None
        check(proc is not None, f"debuginfod did not start:\n{open(log).read()}")
        yield url, log
    finally:
        stop(proc)


def stop(proc):
    if proc is None or proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def case_debuginfod(t):
    if not shutil.which("debuginfod"):
        raise Skipped("debuginfod is not installed (Debian: apt-get install debuginfod, "
                      "or .ci/install-deps test)")
    with workdir() as d:
        prog = t.build(os.path.join(d, "bin", "bank_transfer"))
        bid = build_id(prog)
        traces = t.trace(prog, os.path.join(d, "traces"))
        full, _ = t.report([traces])
        check_symbolized(full, t.args.source, {prog}, "before")

        # The server gets the stripped program and its debug file (as a
        # distribution's does); this machine keeps the stripped program,
        # then nothing.
        served = os.path.join(d, "served")
        debug = t.keep_debug(prog, os.path.join(d, "debug"))
        t.strip(prog)
        os.makedirs(served)
        shutil.copy(prog, os.path.join(served, "bank_transfer"))
        shutil.copy(debug, os.path.join(served, "bank_transfer.debug"))
        shutil.rmtree(os.path.join(d, "debug"))

        with debuginfod_server(d, served) as (url, log):
            deadline = time.monotonic() + 60
            while fetch(f"{url}/buildid/{bid}/debuginfo")[0] != 200:
                check(time.monotonic() < deadline,
                      f"debuginfod did not index {served} in 60 s:\n{open(log).read()}")
                time.sleep(0.2)
            check(fetch(f"{url}/buildid/{bid}/executable")[0] == 200,
                  "debuginfod has the debug file but not the program")

            def asked():
                with open(log) as f:
                    return f.read().count(f"/buildid/{bid}/")

            def env(cache):
                return clean_env(DEBUGINFOD_URLS=url,
                                 DEBUGINFOD_CACHE_PATH=os.path.join(d, cache))

            # DEBUGINFOD_URLS alone makes neither lockgraph nor libdw ask
            # (libdw would, for the stripped program's debug info).
            before = asked()
            unasked, _ = t.report([traces], env=env("cache-unasked"))
            check(asked() == before, "lockgraph asked debuginfod without --debuginfod:\n" +
                  open(log).read())
            check_unsymbolized(unasked, prog, "DEBUGINFOD_URLS without --debuginfod")
            note_with(unasked, "no debug info", f"'{prog}'", bid)

            # The stripped program here, its debug info from the server.
            doc, _ = t.report([traces], "--debuginfod", env=env("cache-stripped"))
            check(asked() > before, "lockgraph --debuginfod did not ask the server")
            check_symbolized(doc, t.args.source, {prog}, "stripped, --debuginfod")
            same_findings(full, doc, "stripped, --debuginfod")

            # Nothing here: the program and its debug info from the server.
            shutil.rmtree(os.path.join(d, "bin"))
            doc, _ = t.report([traces], "--debuginfod", env=env("cache"))
            check_symbolized(doc, t.args.source, {prog}, "gone, --debuginfod")
            same_findings(full, doc, "gone, --debuginfod")
            check(os.path.isdir(os.path.join(d, "cache", bid)),
                  "nothing in elfutils' cache ($DEBUGINFOD_CACHE_PATH)")

        # The server is stopped; elfutils' cache answers.
        cached, _ = t.report([traces], "--debuginfod", env=env("cache"))
        same_findings(full, cached, "--debuginfod from the cache")

        # --debuginfod without servers is a usage error.
        p = run([t.args.lockgraph, "report", "--debuginfod", traces])
        check(p.returncode == 2 and "DEBUGINFOD_URLS" in p.stderr and
              len(p.stderr.strip().splitlines()) == 1,
              f"--debuginfod without DEBUGINFOD_URLS: status {p.returncode}, {p.stderr!r}")


def case_many_machines(t):
    with workdir() as d:
        # One machine, for the reference signature.
        ref_prog = t.build(os.path.join(d, "ref", "bank_transfer"))
        ref, _ = t.report([t.trace(ref_prog, os.path.join(d, "ref-traces"))])
        ref_fi = check_symbolized(ref, t.args.source, {ref_prog}, "one machine")

        # Two machines, each building its own checkout in another place.
        progs, traces = [], []
        for m in ("machine-a", "machine-b"):
            src = os.path.join(d, m, "src", "bank_transfer.c")
            os.makedirs(os.path.dirname(src))
            shutil.copy(t.args.source, src)
            progs.append(t.build(os.path.join(d, m, "build", "bank_transfer"), source=src))
            traces.append(t.trace(progs[-1], os.path.join(d, "artifacts", m)))
        check(build_id(progs[0]) != build_id(progs[1]), "both builds have one build-id")
        # machine-b's CI keeps only a stripped program and a debug tree.
        debug_tree = os.path.join(d, "artifacts", "debug")
        t.keep_debug(progs[1], debug_tree)
        t.strip(progs[1], "--strip-debug")

        doc, _ = t.report([os.path.join(d, "artifacts")], "--debug-dir", debug_tree)
        check(len(doc["findings"]) == 1,
              f"expected the two machines' findings merged into one, got "
              f"{[f['signature'] for f in doc['findings']]}")
        fi = check_symbolized(doc, t.args.source, set(progs), "two machines")
        check(fi["occurrences"] == 2 and len(fi["processes"]) == 2,
              f"expected 2 occurrences in 2 processes, got {fi['occurrences']} in "
              f"{fi['processes']}")
        check(sorted(p["exe"] for p in fi["processes"]) == sorted(progs),
              f"the occurrences' programs: {fi['processes']}, expected {progs}")
        check(fi["signature"] == ref_fi["signature"],
              f"signature {fi['signature']} differs from one machine's {ref_fi['signature']}")
        check(doc["summary"]["notes"] == [], f"notes: {doc['summary']['notes']}")

        # machine-b's program without its debug tree is another finding:
        # its frames are module+offset, so its signature cannot match.
        apart, _ = t.report([os.path.join(d, "artifacts", "machine-a"),
                             os.path.join(d, "artifacts", "machine-b")])
        check(len(apart["findings"]) == 2,
              f"without machine-b's debug tree: {len(apart['findings'])} findings, expected 2")


CASES = {
    "split-debug": case_split_debug,
    "rebuilt": case_rebuilt,
    "debuginfod": case_debuginfod,
    "many-machines": case_many_machines,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lockgraph", required=True)
    parser.add_argument("--lib", required=True)
    parser.add_argument("--source", required=True, help="samples/bank_transfer.c")
    parser.add_argument("--cc", action="append", required=True,
                        help="the C compiler command, one word per --cc")
    parser.add_argument("--objcopy", required=True)
    parser.add_argument("--strip", required=True)
    parser.add_argument("case", choices=sorted(CASES))
    args = parser.parse_args()
    for key in ("lockgraph", "lib", "source"):
        setattr(args, key, os.path.abspath(getattr(args, key)))
    try:
        CASES[args.case](Tools(args))
    except Skipped as e:
        print(f"SKIP: {args.case}: {e}")
        sys.exit(SKIP)
    except Failure as e:
        print(f"FAIL: {args.case}: {e}")
        sys.exit(1)
    except Exception:
        traceback.print_exc()
        print(f"FAIL: {args.case}: the test itself crashed (see the traceback above)")
        sys.exit(1)
    print(f"PASS: {args.case}")
    sys.exit(0)


if __name__ == "__main__":
    main()
