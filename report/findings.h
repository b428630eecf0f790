/* Findings: cycles turned into what a person reads. Every lock, thread and
 * stack of a cycle is symbolized, given a label (L1, T1) and a display
 * name; each finding gets a signature built only from symbolized code
 * locations and lock names (never addresses), so the same bug in another
 * process, run or build merges into one finding with more occurrences.
 * Renderers (render_*.c) only read what is here. */
#ifndef LOCKGRAPH_FINDINGS_H
#define LOCKGRAPH_FINDINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cycles.h"
#include "idmap.h"
#include "lock_profile.h"
#include "symbolize.h"
#include "trace.h"

struct lg_fstack {
	struct lg_frame *frames; /* source-level frames, inlined ones expanded */
	size_t n;
	bool missing;        /* no stack was recorded */
	bool call_site_only; /* only the locking call site is known */
	bool truncated;      /* the unwinder stopped at the frame limit */
};

struct lg_flock {
	char label[24]; /* "L1" */
	const char *kind;
	const char *type; /* a mutex's type: "normal", "recursive", ...; NULL for others */
	bool robust;
	char *name;        /* variable name ("accounts[1].lock"), NULL for heap locks */
	char *description; /* name, or where it was created / first taken */
	uint64_t address;
	struct lg_fstack first_taken, created_at;
};

/* A lock a stuck thread holds (actual deadlocks). */
struct lg_fholding {
	size_t lock; /* index into locks */
	struct lg_fstack stack;
};

struct lg_fthread {
	char label[24]; /* "T1" */
	char *name;     /* NULL when unnamed */
	uint32_t os_tid;
	bool main_thread;
	struct lg_fstack created_at;
	/* Actual deadlocks only: what it waits for (index into locks, or -1),
	 * where, and what it holds meanwhile. */
	ptrdiff_t waiting_for;
	bool timed_wait;
	struct lg_fstack wait_stack;
	struct lg_fholding *holding;
	size_t nholding;
};

/* Thread `thread` took lock `to` (in to_mode) while holding lock `from`
 * (in from_mode). */
struct lg_fedge {
	size_t from, to, thread; /* indices into locks / threads */
	uint8_t flags;           /* enum lg_acq_flags */
	uint8_t from_mode, to_mode;
	struct lg_fstack held, acquire;
	/* Class findings: the objects this edge's thread held and took (their
	 * descriptions); NULL for instance findings. */
	char *from_object, *to_object;
};

struct lg_fprocess {
	uint32_t pid;
	char *exe, *host, *trace;
	uint64_t start_wall_ns; /* when the process started (CLOCK_REALTIME) */
};

/* One time a finding was seen: in which process, and when (the deadlock's
 * own time for an actual deadlock, the process's start otherwise: a lock
 * order is not timed). */
struct lg_foccurrence {
	size_t proc; /* index into procs */
	uint64_t wall_ns;
};

enum lg_finding_kind {
	LG_FINDING_POTENTIAL,
	LG_FINDING_ACTUAL,
};

struct lg_finding {
	enum lg_finding_kind kind;
	bool class_scope;  /* a cycle between lock classes (lock_classes.h), not objects */
	bool within_class; /* two objects of one class in opposite orders (class_nesting.h) */
	bool latent;
	enum lg_latent_reason latent_reason;
	bool undecided; /* feasibility search ran out of budget */
	/* Actual deadlocks: a timed wait gave up inside the cycle (so the
	 * program went on, and it may have formed again: occurrences); the
	 * same lock-order cycle was recorded as an inversion too (and is not
	 * listed again); what lockgraph did (enum lg_deadlock_action); when. */
	bool broken_by_timeout;
	bool also_potential;
	int action;
	uint64_t first_wall_ns, last_wall_ns;
	uint64_t detected_after_ns;
	char signature[17];
	size_t occurrences;
	struct lg_fprocess *procs;
	size_t nprocs, procs_cap;
	struct lg_foccurrence *occ; /* occurrences of them, in the order seen */
	size_t nocc, occ_cap;
	struct lg_flock *locks;
	size_t nlocks;
	struct lg_fthread *threads;
	size_t nthreads;
	struct lg_fedge *edges;
	size_t nedges;
	size_t ncycle_locks; /* locks[0..ncycle_locks) form the cycle; the rest are other holdings
	                      */
	/* The edge observed last (always the last one: the cycle is rotated
	 * so), the one that reversed the order the others had set. */
	size_t reversing_edge;
};

