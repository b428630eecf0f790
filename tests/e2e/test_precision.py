#!/usr/bin/env python3
"""lockgraph end to end on what counts (DESIGN.md §3): for each rule, a
sample whose pattern must be reported and a look-alike that must not.

Usage (meson passes the paths): test_precision.py --lockgraph EXE --lib SO
    --samples-src DIR --sample NAME PATH ... CASE [SAMPLE [VARIANT]]

Cases:
  json SAMPLE [VARIANT]  `lockgraph run --format json --output F` on SAMPLE
                         (with --VARIANT): exit status, the exact findings,
                         their kind, latent flag and reason, locks (names,
                         kinds), edges (threads, modes, how they were taken,
                         where), and the program's own output
  text SAMPLE [VARIANT]  `lockgraph run` (text): a latent finding is labelled
                         with its reason, and does not change the status
  fail-on-run            `lockgraph run --fail-on potential|latent|actual|none`
  fail-on-report         the same for `lockgraph report`
  fail-on-env            LOCKGRAPH_OPTIONS=fail_on=... for run and report
  fail-on-unknown        `--fail-on sometimes`: bad usage (2), the value named

VARIANT is the sample's flag without its dashes ("fixed", "writer", ...);
the expectations for each are in VARIANTS below, as the samples' header
comments state them.
"""

import collections
import os
import sys

sys.dont_write_bytecode = True  # never write __pycache__ into the source tree

import lgtest  # noqa: E402
import test_samples  # noqa: E402  (shared checks: processes, text reports)
from lgtest import FOUND, check, check_equal, check_frame, fail  # noqa: E402
from test_samples import CLEAN, LATENT, POTENTIAL, Site  # noqa: E402

USAGE = 2

# The two labels of a latent finding ("latent_reason").
ONE_THREAD = "seen in one thread only"
NEVER_OVERLAPPED = "threads never overlapped"

EXCLUSIVE, READ, WRITE = "exclusive", "read", "write"

# A lock of the cycle: its name in the report (None for a heap lock), kind,
# and, where given, where it was first taken and where it was created
# (pthread_mutex_init); both are checked only when the report has them.
Lock = collections.namedtuple("Lock", "name kind first_taken created_at",
                              defaults=(None, None))

# An expected edge: `thread` took `acquired` (at acquired_at) while holding
# `held` (taken at held_at); held and acquired are keys of Variant.locks.
# Modes: "exclusive" (mutex, spinlock, mtx), "read" or "write" (rwlock).
Edge = collections.namedtuple(
    "Edge", "held acquired thread acquired_at held_at from_mode to_mode acquired_with",
    defaults=(EXCLUSIVE, EXCLUSIVE, "lock"))

# One sample run with one flag. stdout: what it prints (the header's
# Output). created_at: where every thread of the cycle was created.
Variant = collections.namedtuple(
    "Variant", "source verdict stdout locks edges created_at latent_reason",
    defaults=({}, [], None, None))


def clean(source, stdout):
    return Variant(source=source, verdict=CLEAN, stdout=stdout)


def mutexes(*names, first_taken=None):
    first_taken = first_taken or {}
    return {name: Lock(name, "mutex", first_taken.get(name)) for name in names}


GATE_OUT = b"warehouse: 70, shop: 30\n"
LRU_OUT = b"cache: 1024 items, 8 LRU lists, 8192 links\n"
LRU_LOCKS = {
    "stats_lock": Lock("stats_lock", "mutex", Site("count_last", "count-stats")),
    # In a calloc'd array: no variable name.
    "item": Lock(None, "mutex", Site("link_item", "link-item"),
                 created_at=Site("cache_init", "item-init")),
}
# Concurrently, the maintainer's trylock may be the first to take the item.
LRU_LOCKS_CONCURRENT = dict(LRU_LOCKS, item=Lock(None, "mutex", None,
                                                 created_at=Site("cache_init", "item-init")))
LRU_EDGES = [
    Edge("item", "stats_lock", "worker",
         Site("count_last", "count-stats"), Site("count_last", "count-item")),
    Edge("stats_lock", "item", "maintainer",
         Site("sample_last", "sample-item"), Site("sample_last", "sample-stats")),
]
TRYLOCK_OUT = (b"report 1: 1 queued, 1 enqueued\n"
               b"report 2: 2 queued, 2 enqueued\n"
               b"report 3: 3 queued, 3 enqueued\n"
               b"reporter back-offs: %d\n")
