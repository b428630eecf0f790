/* The lockgraph trace format: the only thing the preload (writer) and the
 * reporter (reader) share. docs/trace-format.md explains it in prose; this
 * header is the definition. Change both together, and bump
 * LG_TRACE_VERSION_MAJOR for anything an older reader would misread.
 *
 * A trace is a sequence of records. Each record is an 8-byte header followed
 * by `len` payload bytes, written with one write(2) on an O_APPEND file, so a
 * process killed at any moment leaves a valid prefix plus at most one cut
 * record at the end. All integers are little-endian (x86_64 and aarch64 are
 * both little-endian; the writer refuses to run elsewhere). Payloads are the
 * packed structs below followed by their variable-length tails.
 *
 * Ids (locks, stacks, threads) are small integers assigned by the writer,
 * unique within one trace file, starting at 1; 0 means "none". A record only
 * references ids defined by earlier records of the same file. */
#ifndef LOCKGRAPH_TRACE_FORMAT_H
#define LOCKGRAPH_TRACE_FORMAT_H

#include <stdint.h>

#define LG_TRACE_MAGIC         "LOCKGRPH"
#define LG_TRACE_VERSION_MAJOR 1
#define LG_TRACE_VERSION_MINOR 0
#define LG_TRACE_SUFFIX        ".lgt"

/* Largest payload a reader accepts; anything bigger is corruption. */
#define LG_TRACE_MAX_PAYLOAD (1u << 20)
/* Most frames a stack record carries. */
#define LG_TRACE_MAX_FRAMES 64

enum lg_rec_type {
	LG_REC_PROCESS = 1, /* always the first record */
	LG_REC_MODULE = 2,
	LG_REC_STACK = 3,
	LG_REC_THREAD = 4,
	LG_REC_LOCK = 5,
	LG_REC_ACQUIRE = 6,
	LG_REC_WARNING = 7,
	LG_REC_END = 8, /* the process ended normally (exit or return from main) */
	LG_REC_DEADLOCK = 9,
	LG_REC_LONG_WAIT = 10,
	LG_REC_LONG_HOLD = 11,
	LG_REC_JOIN = 12,
	LG_REC_THREAD_NAME = 13,
	LG_REC_PROFILE = 14,
};

struct lg_rec_header {
	uint16_t type;
	uint16_t reserved;
	uint32_t len; /* payload bytes that follow */
} __attribute__((packed));

/* Tail: four strings, each a uint16_t length then that many bytes (no NUL):
 * executable path, host name, run id (may be empty), command line (arguments
 * separated by single spaces, cut at 1 KiB). */
struct lg_rec_process {
	char magic[8]; /* LG_TRACE_MAGIC */
	uint16_t version_major;
	uint16_t version_minor;
	uint32_t pid;
	uint32_t ppid;
	uint32_t pointer_size;
	uint64_t start_wall_ns; /* CLOCK_REALTIME */
	uint64_t start_mono_ns; /* CLOCK_MONOTONIC */
} __attribute__((packed));

/* A loaded ELF object. [lo, hi) spans all its PT_LOAD segments at run time;
 * bias is dlpi_addr (run-time address minus link-time address).
 * Tail: build_id_len bytes of build-id, then a uint16_t-prefixed path. */
struct lg_rec_module {
	uint64_t bias;
	uint64_t lo;
	uint64_t hi;
	uint8_t build_id_len;
	uint8_t flags; /* LG_MODULE_* */
	uint16_t reserved;
} __attribute__((packed));

enum lg_module_flags {
	LG_MODULE_MAIN = 1u << 0, /* the main executable */
	LG_MODULE_SELF = 1u << 1, /* liblockgraph.so itself */
};

/* Tail: nframes uint64_t return addresses, innermost first. Every address
 * is a return address (or, for a one-frame call-site stack, the return
 * address of the locking call), so a symbolizer looks up address - 1. */
struct lg_rec_stack {
	uint32_t id;
	uint16_t nframes;
	uint16_t flags; /* LG_STACK_* */
} __attribute__((packed));

