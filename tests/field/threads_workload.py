"""A threaded CPython workload for the field test: a producer/consumer queue,
a thread pool, and threads that hand work to each other through condition
variables. CPython's GIL is a pthread mutex and condition variable (taken at
every thread switch and every blocking call); threading.Lock is a semaphore.
Prints results that do not depend on the thread schedule."""
import concurrent.futures
import hashlib
import queue
import sys
import threading

N = 100_000


def pipeline():
    q = queue.Queue(maxsize=256)
    results = queue.Queue()

    def produce():
        for i in range(N):
            q.put(i)
        for _ in range(3):
            q.put(None)

    def consume():
        total = 0
        while True:
            x = q.get()
            if x is None:
                break
            total += (x * x) % 7919
        results.put(total)

    ts = [threading.Thread(target=produce)] + [threading.Thread(target=consume) for _ in range(3)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return sum(results.get() for _ in range(3))


def digest(k):
    h = hashlib.sha256()
    x = k
    for _ in range(N // 100):
        x = (x * 1103515245 + 12345) % 2**31
        h.update(x.to_bytes(4, "little") * 64)  # large updates release the GIL
    return h.hexdigest()[:12]


def ping_pong():
    cond = threading.Condition()
    state = {"turn": 0, "count": 0}

    def player(me):
        for _ in range(N // 50):
            with cond:
                while state["turn"] != me:
                    cond.wait()
                state["count"] += 1
                state["turn"] = 1 - me
                cond.notify()

    ts = [threading.Thread(target=player, args=(k,)) for k in range(2)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return state["count"]


if __name__ == "__main__":
    if len(sys.argv) > 1:
        N = int(sys.argv[1])
    print("pipeline", pipeline())
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        print("digests", " ".join(pool.map(digest, range(16))))
    print("ping-pong", ping_pong())