RWLOCK_OUT = (b"search 1: key 3 -> 30\n"
              b"scan 1: 8 documents, 8 indexed\n"
              b"search 2: key 5 -> 50\n"
              b"scan 2: 8 documents, 8 indexed\n")
RECURSIVE_OUT = (b"worker-1: registered alpha (1 items)\n"
                 b"worker-1: config_lock re-lock refused: EDEADLK\n"
                 b"worker-2: registered beta (2 items)\n"
                 b"worker-2: config_lock re-lock refused: EDEADLK\n"
                 b"auditor: 2 items, config version 2, 2 updates\n")
C11_OUT = b"day 1: 2 entries, balance 150\nday 2: 4 entries, balance 300\n"
CLOCKLOCK_OUT = (b"round 1: 1 pages cached, 1 written back\n"
                 b"round 2: 2 pages cached, 2 written back\n")
MANY_HELD_OUT = (b"main held 1000 locks at once\n"
                 b"climber held 200 locks at once\n"
                 b"shortcut moved levels 150 and 20\n")
MILLION_OUT = b"touched 1000000 rows\nrow 123456: 990, row 654321: 1010\n"
SEQUENTIAL_OUT = b"importer: 3 items, total price 600\nrepricer: 3 items, total price 660\n"
FLIP_OUT = b"inbox: 1, outbox: 1\n"
SPIN_OUT = b"round 1: 2 queued\nround 2: 4 queued\nround 3: 6 queued\n"


def sequential(verdict, reason=None):
    return Variant(
        source="sequential_threads.c",
        verdict=verdict,
        latent_reason=reason,
        stdout=SEQUENTIAL_OUT,
        locks=mutexes("catalog_lock", "prices_lock", first_taken={
            "catalog_lock": Site("import_items", "import-catalog"),
            "prices_lock": Site("import_items", "import-prices"),
        }),
        edges=[
            Edge("catalog_lock", "prices_lock", "importer",
                 Site("import_items", "import-prices"), Site("import_items", "import-catalog")),
            Edge("prices_lock", "catalog_lock", "repricer",
                 Site("reprice", "reprice-catalog"), Site("reprice", "reprice-prices")),
        ],
        created_at=Site("start", "create"),
    )


