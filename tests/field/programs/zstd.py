"""zstd: multi-threaded compression (-T2; its thread pool and job table:
pthread mutexes and condition variables)."""
import hashlib
import os
import subprocess

NAME = "zstd"
PACKAGES = ["zstd"]
VERSION_OF = "zstd"
BINARIES = ["/usr/bin/zstd"]
WORKLOAD = "compress text with `-T2 -9` (48 MiB); round trip checked"
KNOWN_FINDINGS = {}


def prepare(ctx):
    src = ctx.text_file("text", ctx.size(48, 4))
    return {"src": src, "sha": hashlib.sha256(open(src, "rb").read()).hexdigest()}


def command(ctx, state, outdir):
    return {"argv": ["/usr/bin/zstd", "-q", "-T2", "-9", "-c", state["src"]],
            "stdout": os.path.join(outdir, "out.zst")}


def check(ctx, state, outdir, stdout):
    out = os.path.join(outdir, "out.zst")
    back = subprocess.run(["/usr/bin/zstd", "-q", "-d", "-c", out], capture_output=True,
                          check=True).stdout
    ok = hashlib.sha256(back).hexdigest() == state["sha"]
    digest = hashlib.sha256(open(out, "rb").read()).hexdigest()[:16]
    return ok, digest, "round trip %s" % ("matches" if ok else "DIFFERS")
