/* LOCKGRAPH_OPTIONS: key=value pairs separated by ':' or ',', as the
 * sanitizers take theirs (so a value, such as the out directory, can hold
 * neither). Every option is in the table in options.c, which is also what
 * docs list. A bad entry is warned about once and the default kept. */
#ifndef LOCKGRAPH_OPTIONS_H
#define LOCKGRAPH_OPTIONS_H

#include <limits.h>

/* What separates LOCKGRAPH_OPTIONS entries; the lockgraph command reads
 * the same variable (its fail_on and classes) with these. */
#define LG_OPTIONS_SEPARATORS ":,"

struct lg_options {
	char out[PATH_MAX]; /* directory for trace files */
	char run[64];       /* run id recorded in the trace (set by `lockgraph run`) */
	int max_frames;     /* frames kept per stack */
	int verbosity;      /* 0 silent, 1 prints the trace path at exit */
	int on_deadlock;    /* enum lg_deadlock_action: what to do when threads are stuck */
	int exitcode;       /* the process's exit status for on_deadlock=exit */
	int wait_warn_ms;   /* record waits longer than this (0: off) */
	int hold_warn_ms;   /* record holds longer than this (0: off) */
	int fail_on;        /* the lockgraph command's, checked here only */
	int classes;        /* the same */
	int max_locks;      /* caps on what the preload keeps: past them, a */
	int max_edges;      /* warning in the trace, and the rest untracked */
	int max_stacks;
	int profile; /* 1: keep the lock profile (profile.h) */
	/* Derived: hold_warn_ms or profile, so each lock and unlock looks at
	 * one flag to know whether to take times. */
	int timing;
};

extern struct lg_options lg_opts;

/* Resets to defaults, then applies spec (may be NULL). Problems are kept
 * and reported by lg_options_report_problems once the trace is open. */
void lg_options_parse(const char *spec);

/* Number of problems found by the last parse, and the i-th message. */
int lg_options_problem_count(void);
const char *lg_options_problem(int i);

#endif
