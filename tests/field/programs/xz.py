"""xz: multi-threaded compression (-T2; liblzma's stream coder: a pthread
mutex and condition variable per worker and one for the coder)."""
import hashlib
import os
import subprocess

NAME = "xz"
PACKAGES = ["xz-utils"]
VERSION_OF = "xz-utils"
BINARIES = ["/usr/bin/xz"]
WORKLOAD = "compress text with `-T2 -3 --block-size=1MiB` (16 MiB; smoke 4 MiB); round trip checked"
KNOWN_FINDINGS = {}


def prepare(ctx):
    src = ctx.text_file("text", ctx.size(16, 4))
    return {"src": src, "sha": hashlib.sha256(open(src, "rb").read()).hexdigest()}


def command(ctx, state, outdir):
    # Blocks of 1 MiB, so that even the smoke size has several for two threads.
    return {"argv": ["/usr/bin/xz", "-T2", "-3", "--block-size=1MiB", "-c", state["src"]],
            "stdout": os.path.join(outdir, "out.xz")}


def check(ctx, state, outdir, stdout):
    out = os.path.join(outdir, "out.xz")
    back = subprocess.run(["/usr/bin/xz", "-d", "-c", out], capture_output=True, check=True).stdout
    ok = hashlib.sha256(back).hexdigest() == state["sha"]
    digest = hashlib.sha256(open(out, "rb").read()).hexdigest()[:16]
    return ok, digest, "round trip %s" % ("matches" if ok else "DIFFERS")
