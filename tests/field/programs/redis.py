"""redis-server with 2 I/O threads (--io-threads 2, reads too), its
background (bio) threads, and jemalloc, whose arenas, bins and caches are
pthread mutexes. Driven on 127.0.0.1 by 8 client threads speaking RESP
(written here), pipelined; stopped with SIGTERM."""
import hashlib
import os
import socket
import threading

NAME = "redis"
# The server binary is in redis-tools (as redis-check-rdb, a server when it is
# called redis-server); the redis-server package would also start a daemon.
PACKAGES = ["redis-tools"]
VERSION_OF = "redis-tools"
BINARIES = ["/usr/bin/redis-check-rdb"]
SERVER = True
WORKLOAD = ("`--io-threads 2`, 8 client connections × 400 pipelined batches of "
            "SET/GET/INCR/RPUSH/LRANGE/DEL; every reply checked; SIGTERM")
KNOWN_FINDINGS = {}


def prepare(ctx):
    exe = os.path.join(ctx.work, "redis-server")
    if not os.path.islink(exe):
        os.symlink("/usr/bin/redis-check-rdb", exe)
    return {"batches": ctx.size(400, 20), "exe": exe}


def command(ctx, state, outdir, port):
    return {"argv": [state["exe"], "--port", str(port), "--bind", "127.0.0.1",
                     "--save", "", "--appendonly", "no", "--io-threads", "2",
                     "--io-threads-do-reads", "yes", "--dir", outdir, "--daemonize", "no",
                     "--loglevel", "warning", "--protected-mode", "no"]}


def encode(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def read_reply(f):
    line = f.readline()
    t, rest = line[:1], line[1:-2]
    if t in (b"+", b":"):
        return rest if t == b"+" else int(rest)
    if t == b"$":
        n = int(rest)
        return None if n < 0 else f.read(n + 2)[:-2]
    if t == b"*":
        return [read_reply(f) for _ in range(int(rest))]
    raise AssertionError("unexpected reply %r" % line)


def client(port, k, batches, out, errors):
    try:
        s = socket.create_connection(("127.0.0.1", port))
        f = s.makefile("rb")
        h = hashlib.sha256()
        for b in range(batches):
            cmds, expect = [], []
            for j in range(10):
                i = b * 10 + j
                key = b"k%d:%d" % (k, i % 300)
                val = (b"v%d.%d." % (k, i)) * (1 + i % 60)
                cmds += [encode("SET", key, val), encode("GET", key),
                         encode("INCR", b"c%d" % k), encode("RPUSH", b"l%d:%d" % (k, b), val[:40])]
                expect += [b"OK", val, i + 1, j + 1]
            cmds += [encode("LRANGE", b"l%d:%d" % (k, b), 0, -1), encode("DEL", b"l%d:%d" % (k, b))]
            s.sendall(b"".join(cmds))
            for e in expect:
                got = read_reply(f)
                if got != e:
                    raise AssertionError("batch %d: expected %r, got %r" % (b, e, got))
            items = read_reply(f)
            if len(items) != 10:
                raise AssertionError("LRANGE: %d items" % len(items))
            if read_reply(f) != 1:
                raise AssertionError("DEL")
            h.update(b"".join(items))
        s.close()
        out[k] = h.hexdigest()
    except Exception as e:  # reported by drive()
        errors.append("client %d: %s" % (k, e))


def drive(ctx, state, port):
    out, errors = {}, []
    ts = [threading.Thread(target=client, args=(port, k, state["batches"], out, errors))
          for k in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if errors:
        raise AssertionError("; ".join(errors))
    return hashlib.sha256("".join(out[k] for k in sorted(out)).encode()).hexdigest()[:16]