# (sample, variant) -> expectations; variant "" is the sample run without flags.
VARIANTS = {
    # Gate locks: a cycle whose edges were all taken under one common lock.
    ("gate_lock", ""): Variant(
        source="gate_lock.c",
        verdict=POTENTIAL,
        stdout=GATE_OUT,
        locks=mutexes("warehouse_lock", "shop_lock", first_taken={
            "warehouse_lock": Site("restock", "restock-warehouse"),
            "shop_lock": Site("restock", "restock-shop"),
        }),
        edges=[
            Edge("warehouse_lock", "shop_lock", "restocker",
                 Site("restock", "restock-shop"), Site("restock", "restock-warehouse")),
            Edge("shop_lock", "warehouse_lock", "returner",
                 Site("give_back", "return-warehouse"), Site("give_back", "return-shop")),
        ],
        created_at=Site("main", "create"),
    ),
    ("gate_lock", "fixed"): clean("gate_lock.c", GATE_OUT),

    # Trylock: an edge taken by a trylock never closes a cycle.
    ("trylock_backoff", ""): Variant(
        source="trylock_backoff.c",
        verdict=POTENTIAL,
        stdout=TRYLOCK_OUT % 0,
        locks=mutexes("queue_lock", "stats_lock", first_taken={
            "queue_lock": Site("enqueue", "enqueue-queue"),
            "stats_lock": Site("enqueue", "enqueue-stats"),
        }),
        edges=[
            Edge("queue_lock", "stats_lock", "producer",
                 Site("enqueue", "enqueue-stats"), Site("enqueue", "enqueue-queue")),
            Edge("stats_lock", "queue_lock", "reporter",
                 Site("report", "report-queue"), Site("report", "report-stats")),
        ],
        created_at=Site("main", "create"),
    ),
    ("trylock_backoff", "fixed"): clean("trylock_backoff.c", TRYLOCK_OUT % 1),

    # Thousands of trylock orders (a cache maintainer) are no cycles, and do
    # not use up the search's bounds: the one real inversion is found.
    ("lru_maintainer", ""): Variant(
        source="lru_maintainer.c",
        verdict=POTENTIAL,
        stdout=LRU_OUT,
        locks=LRU_LOCKS,
        edges=LRU_EDGES,
        created_at=Site("main", "create"),
    ),
    ("lru_maintainer", "concurrent"): Variant(
        source="lru_maintainer.c",
        verdict=POTENTIAL,
        stdout=LRU_OUT,
        locks=LRU_LOCKS_CONCURRENT,
        edges=LRU_EDGES,
        created_at=Site("main", "create"),
    ),
    ("lru_maintainer", "fixed"): clean("lru_maintainer.c", LRU_OUT),

    # rwlocks: read/read does not conflict; a cycle needs a conflict on every lock.
    ("rwlock_readers", ""): clean("rwlock_readers.c", RWLOCK_OUT),
    ("rwlock_readers", "writer"): Variant(
        source="rwlock_readers.c",
        verdict=POTENTIAL,
        stdout=RWLOCK_OUT,
        locks={
            "index_lock": Lock("index_lock", "rwlock", Site("search", "search-index")),
            "data_lock": Lock("data_lock", "rwlock", Site("search", "search-data-write")),
        },
        edges=[
            Edge("index_lock", "data_lock", "searcher",
                 Site("search", "search-data-write"), Site("search", "search-index"),
                 from_mode=READ, to_mode=WRITE),
            Edge("data_lock", "index_lock", "scanner",
                 Site("scan", "scan-index-write"), Site("scan", "scan-data"),
                 from_mode=READ, to_mode=WRITE),
        ],
        created_at=Site("main", "create"),
    ),
    ("rwlock_readers", "one-writer"): clean("rwlock_readers.c", RWLOCK_OUT),

    # Recursive re-entry is not an acquisition; an error-checking re-lock
    # returns EDEADLK. Clean, no variant.
    ("recursive_reentry", ""): clean("recursive_reentry.c", RECURSIVE_OUT),

    # Lock identity: destroy/init start a new generation at the same address.
    ("reused_memory", ""): clean(
        "reused_memory.c",
        b"session 7 ended: 100 bytes\n"
        b"buffer for session 7 loaded: 64 bytes, in the session's old slot: yes\n"),
    ("reused_memory", "same-object"): Variant(
        source="reused_memory.c",
        verdict=POTENTIAL,
        stdout=b"session 7 ended: 100 bytes\nsession 7 flushed: 100 bytes\n",
        locks={
            "registry_lock": Lock("registry_lock", "mutex", Site("session_end", "end-registry")),
            # In a malloc'd pool: no variable name.
            "session lock": Lock(None, "mutex", Site("session_end", "end-session"),
                                 created_at=Site("session_open", "session-init")),
        },
        edges=[
            Edge("session lock", "registry_lock", "ender",
                 Site("session_end", "end-registry"), Site("session_end", "end-session")),
            Edge("registry_lock", "session lock", "loader",
                 Site("flush_session", "flush-session"), Site("flush_session", "flush-registry")),
        ],
        created_at=Site("main", "create"),
    ),

    # C11 mtx_t, threads from thrd_create.
    ("c11_mtx", ""): Variant(
        source="c11_mtx.c",
        verdict=POTENTIAL,
        stdout=C11_OUT,
        locks={
            "ledger_mtx": Lock("ledger_mtx", "mtx", Site("post_entry", "post-ledger")),
            "journal_mtx": Lock("journal_mtx", "mtx", Site("post_entry", "post-journal")),
        },
        edges=[
            Edge("ledger_mtx", "journal_mtx", "poster",
                 Site("post_entry", "post-journal"), Site("post_entry", "post-ledger")),
            Edge("journal_mtx", "ledger_mtx", "closer",
                 Site("close_day", "close-ledger"), Site("close_day", "close-journal")),
        ],
        created_at=Site("main", "create"),  # the thrd_create call
    ),
    ("c11_mtx", "fixed"): clean("c11_mtx.c", C11_OUT),

    # A timed lock waits too (here for an hour): its edges count.
    ("clocklock_abba", ""): Variant(
        source="clocklock_abba.c",
        verdict=POTENTIAL,
        stdout=CLOCKLOCK_OUT,
        locks=mutexes("cache_lock", "disk_lock", first_taken={
            "cache_lock": Site("fill", "fill-cache"),
            "disk_lock": Site("fill", "fill-disk"),
        }),
        edges=[
            Edge("cache_lock", "disk_lock", "reader",
                 Site("fill", "fill-disk"), Site("fill", "fill-cache"),
                 acquired_with="timedlock"),
            Edge("disk_lock", "cache_lock", "evictor",
                 Site("write_back", "evict-cache"), Site("write_back", "evict-disk"),
                 acquired_with="timedlock"),
        ],
        created_at=Site("main", "create"),
    ),
    ("clocklock_abba", "fixed"): clean("clocklock_abba.c", CLOCKLOCK_OUT),

    # No limit on locks held at once.
    ("many_held", ""): Variant(
        source="many_held.c",
        verdict=POTENTIAL,
        stdout=MANY_HELD_OUT,
        locks=mutexes("levels[20]", "levels[150]", first_taken={
            "levels[20]": Site("hold_all", "hold-all"),
            "levels[150]": Site("hold_all", "hold-all"),
        }),
        edges=[
            Edge("levels[20]", "levels[150]", "climber",
                 Site("hold_all", "hold-all"), Site("hold_all", "hold-all")),
            Edge("levels[150]", "levels[20]", "shortcut",
                 Site("shortcut", "shortcut-low"), Site("shortcut", "shortcut-high")),
        ],
        created_at=Site("main", "create"),
    ),
    ("many_held", "fixed"): clean("many_held.c", MANY_HELD_OUT),

    # No limit on the number of locks.
    ("million_locks", ""): Variant(
        source="million_locks.c",
        verdict=POTENTIAL,
        stdout=MILLION_OUT,
        locks=mutexes("locks[123456]", "locks[654321]", first_taken={
            "locks[123456]": Site("touch_all", "touch"),
            "locks[654321]": Site("touch_all", "touch"),
        }),
        edges=[
            Edge("locks[123456]", "locks[654321]", "forward",
                 Site("move", "move-to"), Site("move", "move-from")),
            Edge("locks[654321]", "locks[123456]", "backward",
                 Site("move", "move-to"), Site("move", "move-from")),
        ],
        created_at=Site("main", "create"),
    ),
    ("million_locks", "fixed"): clean("million_locks.c", MILLION_OUT),

    # Latent: threads ordered by create/join never overlapped.
    ("sequential_threads", ""): sequential(LATENT, NEVER_OVERLAPPED),
    ("sequential_threads", "concurrent"): sequential(POTENTIAL),
    ("sequential_threads", "fixed"): clean("sequential_threads.c", SEQUENTIAL_OUT),

    # Latent: both orders from one thread.
    ("single_thread_flip", ""): Variant(
        source="single_thread_flip.c",
        verdict=LATENT,
        latent_reason=ONE_THREAD,
        stdout=FLIP_OUT,
        locks=mutexes("inbox_lock", "outbox_lock", first_taken={
            "inbox_lock": Site("deliver", "deliver-inbox"),
            "outbox_lock": Site("deliver", "deliver-outbox"),
        }),
        edges=[
            Edge("inbox_lock", "outbox_lock", "mailer",
                 Site("deliver", "deliver-outbox"), Site("deliver", "deliver-inbox")),
            Edge("outbox_lock", "inbox_lock", "mailer",
                 Site("bounce", "bounce-inbox"), Site("bounce", "bounce-outbox")),
        ],
        created_at=Site("main", "create"),
    ),
    ("single_thread_flip", "fixed"): clean("single_thread_flip.c", FLIP_OUT),

    # pthread spinlocks.
    ("spin_abba", ""): Variant(
        source="spin_abba.c",
        verdict=POTENTIAL,
        stdout=SPIN_OUT,
        locks={
            "head_spin": Lock("head_spin", "spinlock", Site("push", "push-head")),
            "tail_spin": Lock("tail_spin", "spinlock", Site("push", "push-tail")),
        },
        edges=[
            Edge("head_spin", "tail_spin", "pusher",
                 Site("push", "push-tail"), Site("push", "push-head")),
            Edge("tail_spin", "head_spin", "trimmer",
                 Site("trim", "trim-head"), Site("trim", "trim-tail")),
        ],
        created_at=Site("main", "create"),
    ),
    ("spin_abba", "fixed"): clean("spin_abba.c", SPIN_OUT),
}

