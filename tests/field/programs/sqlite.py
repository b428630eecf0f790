"""libsqlite3 (Debian's, threadsafe=1, serialized): sqlite_threads.c, two
threads sharing one connection and two with their own, on one WAL database.
sqlite's mutexes (connection, memory, pager cache, static ones) are pthread
mutexes."""
import os
import shutil

NAME = "sqlite"
PACKAGES = ["libsqlite3-dev", "gcc"]
VERSION_OF = "libsqlite3-0"
BINARIES = ["/usr/include/sqlite3.h"]
WORKLOAD = ("tests/field/sqlite_threads.c: 4 threads insert and read back 4 × 40,000 rows "
            "(2 share a serialized connection); table summary checked")
KNOWN_FINDINGS = {}
HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def prepare(ctx):
    exe = os.path.join(ctx.work, "sqlite_threads")
    ctx.sh([ctx.cc, "-O2", "-g", "-o", exe, os.path.join(HERE, "sqlite_threads.c"),
            "-lsqlite3", "-lpthread"])
    rows = ctx.size(40000, 2000)
    return {"exe": exe, "rows": rows, "expect": expected(rows)}


def expected(rows):
    """The summary line the program must print, computed here."""
    n = 4 * rows
    chars = 0
    mix = 0
    for k in range(4):
        for i in range(rows):
            id_ = k * rows + i
            val = "row-%d-%d" % (id_ * 7919 % 100003, k)
            chars += len(val)
            mix += ord(val[4]) * id_ % 1000
    return "rows %d ids %d who %d chars %d mix %d" % (n, n * (n - 1) // 2, rows * 6, chars, mix)


def command(ctx, state, outdir):
    return {"argv": [state["exe"], os.path.join(outdir, "t.db"), str(state["rows"])]}


def check(ctx, state, outdir, stdout):
    got = stdout.strip()
    return got == state["expect"], got, "summary %s" % (
        "as computed" if got == state["expect"] else "WRONG: %r" % got)


def cleanup(ctx, state, outdir):
    for suffix in ("", "-wal", "-shm"):
        try:
            os.unlink(os.path.join(outdir, "t.db" + suffix))
        except OSError:
            pass
