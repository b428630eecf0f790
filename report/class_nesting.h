/* Nesting within one lock class: two objects of one class held at once
 * (two accounts of a transfer, a directory and its entry). That alone is no
 * cycle; it can deadlock only when the code paths disagree on which of the
 * two comes first. lockgraph infers the order a path follows from the
 * objects' addresses, and reports a class finding when:
 *   - one path (the code locations that took the outer and the inner lock)
 *     took at least two different pairs of the class, all in the same
 *     address order: it orders by address;
 *   - another path took a pair of the class in the opposite order (it
 *     orders by its arguments, or the other way round), and never the same
 *     two objects both ways (that is an instance cycle, reported as such);
 *   - the class's nesting is not a tree: some object was taken inside two
 *     different objects of its class. A hierarchy taken parent before child
 *     gives every object one parent; its order is the tree's, and addresses
 *     say nothing about it;
 *   - the two acquisitions pass the feasibility rules of any cycle
 *     (cycles.h): modes that conflict, held sets apart, threads apart (else
 *     latent).
 * Where this can be wrong: code that orders every path by something other
 * than address (an account number, a tree's shape) can look address-ordered
 * in one path by chance; the two-pair minimum and the tree rule make that
 * unlikely, not impossible, and such a finding is suppressed by signature.
 * Not seen: a path that mixes both orders on its own, or took one pair only,
 * next to no path that orders by address. */
#ifndef LOCKGRAPH_CLASS_NESTING_H
#define LOCKGRAPH_CLASS_NESTING_H

#include <stddef.h>

#include "cycles.h"
#include "findings.h"
#include "lock_graph.h"

/* The within-class findings of instance graph g, whose class graph is cg
 * (class_of: lock_classes.h), at most one per class: how many, in a new
 * array *out (the caller frees it and owns the findings). */
size_t lg_class_nesting_find(struct lg_findings *f, const struct lg_graph *g,
                             const struct lg_graph *cg, const size_t *class_of,
                             const struct lg_cycle_limits *lim, struct lg_finding ***out);

#endif
