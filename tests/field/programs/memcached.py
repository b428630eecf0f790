"""memcached: a server with 2 worker threads (-t 2) and its LRU maintainer,
crawler and hash-expansion threads; pthread mutexes for items, slabs, stats
and connection queues. Driven on 127.0.0.1 by 4 client threads (the text
protocol, written here), stopped with SIGTERM."""
import hashlib
import socket
import threading

NAME = "memcached"
PACKAGES = ["memcached"]
VERSION_OF = "memcached"
BINARIES = ["/usr/bin/memcached"]
SERVER = True
WORKLOAD = ("`-t 2`, 4 client connections × 15,000 set+get (values 10 B–1 KiB, deletes, "
            "incr); every reply checked; SIGTERM")
KNOWN_FINDINGS = {}


def prepare(ctx):
    return {"ops": ctx.size(15000, 500)}


def command(ctx, state, outdir, port):
    return {"argv": ["/usr/bin/memcached", "-u", "root", "-l", "127.0.0.1", "-p", str(port),
                     "-U", "0", "-t", "2", "-m", "64"]}


def client(port, k, ops, out, errors):
    try:
        s = socket.create_connection(("127.0.0.1", port))
        f = s.makefile("rb")
        h = hashlib.sha256()

        def expect(line):
            got = f.readline()
            if got != line:
                raise AssertionError("expected %r, got %r" % (line, got))

        for i in range(ops):
            key = b"k%d_%d" % (k, i % 700)
            val = (b"v%d.%d." % (k, i)) * (1 + i % 90)
            s.sendall(b"set %s %d 0 %d\r\n%s\r\n" % (key, i % 7, len(val), val))
            expect(b"STORED\r\n")
            s.sendall(b"get %s\r\n" % key)
            line = f.readline()
            parts = line.split()
            if parts[:3] != [b"VALUE", key, b"%d" % (i % 7)]:
                raise AssertionError("get %r: %r" % (key, line))
            got = f.read(int(parts[3]) + 2)[:-2]
            if got != val:
                raise AssertionError("get %r: wrong value" % key)
            expect(b"END\r\n")
            if i % 50 == 0:
                s.sendall(b"delete %s\r\n" % key)
                expect(b"DELETED\r\n")
            if i % 10 == 0:
                ck = b"c%d" % k
                s.sendall(b"incr %s 1\r\n" % ck if i else b"set %s 0 0 1\r\n0\r\n" % ck)
                got = f.readline()
                if i:
                    if got != b"%d\r\n" % (i // 10):
                        raise AssertionError("incr: %r" % got)
                h.update(got)
            h.update(val)
        s.sendall(b"quit\r\n")
        s.close()
        out[k] = h.hexdigest()
    except Exception as e:  # reported by drive()
        errors.append("client %d: %s" % (k, e))


def drive(ctx, state, port):
    out, errors = {}, []
    ts = [threading.Thread(target=client, args=(port, k, state["ops"], out, errors))
          for k in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if errors:
        raise AssertionError("; ".join(errors))
    return hashlib.sha256("".join(out[k] for k in sorted(out)).encode()).hexdigest()[:16]
