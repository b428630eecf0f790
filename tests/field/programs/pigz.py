"""pigz: gzip with a thread per block (its yarn library: pthread mutexes and
condition variables around every job queue)."""
import hashlib
import os
import subprocess

NAME = "pigz"
PACKAGES = ["pigz"]
VERSION_OF = "pigz"
BINARIES = ["/usr/bin/pigz"]
WORKLOAD = "compress text with `-p 2` (128 MiB; smoke 4 MiB); round trip checked"
KNOWN_FINDINGS = {}


def prepare(ctx):
    src = ctx.text_file("text", ctx.size(128, 4))
    from_native = hashlib.sha256(open(src, "rb").read()).hexdigest()
    return {"src": src, "sha": from_native}


def command(ctx, state, outdir):
    return {"argv": ["/usr/bin/pigz", "-p", "2", "-c", state["src"]],
            "stdout": os.path.join(outdir, "out.gz")}


def check(ctx, state, outdir, stdout):
    out = os.path.join(outdir, "out.gz")
    back = subprocess.run(["/usr/bin/pigz", "-d", "-c", out], capture_output=True, check=True).stdout
    ok = hashlib.sha256(back).hexdigest() == state["sha"]
    digest = hashlib.sha256(open(out, "rb").read()).hexdigest()[:16]
    return ok, digest, "round trip %s" % ("matches" if ok else "DIFFERS")