# A lockgraph run of million_locks records a million locks; give it room.
RUN_TIMEOUT = 50


class Target:
    """One sample program and variant under test. Has what
    test_samples.check_processes and check_text_report read."""

    def __init__(self, args, name, variant=""):
        key = (name, variant)
        if key not in VARIANTS:
            fail(f"no expectations for {name} {'--' + variant if variant else ''}: "
                 f"add it to VARIANTS in {__file__}")
        self.args = args
        self.name = name
        self.variant = variant
        self.spec = VARIANTS[key]
        self.verdict = self.spec.verdict
        self.exe = lgtest.sample_path(args, name)
        self.argv = [self.exe] + (["--" + variant] if variant else [])
        check(args.samples_src, "--samples-src is required")
        self.source = os.path.join(args.samples_src, self.spec.source)
        self.lines = lgtest.marker_lines(self.source)
        self._native = None

    def label(self):
        return " ".join([self.name] + self.argv[1:])

    def line(self, site):
        if site.marker not in self.lines:
            fail(f"{self.source}: no /* lg:{site.marker} */ marker")
        return self.lines[site.marker]

    def native(self):
        """The program's own run, without lockgraph: what its header says."""
        if self._native is None:
            result = lgtest.run(self.argv)
            lgtest.check_status(result, 0, f"{self.label()} run natively")
            check_equal(result.stdout, self.spec.stdout, f"{self.label()}: stdout (native run)")
            self._native = result
        return self._native

    def expected_status(self):
        """Under the default --fail-on potential."""
        return FOUND if self.verdict == POTENTIAL else 0


