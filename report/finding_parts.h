/* Private to the finding builders (findings.c, cycle_findings.c,
 * deadlock_findings.c, lock_profile.c): how locks, threads and stacks of one trace become
 * the symbolized, labelled parts of a finding, and its signature. */
#ifndef LOCKGRAPH_FINDING_PARTS_H
#define LOCKGRAPH_FINDING_PARTS_H

#include "findings.h"
#include "lock_graph.h"

/* A note for the report (deduplicated). */
void lg_finding_note(struct lg_findings *f, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* Symbolizes stack `id` of trace t (0: none, marked missing). */
void lg_finding_stack(struct lg_findings *f, const struct lg_trace *t, uint32_t id,
                      struct lg_fstack *out);
void lg_fstack_free(struct lg_fstack *s);

/* Names and describes lock `id` of trace t into out (label set by caller). */
void lg_finding_lock(struct lg_findings *f, const struct lg_trace *t, uint32_t id,
                     struct lg_flock *out);
void lg_flock_free(struct lg_flock *l);

/* The variable lock l is (or is in), "accounts[1].lock"; NULL for a heap
 * lock or one without symbols. Valid until the symbolizer is freed. */
const char *lg_finding_lock_variable(struct lg_findings *f, const struct lg_trace *t,
                                     const struct lg_trace_lock *l);

/* The index of trace thread `id` among fi's threads, added (labelled T<n>,
 * named, with its creation stack) if new. ids[i] holds the trace id of
 * fi->threads[i]; fi->threads has room. */
size_t lg_finding_thread(struct lg_findings *f, const struct lg_trace *t, struct lg_finding *fi,
                         uint32_t id, uint32_t *ids);

/* Sets fi->signature from its kind, locks and edges (never addresses). */
/* A thread's own name, or NULL when it only inherited the program's. */
char *lg_finding_thread_name(const struct lg_trace *t, const struct lg_trace_thread *th);

void lg_finding_sign(struct lg_finding *fi, const struct lg_trace *t);

void lg_finding_free(struct lg_finding *fi);

const char *lg_base_name(const char *path);

/* The builders. */
struct lg_finding *lg_finding_from_cycle(struct lg_findings *f, const struct lg_graph *g,
                                         const struct lg_cycle *c, bool class_scope);
struct lg_finding *lg_finding_from_deadlock(struct lg_findings *f, const struct lg_trace *t,
                                            const struct lg_trace_deadlock *d);

/* Adds (or merges) a long wait or hold. */
void lg_stall_add(struct lg_findings *f, const struct lg_trace *t, const struct lg_trace_long *l);
void lg_stall_free(struct lg_stall *s);

/* "function (file:line)" or "module+0xoffset" for the frame a stack is cited
 * by, appended to b. */
struct lg_strbuf;
void lg_finding_describe_top(struct lg_strbuf *b, const struct lg_fstack *s,
                             const struct lg_trace *t);

#endif
