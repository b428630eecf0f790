"""git: a clone (index-pack resolves deltas in threads) and a full repack
(pack-objects searches deltas in threads), both with 2 threads; pthread
mutexes around their shared work and caches."""
import hashlib
import os
import random
import shutil
import subprocess

NAME = "git"
PACKAGES = ["git"]
VERSION_OF = "git"
BINARIES = ["/usr/bin/git"]
WORKLOAD = ("`clone --no-local` of a made-up repository (1,500 commits, 300 files), "
            "then `repack -adf`, threads=2; object set and fsck checked")
KNOWN_FINDINGS = {}


def fast_import_stream(commits, files, seed=5):
    """A deterministic history: each commit edits a few files by a few lines."""
    r = random.Random(seed)
    words = ["alpha", "beta", "gamma", "delta", "lock", "mutex", "thread", "queue", "cache",
             "order", "graph", "cycle", "wait", "hold", "page", "block"]
    content = {}
    for k in range(files):
        content["src/dir%d/file%d.txt" % (k % 17, k)] = [
            " ".join(r.choice(words) for _ in range(10)) for _ in range(r.randint(50, 400))]
    out = []
    names = sorted(content)
    for c in range(commits):
        touched = names if c == 0 else r.sample(names, r.randint(1, 6))
        for n in touched:
            lines = content[n]
            if c:
                for _ in range(r.randint(1, 5)):
                    i = r.randrange(len(lines))
                    lines[i] = " ".join(r.choice(words) for _ in range(10))
                lines.append("commit %d" % c)
        msg = ("change %d\n" % c).encode()
        out.append(b"commit refs/heads/main\nmark :%d\n" % (c + 1))
        out.append(b"committer Field <field@example.org> %d +0000\n" % (1_600_000_000 + c * 60))
        out.append(b"data %d\n%s\n" % (len(msg), msg))
        if c:
            out.append(b"from :%d\n" % c)
        for n in touched:
            data = ("\n".join(content[n]) + "\n").encode()
            out.append(b"M 100644 inline %s\ndata %d\n%s\n" % (n.encode(), len(data), data))
    return b"".join(out)


def git(args, **kw):
    return subprocess.run(["/usr/bin/git"] + args, check=True, capture_output=True, **kw)


def prepare(ctx):
    src = os.path.join(ctx.work, "src.git")
    commits, files = ctx.size(1500, 60), ctx.size(300, 30)
    if not os.path.exists(os.path.join(src, "done")):
        shutil.rmtree(src, ignore_errors=True)
        git(["init", "-q", "--bare", "-b", "main", src])
        git(["-C", src, "fast-import", "--quiet"], input=fast_import_stream(commits, files))
        git(["-C", src, "repack", "-adq"])
        open(os.path.join(src, "done"), "w").close()
    objects = git(["-C", src, "rev-list", "--objects", "--all"]).stdout
    return {"src": src, "objects": hashlib.sha256(b"".join(sorted(objects.splitlines()))).hexdigest()}


def command(ctx, state, outdir):
    dst = os.path.join(outdir, "clone.git")
    return {"argv": ["sh", "-c", 'git -c pack.threads=2 clone -q --no-local --bare "$1" "$2" && '
                     'git -C "$2" -c pack.threads=2 repack -adfq --window=20',
                     "sh", state["src"], dst]}


def check(ctx, state, outdir, stdout):
    dst = os.path.join(outdir, "clone.git")
    objects = git(["-C", dst, "rev-list", "--objects", "--all"]).stdout
    got = hashlib.sha256(b"".join(sorted(objects.splitlines()))).hexdigest()
    fsck = subprocess.run(["/usr/bin/git", "-C", dst, "fsck", "--strict", "--no-progress"],
                          capture_output=True)
    ok = got == state["objects"] and fsck.returncode == 0
    return ok, got[:16], "objects %s, fsck %s" % ("match" if got == state["objects"] else "DIFFER",
                                                  "clean" if fsck.returncode == 0 else "FAILED")


def cleanup(ctx, state, outdir):
    shutil.rmtree(os.path.join(outdir, "clone.git"), ignore_errors=True)
