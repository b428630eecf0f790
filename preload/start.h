/* Bringing up the preload's state, separate from the constructor that calls
 * it (lifecycle.c) so tests can start a core of their own. */
#ifndef LOCKGRAPH_START_H
#define LOCKGRAPH_START_H

#include <stdbool.h>

/* Parses options (LOCKGRAPH_OPTIONS syntax, may be NULL), creates the
 * tables, opens the trace and writes the module map. False when lockgraph
 * can not record (a warning was printed); calls must then be passed on. */
bool lg_start_core(const char *options);

#endif
