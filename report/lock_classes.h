/* Lock classes (the Linux kernel lockdep's idea, without annotations): the
 * locks one piece of code creates are one class, and an order between two
 * classes is an order between any of their objects. A run that takes
 * accounts[1] then the journal on one path and the journal then accounts[2]
 * on another never takes one object in both orders, so no instance-level
 * cycle exists; but both paths can meet on one account, and then they
 * deadlock. The class graph sees it.
 *
 * A lock's class (classes=init-site, the default):
 *   - created by an init call (pthread_mutex_init, pthread_rwlock_init,
 *     mtx_init): the code location of that call;
 *   - statically initialized: its variable, an element of an array standing
 *     for the whole array (accounts[3].lock is of class accounts[].lock);
 *   - otherwise (a heap lock never initialized by a call): its own class.
 * classes=off (LOCKGRAPH_OPTIONS, or --classes off) reports instances only.
 *
 * What is inferred: a cycle between classes whose witnesses pass every
 * feasibility rule at the level of the objects involved (no trylock,
 * conflicting modes, held sets apart as objects, threads apart), and that is
 * not already an instance-level cycle of the same classes. Nesting within
 * one class (two accounts at once) is no cycle between classes; when the
 * paths disagree on its order, class_nesting.h reports it. Classes are
 * formed per process: two paths that only ever ran in different processes
 * are not combined. */
#ifndef LOCKGRAPH_LOCK_CLASSES_H
#define LOCKGRAPH_LOCK_CLASSES_H

#include <stdbool.h>
#include <stddef.h>

#include "cycles.h"
#include "findings.h"
#include "lock_graph.h"

enum lg_class_mode {
	LG_CLASSES_INIT_SITE, /* the default */
	LG_CLASSES_OFF,
};

/* "off" or "init-site" to a mode; -1 when unknown. */
int lg_class_mode_parse(const char *name, size_t len);

/* The class graph of instance graph g: a node per class (its lock: the
 * first instance seen), an edge per ordered pair of classes with every
 * instance witness of it (from_lock/to_lock say which objects). Instance
 * edges within one class are left out. class_of[n] is the class node of
 * instance node n (caller frees). */
struct lg_graph *lg_class_graph_build(struct lg_findings *f, const struct lg_graph *g,
                                      size_t **class_of);

/* Did an instance cycle already cover class cycle c (the same set of
 * classes)? */
bool lg_class_cycle_covered(const struct lg_cycle *c, const struct lg_cycles *instance,
                            const size_t *class_of);

/* Turns lock (an instance, filled by lg_finding_lock) into its class: the
 * description becomes "mutexes created at account_init (bank.c:41)" or
 * "accounts[].lock", the name the array's (else NULL). */
void lg_class_describe(struct lg_findings *f, const struct lg_trace *t, struct lg_flock *lock);

#endif
