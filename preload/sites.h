/* Call sites: the return addresses of locking calls. A site where a lock
 * was once held while another was taken is "nesting": from then on every
 * acquisition there captures its full stack, so the next new lock-order
 * edge through that site shows the whole path to the held lock, not only
 * the call site. Most sites never nest and never pay for an unwind. */
#ifndef LOCKGRAPH_SITES_H
#define LOCKGRAPH_SITES_H

#include <stdbool.h>
#include <stdint.h>

#include "table.h"

struct lg_site {
	struct lg_table_node node; /* key: the return address */
	_Atomic uint8_t nesting;
};

bool lg_sites_init(void);

/* The site for pc, created if new (*created set then). NULL when out of
 * memory. */
struct lg_site *lg_sites_get(uintptr_t pc, bool *created);

#endif