enum lg_stack_flags {
	/* Only the call site was recorded (the lock was taken on a path whose
	 * full stack was not captured); the caller frames are unknown. */
	LG_STACK_CALL_SITE_ONLY = 1u << 0,
	/* The unwinder stopped at LG_TRACE_MAX_FRAMES. */
	LG_STACK_TRUNCATED = 1u << 1,
};

/* Tail: uint16_t-prefixed thread name (may be empty). */
struct lg_rec_thread {
	uint32_t id;
	uint32_t parent;       /* thread that created it, 0 for the main thread */
	uint32_t os_tid;       /* gettid() */
	uint32_t create_stack; /* where pthread_create was called, 0 if unknown */
	uint64_t create_seq;   /* the creation's place in the order of creations and joins */
} __attribute__((packed));

/* Thread `joiner` joined thread `joined` (which had ended). seq orders it
 * with creations (struct lg_rec_thread.create_seq): with both, the reader
 * knows which threads never ran at the same time. `joined` may have no
 * THREAD record (a thread that never took a lock). */
struct lg_rec_join {
	uint32_t joiner;
	uint32_t joined;
	uint64_t seq;
} __attribute__((packed));

/* A thread was renamed after its THREAD record was written. Tail:
 * uint16_t-prefixed name. The thread may have no record yet (then its
 * record, written later, has the name). */
struct lg_rec_thread_name {
	uint32_t thread;
} __attribute__((packed));

enum lg_lock_kind {
	LG_LOCK_MUTEX = 1,
	LG_LOCK_RWLOCK = 2,
	LG_LOCK_SPIN = 3,
	LG_LOCK_MTX = 4, /* C11 mtx_t */
};

enum lg_lock_flags {
	LG_LOCK_INITIALIZED = 1u << 0, /* created by an init call (init_stack) */
	/* A mutex's type (none of these: a normal mutex), read from the mutex
	 * when its record is written. */
	LG_LOCK_RECURSIVE = 1u << 1,
	LG_LOCK_ERRORCHECK = 1u << 2,
	LG_LOCK_ADAPTIVE = 1u << 3,
	LG_LOCK_ROBUST = 1u << 4,
};

struct lg_rec_lock {
	uint32_t id;
	uint32_t generation; /* how many times this address was (re)initialized */
	uint64_t address;
	uint8_t kind; /* enum lg_lock_kind */
	uint8_t flags;
	uint16_t size;        /* bytes of the lock object (names it inside structs) */
	uint32_t init_stack;  /* where it was initialized, 0 if statically */
	uint32_t first_stack; /* where it was first taken, 0 if unknown */
	uint32_t first_thread;
} __attribute__((packed));

enum lg_mode {
	LG_MODE_EXCLUSIVE = 1, /* a mutex, spinlock, mtx, or an rwlock for writing */
	LG_MODE_SHARED = 2,    /* an rwlock for reading */
};

enum lg_acq_flags {
	LG_ACQ_TRY = 1u << 0,   /* taken with a trylock: never waited */
	LG_ACQ_TIMED = 1u << 1, /* taken with a timed lock */
	/* The held set is a summary: the locks this thread held every time it
	 * took these edges (it took them under too many different sets of
	 * other locks to record each one). */
	LG_ACQ_SUMMARY = 1u << 2,
};

struct lg_rec_held {
	uint32_t lock;
	uint32_t stack; /* where it was taken */
	uint8_t mode;
	uint8_t flags; /* enum lg_acq_flags of its own acquisition */
	uint16_t reserved;
} __attribute__((packed));

/* Thread `thread` took `lock` while holding nheld locks (outermost first):
 * one lock-order edge from each held lock to `lock`. Written only when at
 * least one of those edges is new for this thread and held set.
 * Tail: nheld struct lg_rec_held. */
struct lg_rec_acquire {
	uint32_t thread;
	uint32_t lock;
	uint32_t stack; /* where `lock` was taken */
	uint8_t mode;
	uint8_t flags; /* enum lg_acq_flags */
	uint16_t nheld;
} __attribute__((packed));