# ---------------------------------------------------------------- JSON checks


def check_verdict(target, report, where):
    """The whole report: no finding for a clean target, else exactly the one
    its spec describes."""
    lgtest.check_report_shape(report, where)
    findings = report["findings"]
    what = target.label()
    if target.verdict == CLEAN:
        check(findings == [], f"{where}: expected no findings for {what} (clean), got "
              f"{len(findings)}:{lgtest.findings_summary(report)}")
        return
    check(len(findings) == 1, f"{where}: expected exactly 1 finding for {what} "
          f"({target.verdict}), got {len(findings)}:{lgtest.findings_summary(report)}")
    finding = findings[0]
    check_finding(target, finding, where)
    test_samples.check_processes(target, finding, where, 1, None)
    check_equal(finding.get("occurrences"), 1, f"{where}: occurrences")


def check_finding(target, finding, where):
    spec = target.spec
    check_equal(finding.get("kind"), "potential-deadlock", f"{where}: kind")
    check_equal(finding.get("latent"), target.verdict == LATENT, f"{where}: latent")
    if target.verdict == LATENT:
        check_equal(finding.get("latent_reason"), spec.latent_reason, f"{where}: latent_reason")
    else:
        check(finding.get("latent_reason") is None,
              f"{where}: a potential (not latent) finding has no latent_reason, got "
              f"{finding.get('latent_reason')!r}")
    signature = finding.get("signature")
    check(isinstance(signature, str) and signature,
          f"{where}: expected a non-empty signature, got {signature!r}")
    labels = check_locks(target, finding, where)
    threads = {t.get("id"): t for t in finding.get("threads") or []}
    check_edges(target, finding, labels, threads, where)


def check_locks(target, finding, where):
    """The cycle's locks, exactly: names, kinds, where they were first taken
    and created. Returns lock id -> key in the spec's locks."""
    spec = target.spec
    locks = finding.get("locks") or []
    ids = [lock.get("id") for lock in locks]
    check(len(set(ids)) == len(ids), f"{where}: lock ids are not unique: {ids!r}")
    check_equal(sorted(str(lock.get("name")) for lock in locks),
                sorted(str(want.name) for want in spec.locks.values()), f"{where}: lock names")
    by_name = {want.name: key for key, want in spec.locks.items()}
    labels = {}
    for lock in locks:
        key = by_name[lock.get("name")]
        labels[lock.get("id")] = key
        want = spec.locks[key]
        label = f"{where}: lock {key}"
        check_equal(lock.get("kind"), want.kind, f"{label}: kind")
        address = lock.get("address")
        check(isinstance(address, str) and address.startswith("0x"),
              f"{label}: address: expected a 0x… string, got {address!r}")
        if want.name is None:
            description = lock.get("description")
            check(isinstance(description, str) and description,
                  f"{label}: a lock without a name needs a description, got {description!r}")
        # Where it was first taken or created may be unknown (empty); if
        # given it must be right.
        for field, site in (("first_taken", want.first_taken), ("created_at", want.created_at)):
            stack = lock.get(field)
            if stack and site is not None:
                check_frame(stack, site.function, spec.source, target.line(site),
                            f"{label}: {field}", module=target.exe)
    return labels


