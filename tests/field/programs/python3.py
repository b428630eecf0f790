"""CPython 3 (Debian's /usr/bin/python3) running tests/field/threads_workload.py:
a queue pipeline, a thread pool and a condition-variable ping-pong. The GIL
is a pthread mutex and condition variable."""
import hashlib
import importlib.util
import os

NAME = "python3"
PACKAGES = ["python3"]
VERSION_OF = "python3.11"
BINARIES = ["/usr/bin/python3"]
WORKLOAD = ("tests/field/threads_workload.py 600000: queue pipeline (4 threads), pool of 4, "
            "condition ping-pong; results recomputed")
KNOWN_FINDINGS = {}
SCRIPT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                      "threads_workload.py")


def expected(n):
    spec = importlib.util.spec_from_file_location("threads_workload", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.N = n
    return "pipeline %d\ndigests %s\nping-pong %d" % (
        sum((x * x) % 7919 for x in range(n)), " ".join(mod.digest(k) for k in range(16)),
        2 * (n // 50))


def prepare(ctx):
    n = ctx.size(600_000, 20_000)
    return {"n": n, "expect": expected(n)}


def command(ctx, state, outdir):
    return {"argv": [ctx.python, SCRIPT, str(state["n"])]}


def check(ctx, state, outdir, stdout):
    got = stdout.strip()
    ok = got == state["expect"]
    return ok, hashlib.sha256(got.encode()).hexdigest()[:16], "output %s" % (
        "as computed" if ok else "WRONG: %r" % got[:200])
