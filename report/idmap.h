/* A map from nonzero 64-bit keys to nonzero 64-bit values (open
 * addressing). Trace ids can be sparse and come from untrusted files, so
 * they are never used as array indices directly. */
#ifndef LOCKGRAPH_IDMAP_H
#define LOCKGRAPH_IDMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lg_idmap {
	uint64_t *keys, *vals;
	size_t slots, n;
};

/* Adds key -> val (both nonzero); false if key is already there. */
bool lg_idmap_put(struct lg_idmap *m, uint64_t key, uint64_t val);

/* The value for key, 0 if absent. */
uint64_t lg_idmap_get(const struct lg_idmap *m, uint64_t key);

void lg_idmap_free(struct lg_idmap *m);

#endif