enum lg_warning_code {
	LG_WARN_CAPACITY = 1, /* a table is full: some events were not recorded */
	LG_WARN_INTERNAL = 2, /* lockgraph disabled itself after an internal error */
	LG_WARN_OPTION = 3,   /* a bad LOCKGRAPH_OPTIONS entry was ignored */
};

/* Tail: uint16_t-prefixed message. */
struct lg_rec_warning {
	uint32_t code;
} __attribute__((packed));

/* Threads stuck waiting for each other: a cycle in the wait-for graph,
 * confirmed while every thread in it was blocked. Tail: nthreads struct
 * lg_rec_waiter, each followed by its nholding struct lg_rec_holding. */
struct lg_rec_deadlock {
	uint64_t formed_mono_ns;   /* the last of its waits began */
	uint64_t detected_mono_ns; /* lockgraph confirmed it */
	uint64_t wall_ns;          /* CLOCK_REALTIME at detection */
	uint8_t flags;             /* enum lg_deadlock_flags */
	uint8_t action;            /* enum lg_deadlock_action */
	uint16_t nthreads;
} __attribute__((packed));

enum lg_deadlock_flags {
	/* A timed wait gave up while in the cycle: the deadlock was broken by
	 * the timeout and the program went on. */
	LG_DEADLOCK_TIMED_OUT = 1u << 0,
};

enum lg_deadlock_action {
	LG_ACTION_NONE = 0, /* broken by a timeout: nothing to do */
	LG_ACTION_EXIT = 1,
	LG_ACTION_ABORT = 2,
	LG_ACTION_WAIT = 3,
};

/* One stuck thread: it waits for `lock` (at wait_stack). */
struct lg_rec_waiter {
	uint32_t thread;
	uint32_t lock;
	uint32_t wait_stack;
	uint16_t nholding;
	uint8_t mode;  /* the mode it waits for */
	uint8_t flags; /* LG_ACQ_TIMED: a timed wait */
} __attribute__((packed));

/* A lock a stuck thread holds, and where it took it. */
struct lg_rec_holding {
	uint32_t lock;
	uint32_t stack;
	uint8_t mode;
	uint8_t reserved[3];
} __attribute__((packed));

/* A wait that lasted longer than wait_warn_ms (recorded once per wait, when
 * the threshold passes), or a hold longer than hold_warn_ms (recorded at
 * release). other_stack: the holder's stack for the lock when it is known
 * (LONG_WAIT), or where the lock was released (LONG_HOLD). */
struct lg_rec_long {
	uint32_t thread;
	uint32_t lock;
	uint32_t stack;        /* where it waited / where it took the lock */
	uint32_t other_thread; /* the holder (LONG_WAIT), 0 if unknown */
	uint32_t other_stack;
	uint32_t reserved;
	uint64_t duration_ns;
	uint64_t wall_ns;
} __attribute__((packed));

struct lg_rec_end {
	uint64_t end_wall_ns;
	uint64_t end_mono_ns;
	uint64_t locks;  /* distinct locks seen */
	uint64_t edges;  /* distinct lock-order edges seen */
	uint64_t stacks; /* distinct stacks stored */
	uint32_t how;    /* enum lg_end_how */
	int32_t status;  /* the exit status, when known (_exit), else -1 */
} __attribute__((packed));

enum lg_end_how {
	LG_END_EXIT = 1,            /* exit() or a return from main */
	LG_END_UNDERSCORE_EXIT = 2, /* _exit() / _Exit() */
	LG_END_DEADLOCK = 3,        /* lockgraph ended it (on_deadlock) */
};

/* The lock profile (profile=1) of one thread for one (lock, call site):
 * written when the thread ends, or when the process ends for threads still
 * running. Times in ns. */
struct lg_rec_profile {
	uint32_t thread;
	uint32_t lock;
	uint32_t site_stack; /* the call site that took the lock (a one-frame stack) */
	uint32_t reserved;
	uint64_t acquisitions;
	uint64_t contended; /* acquisitions that had to wait */
	uint64_t wait_ns, wait_max_ns;
	uint64_t hold_ns, hold_max_ns;
} __attribute__((packed));

#endif
