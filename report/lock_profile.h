/* The lock profile of a run (`lockgraph run --profile`, or traces written
 * with LOCKGRAPH_OPTIONS=profile=1): the PROFILE records of every trace,
 * summed per lock and per call site that took it, and per thread. A lock is
 * known by its description (its variable name, or where it was created), so
 * the same lock in many processes of a run is one row; a call site by its
 * function, file and line. */
#ifndef LOCKGRAPH_LOCK_PROFILE_H
#define LOCKGRAPH_LOCK_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lg_findings;
struct lg_trace;

struct lg_profile_counts {
	uint64_t acquisitions;
	uint64_t contended; /* acquisitions that had to wait */
	uint64_t wait_ns, wait_max_ns;
	uint64_t hold_ns, hold_max_ns;
};

struct lg_profile_site {
	char *function; /* NULL when unknown */
	char *file;     /* full path as DWARF names it; NULL when unknown */
	int line;
	char *where; /* "function (file.c:12)", or "module+0x1234" */
	struct lg_profile_counts c;
};

struct lg_profile_lock {
	char *description;
	const char *kind; /* "mutex", "rwlock", ... */
	struct lg_profile_counts c;
	struct lg_profile_site *sites; /* by wait, then hold, after sorting */
	size_t nsites, sites_cap;
};

struct lg_profile_thread {
	char *name; /* "main", its own name, or NULL */
	char *program;
	uint32_t pid, tid;
	uint64_t acquisitions, contended, wait_ns;
};

enum lg_profile_sort {
	LG_PROFILE_BY_WAIT, /* total wait (the default) */
	LG_PROFILE_BY_HOLD, /* total hold */
	LG_PROFILE_BY_CONTENDED,
	LG_PROFILE_BY_ACQUISITIONS,
	LG_PROFILE_BY_MAX_WAIT,
};

struct lg_profile {
	bool present; /* some trace had profile records */
	struct lg_profile_lock *locks;
	size_t nlocks, locks_cap;
	struct lg_profile_thread *threads;
	size_t nthreads, threads_cap;
	size_t top; /* rows the text and HTML tables show */
	enum lg_profile_sort sort;
	void *index; /* description -> lock (private) */
};

/* Adds trace t's profile records (symbolized through f). */
void lg_profile_add_trace(struct lg_findings *f, const struct lg_trace *t);

/* Orders locks, their sites and the threads by `by`, most first. */
void lg_profile_sort(struct lg_profile *p, enum lg_profile_sort by);

/* The sort key's name ("wait", "hold", "contended", "acquisitions",
 * "max-wait"), and back (-1 when unknown). */
const char *lg_profile_sort_name(enum lg_profile_sort by);
int lg_profile_sort_parse(const char *name);

void lg_profile_free(struct lg_profile *p);

#endif
