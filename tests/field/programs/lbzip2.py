"""lbzip2: parallel bzip2 (-n 2; its worker pool synchronizes on pthread
mutexes and condition variables)."""
import hashlib
import os
import subprocess

NAME = "lbzip2"
PACKAGES = ["lbzip2"]
VERSION_OF = "lbzip2"
BINARIES = ["/usr/bin/lbzip2"]
WORKLOAD = "compress text with `-n 2 -9` (32 MiB), then decompress it with `-n 2`; both checked"
KNOWN_FINDINGS = {}


def prepare(ctx):
    src = ctx.text_file("text", ctx.size(32, 4))
    sha = hashlib.sha256(open(src, "rb").read()).hexdigest()
    packed = os.path.join(ctx.work, "text.bz2")
    with open(packed, "wb") as f:
        ctx.sh(["/usr/bin/lbzip2", "-n", "2", "-9", "-c", src], stdout=f)
    return {"src": src, "sha": sha, "packed": packed}


def command(ctx, state, outdir):
    # Both directions in one measured command: lbzip2's decompressor is
    # multi-threaded too, and has the more interesting synchronization.
    return {"argv": ["sh", "-c", '/usr/bin/lbzip2 -n 2 -9 -c "$1" > "$2/out.bz2" && '
                     '/usr/bin/lbzip2 -n 2 -d -c "$3" > "$2/back.txt"',
                     "sh", state["src"], outdir, state["packed"]]}


def check(ctx, state, outdir, stdout):
    out = os.path.join(outdir, "out.bz2")
    back = subprocess.run(["/usr/bin/bzip2", "-d", "-c", out], capture_output=True).stdout \
        if os.path.exists("/usr/bin/bzip2") else \
        subprocess.run(["/usr/bin/lbzip2", "-d", "-c", out], capture_output=True).stdout
    ok1 = hashlib.sha256(back).hexdigest() == state["sha"]
    ok2 = hashlib.sha256(open(os.path.join(outdir, "back.txt"), "rb").read()).hexdigest() == \
        state["sha"]
    digest = hashlib.sha256(open(out, "rb").read()).hexdigest()[:16]
    return ok1 and ok2, digest, "round trip %s, decompression %s" % (
        "matches" if ok1 else "DIFFERS", "matches" if ok2 else "DIFFERS")