def check_edges(target, finding, labels, threads, where):
    """One edge per lock of the cycle, in order around it, each by the right
    thread, in the right modes, taken the right way, at the marked lines."""
    spec = target.spec
    edges = finding.get("edges") or []
    check_equal(len(edges), len(spec.edges), f"{where}: number of edges (the cycle's length)")
    for i, edge in enumerate(edges):
        following = edges[(i + 1) % len(edges)]
        check(edge.get("to") == following.get("from"),
              f"{where}: the edges do not go around the cycle in order: {edges!r:.1000}")
    by_pair = {}
    for edge in edges:
        pair = (labels.get(edge.get("from")), labels.get(edge.get("to")))
        check(pair not in by_pair, f"{where}: two edges {pair[0]} -> {pair[1]}")
        by_pair[pair] = edge
    for want in spec.edges:
        label = f"{where}: edge {want.held} -> {want.acquired}"
        edge = by_pair.get((want.held, want.acquired))
        check(edge is not None, f"{label}: missing; the edges are {sorted(map(str, by_pair))}")
        thread = threads.get(edge.get("thread"))
        check(thread is not None, f"{label}: thread {edge.get('thread')!r} is not in the "
              f"threads list {sorted(threads)}")
        check_equal(thread.get("name"), want.thread, f"{label}: thread name")
        check_equal(edge.get("from_mode"), want.from_mode,
                    f"{label}: from_mode (how {want.held} was held)")
        check_equal(edge.get("to_mode"), want.to_mode,
                    f"{label}: to_mode (how {want.acquired} was wanted)")
        check_equal(edge.get("acquired_with"), want.acquired_with, f"{label}: acquired_with")
        check_frame(edge.get("acquire_stack"), want.acquired_at.function, spec.source,
                    target.line(want.acquired_at),
                    f"{label}: acquire_stack (where {want.acquired} was taken)", module=target.exe)
        check_frame(edge.get("held_stack"), want.held_at.function, spec.source,
                    target.line(want.held_at),
                    f"{label}: held_stack (where {want.held} was taken)", module=target.exe)

    # A potential deadlock needs a distinct thread per edge; so does a
    # latent one whose threads never overlapped; one seen in one thread has
    # all its edges from that thread.
    edge_threads = [edge.get("thread") for edge in edges]
    if target.spec.latent_reason == ONE_THREAD:
        check(len(set(edge_threads)) == 1,
              f"{where}: expected every edge from one thread ({ONE_THREAD}), got {edge_threads}")
    else:
        check(len(set(edge_threads)) == len(edge_threads),
              f"{where}: expected one distinct thread per edge, got {edge_threads}")
    if spec.created_at is not None:
        for tid in set(edge_threads):
            thread = threads[tid]
            check_frame(thread.get("created_at"), spec.created_at.function, spec.source,
                        target.line(spec.created_at),
                        f"{where}: created_at of thread {thread.get('name')}", module=target.exe)


# ---------------------------------------------------------------- shared steps


def run_json(target, tmp, options=(), env=None):
    """`lockgraph run OPTIONS --format json --output F -- SAMPLE`; checks
    that the program's stdout is its own (and, with nothing counted against
    it, its stderr too). Returns the Result and the report."""
    native = target.native()
    result, report = lgtest.lockgraph_json(target.args, "run", options, target.argv, tmp,
                                           env=env, timeout=RUN_TIMEOUT)
    check(result.stdout == native.stdout,
          f"{target.label()}: with --output, stdout must be exactly the program's own"
          + result.describe())
    check(report is not None, f"{target.label()}: no report was written" + result.describe())
    return result, report


def check_quiet(target, result):
    """Nothing on stderr but the program's own (the report went to a file)."""
    check(result.stderr == target.native().stderr,
          f"{target.label()}: stderr must be the program's own" + result.describe())


