/* Call sites: the return addresses of locking calls. A site where a lock
 * was once held while another was taken is "nesting": from then on
 * acquisitions there capture their full stack, so the next new lock-order
 * edge through that site shows the whole path to the held lock, not only
 * the call site. Most sites never nest and never pay for an unwind.
 *
 * A nesting site in a hot loop would unwind on every iteration for edges
 * long known. So each thread counts the stacks it captured at a site since
 * one was last used by a new edge; after LG_SITE_SETTLED unused ones the
 * site is settled for that thread and stops unwinding. A new edge through a
 * settled site then shows only its call site, and re-arms it. */
#ifndef LOCKGRAPH_SITES_H
#define LOCKGRAPH_SITES_H

#include <stdbool.h>
#include <stdint.h>

#include "table.h"

#define LG_SITE_SETTLED 64

struct lg_site {
	struct lg_table_node node; /* key: the return address */
	_Atomic uint8_t nesting;
};

bool lg_sites_init(void);

/* The site for pc, created if new (*created set then). NULL when out of
 * memory. */
struct lg_site *lg_sites_get(uintptr_t pc, bool *created);

#endif