/* A long wait or hold (wait_warn_ms / hold_warn_ms), merged by lock and
 * place: not a deadlock, but often what stands behind a stall. */
enum lg_stall_kind {
	LG_STALL_WAIT,
	LG_STALL_HOLD,
};

struct lg_stall {
	enum lg_stall_kind kind;
	char *key; /* merges the same lock at the same place */
	struct lg_flock lock;
	char *thread_name; /* NULL when unnamed */
	uint32_t tid;
	/* LG_STALL_WAIT: the holder, when known, and where it took the lock;
	 * LG_STALL_HOLD: where the lock was released. */
	char *other_name;
	uint32_t other_tid;
	struct lg_fstack stack, other_stack;
	uint64_t longest_ns;
	size_t count;
	uint32_t pid;
	char *exe;
};

/* A finding kept out of the report by --suppressions or --baseline: still
 * counted and listed (JSON), so nothing disappears silently. */
struct lg_left_out {
	char signature[17];
	enum lg_finding_kind kind;
	bool latent;
	char *rule; /* the suppression rule that matched; NULL: in the baseline */
};

struct lg_traced_process {
	uint32_t pid;
	bool ended;
	uint64_t start_mono_ns;
	char *host;
	char *name; /* "prog (pid 12)" */
};

struct lg_findings {
	struct lg_finding **v;
	int classes; /* enum lg_class_mode: whether to look for cycles between lock classes */
	/* --source-root: SARIF names files under it relative to it; NULL if unset. */
	const char *source_root;
	struct lg_profile profile; /* present when traces had profile records */
	size_t n, cap;
	struct lg_idmap by_signature; /* signature hash -> index + 1 */
	struct lg_symbolizer *sym;
	char **strings; /* interned module paths */
	size_t nstrings, strings_cap;

	/* What the report says about its inputs. */
	size_t traces;
	size_t truncated;        /* traces cut short */
	size_t unfinished;       /* processes that ended without exiting: killed or crashed */
	char **unfinished_names; /* "prog (pid 12)", the first few */
	size_t nunfinished_names, unfinished_names_cap;
	/* Every trace's process, to tell an exec (the same pid's next trace
	 * began later) from a kill; unfinished is counted from these by
	 * lg_findings_rank. */
	struct lg_traced_process *traced;
	size_t ntraced, traced_cap;
	size_t components_cut;
	size_t undecided;
	char **notes; /* one line each: trace warnings, unusable modules */
	size_t nnotes, notes_cap;

	struct lg_stall *stalls; /* longest first after lg_findings_rank */
	size_t nstalls, stalls_cap;

	struct lg_left_out *left_out; /* in rank order */
	size_t nleft_out, left_out_cap;
	size_t suppressed, known; /* of left_out: by a rule, in the baseline */
};

void lg_findings_init(struct lg_findings *f);
void lg_findings_free(struct lg_findings *f);

/* Analyzes one process's trace and merges its findings. The trace may be
 * freed afterwards. */
void lg_findings_add_trace(struct lg_findings *f, const struct lg_trace *t,
                           const struct lg_cycle_limits *lim);

/* Orders findings: actual, potential, latent; then by occurrences and
 * processes (more first); then by signature, so the order is stable. */
void lg_findings_rank(struct lg_findings *f);

/* Takes finding i out of the list (the others keep their order) and
 * records it as left out: by `rule` (a suppression), or, when rule is NULL,
 * because the baseline has it. */
void lg_findings_leave_out(struct lg_findings *f, size_t i, const char *rule);

/* Counts by kind. */
size_t lg_findings_count(const struct lg_findings *f, enum lg_finding_kind kind, bool latent);

/* "read" / "write" for an rwlock, "exclusive" for everything else. */
const char *lg_mode_name(const struct lg_flock *l, uint8_t mode);

/* The frame to cite for a stack: the first one with a source line, else
 * the first one. NULL for an empty stack. */
const struct lg_frame *lg_fstack_top(const struct lg_fstack *s);

#endif