def preload_traces(target, traces, options=""):
    """Runs the target under plain LD_PRELOAD into `traces`."""
    env = lgtest.preload_env(target.args, traces)
    if options:
        env["LOCKGRAPH_OPTIONS"] += ":" + options
    result = lgtest.run(target.argv, env=env, cwd=traces, timeout=RUN_TIMEOUT)
    native = target.native()
    if target.verdict == POTENTIAL:
        # The preload may exit with its exitcode when it saw the cycle itself.
        check(result.status in (0, FOUND),
              f"under LD_PRELOAD, expected exit status 0 or {FOUND}" + result.describe())
    else:
        lgtest.check_status(result, 0, "under LD_PRELOAD, nothing counted")
        check(result.stderr == native.stderr,
              "under LD_PRELOAD, stderr must be the program's own" + result.describe())
    check(result.stdout == native.stdout,
          "under LD_PRELOAD, stdout must be the program's own" + result.describe())
    check_equal(len(lgtest.trace_files(traces)), 1, f"number of .lgt files in {traces}")
    return result


# ---------------------------------------------------------------- cases


def case_json(args, name, variant=""):
    target = Target(args, name, variant)
    with lgtest.temp_dir() as tmp:
        result, report = run_json(target, tmp)
        lgtest.check_status(result, target.expected_status(), f"{target.verdict} verdict")
        if target.verdict != POTENTIAL:
            check_quiet(target, result)
        check_verdict(target, report, f"lockgraph run --format json ({target.label()})")
        if target.verdict != CLEAN:
            pid = report["findings"][0]["processes"][0]["pid"]
            check(pid != result.pid, f"the process pid {pid} is lockgraph's own, not the program's")


def case_text(args, name, variant=""):
    target = Target(args, name, variant)
    native = target.native()
    with lgtest.temp_dir() as tmp:
        result = lgtest.run([args.lockgraph, "run", "--"] + target.argv, cwd=tmp,
                            timeout=RUN_TIMEOUT)
        lgtest.check_status(result, target.expected_status(), f"{target.verdict} verdict")
        check(result.stdout == native.stdout,
              "stdout must be exactly the program's own" + result.describe())
        check(result.stderr.startswith(native.stderr),
              "stderr must start with the program's own, unchanged" + result.describe())
        text = result.stderr[len(native.stderr):].decode("utf-8", "replace")
        test_samples.check_text_report(target, text, f"lockgraph run ({target.label()})")
        if target.verdict == LATENT:
            check(target.spec.latent_reason in text,
                  f"the report must label the latent finding {target.spec.latent_reason!r}:"
                  f"{lgtest.clip(text)}")


# The exit status of `lockgraph run`/`report` on a latent finding and on a
# potential one (sequential_threads and its --concurrent variant, both exit
# 0 on their own), per --fail-on value (None: the option not given).
# An actual deadlock is checked separately, with --exitcode 7: lockgraph run
# does not pass that on to the program (which the preload stops with its own
# 66), so a 7 shows the finding counted.
FAIL_ON = {
    # value:      latent  potential
    None: (0, FOUND),
    "potential": (0, FOUND),
    "latent": (FOUND, FOUND),
    "actual": (0, 0),
    "none": (0, 0),
}


def fail_on_options(value):
    return [] if value is None else ["--fail-on", value]


def case_fail_on_run(args):
    latent = Target(args, "sequential_threads")
    potential = Target(args, "sequential_threads", "concurrent")
    with lgtest.temp_dir() as tmp:
        for value, statuses in FAIL_ON.items():
            for target, status in zip((latent, potential), statuses):
                what = f"lockgraph run {' '.join(fail_on_options(value))} -- {target.label()}"
                result, report = run_json(target, tmp, fail_on_options(value))
                lgtest.check_status(result, status, what)
                if status == 0:
                    check_quiet(target, result)
                check_verdict(target, report, what)  # still reported

        # --exitcode applies to counted latent findings too.
        result, report = run_json(latent, tmp, ["--fail-on", "latent", "--exitcode", "7"])
        lgtest.check_status(result, 7, "--fail-on latent --exitcode 7 on a latent finding")

        # An actual deadlock counts for --fail-on actual (and latent).
        stuck = lgtest.sample_path(args, "transfer_deadlock")
        for value in ("actual", "latent"):
            result, report = lgtest.lockgraph_json(
                args, "run", ["--fail-on", value, "--exitcode", "7"], [stuck], tmp, timeout=40)
            lgtest.check_status(result, 7, f"--fail-on {value} --exitcode 7 on an actual deadlock")
            check(report is not None and [f.get("kind") for f in report["findings"]]
                  == ["actual-deadlock"],
                  f"--fail-on {value}: expected the actual deadlock in the report, got"
                  f"{lgtest.findings_summary(report or {})}")


