/* A baseline: the findings of an earlier JSON report (`lockgraph report
 * --format json`), by signature. With --baseline, only findings it does not
 * have are shown and count for the exit status: CI fails on what is new. */
#ifndef LOCKGRAPH_BASELINE_H
#define LOCKGRAPH_BASELINE_H

#include <stdbool.h>

struct lg_baseline;

/* Reads the signatures of the report at path. On a missing or unreadable
 * file, or one that is not a lockgraph JSON report, prints an error naming
 * it and returns NULL. */
struct lg_baseline *lg_baseline_load(const char *path);

bool lg_baseline_has(const struct lg_baseline *b, const char *signature);

void lg_baseline_free(struct lg_baseline *b);

#endif