def case_fail_on_report(args):
    latent = Target(args, "sequential_threads")
    potential = Target(args, "sequential_threads", "concurrent")
    with lgtest.temp_dir() as tmp:
        dirs = {}
        for target in (latent, potential):
            traces = os.path.join(tmp, "traces-" + (target.variant or "plain"))
            os.mkdir(traces)
            preload_traces(target, traces)
            dirs[target] = traces
        for value, statuses in FAIL_ON.items():
            for target, status in zip((latent, potential), statuses):
                what = f"lockgraph report {' '.join(fail_on_options(value))} ({target.label()})"
                result, report = lgtest.lockgraph_json(args, "report", fail_on_options(value),
                                                       [dirs[target]], tmp)
                lgtest.check_status(result, status, what)
                check(report is not None, f"{what}: no report" + result.describe())
                check_verdict(target, report, what)  # still reported
            # Both traces at once: the strictest verdict counts.
            result, report = lgtest.lockgraph_json(args, "report", fail_on_options(value),
                                                   [dirs[latent], dirs[potential]], tmp)
            lgtest.check_status(result, max(statuses), f"lockgraph report "
                                f"{' '.join(fail_on_options(value))} of both traces")


def case_fail_on_env(args):
    latent = Target(args, "sequential_threads")
    potential = Target(args, "sequential_threads", "concurrent")
    with lgtest.temp_dir() as tmp:
        # lockgraph run reads it, and the program (which gets the same
        # LOCKGRAPH_OPTIONS) takes it without a warning.
        for target, value, status in ((latent, "latent", FOUND), (potential, "none", 0),
                                      (latent, "none", 0), (potential, "latent", FOUND)):
            env = lgtest.clean_env({"LOCKGRAPH_OPTIONS": f"fail_on={value}"})
            what = f"LOCKGRAPH_OPTIONS=fail_on={value} lockgraph run -- {target.label()}"
            result, report = run_json(target, tmp, env=env)
            lgtest.check_status(result, status, what)
            if status == 0:
                check_quiet(target, result)
            check_verdict(target, report, what)  # still reported

        # lockgraph report reads it too; the preload takes it silently.
        traces = os.path.join(tmp, "traces")
        os.mkdir(traces)
        preload_traces(latent, traces, "fail_on=latent")
        env = lgtest.clean_env({"LOCKGRAPH_OPTIONS": "fail_on=latent"})
        result, report = lgtest.lockgraph_json(args, "report", [], [traces], tmp, env=env)
        lgtest.check_status(result, FOUND, "LOCKGRAPH_OPTIONS=fail_on=latent lockgraph report")
        check_verdict(latent, report, "LOCKGRAPH_OPTIONS=fail_on=latent lockgraph report")
        result, report = lgtest.lockgraph_json(args, "report", [], [traces], tmp)
        lgtest.check_status(result, 0, "lockgraph report without fail_on, latent only")
        # Entries separated by commas, as the sanitizers allow.
        env = lgtest.clean_env({"LOCKGRAPH_OPTIONS": "verbosity=0,fail_on=latent"})
        result, report = lgtest.lockgraph_json(args, "report", [], [traces], tmp, env=env)
        lgtest.check_status(result, FOUND, "LOCKGRAPH_OPTIONS=verbosity=0,fail_on=latent")


def case_fail_on_unknown(args):
    target = Target(args, "sequential_threads")
    with lgtest.temp_dir() as tmp:
        result = lgtest.run([args.lockgraph, "run", "--fail-on", "sometimes", "--"] + target.argv,
                            cwd=tmp)
        lgtest.check_status(result, USAGE, "an unknown --fail-on value")
        check("sometimes" in result.err, "expected stderr to name 'sometimes'" + result.describe())
        check(result.stdout == b"", "the program ran although the command line was bad"
              + result.describe())

        traces = os.path.join(tmp, "traces")
        os.mkdir(traces)
        preload_traces(target, traces)
        result = lgtest.run([args.lockgraph, "report", "--fail-on", "sometimes", traces], cwd=tmp)
        lgtest.check_status(result, USAGE, "an unknown --fail-on value")
        check("sometimes" in result.err, "expected stderr to name 'sometimes'" + result.describe())


CASES = {
    "json": case_json,
    "text": case_text,
    "fail-on-run": case_fail_on_run,
    "fail-on-report": case_fail_on_report,
    "fail-on-env": case_fail_on_env,
    "fail-on-unknown": case_fail_on_unknown,
}

if __name__ == "__main__":
    lgtest.main(CASES)
