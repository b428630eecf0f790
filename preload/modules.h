/* The module map: every ELF object loaded in the process (path, address
 * span, load bias, build-id), written to the trace before any stack that
 * points into it, so the reporter can symbolize without the process. */
#ifndef LOCKGRAPH_MODULES_H
#define LOCKGRAPH_MODULES_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct lg_module {
	uint64_t bias, lo, hi;
	uint8_t build_id[32];
	uint8_t build_id_len;
	uint8_t flags;     /* enum lg_module_flags */
	_Atomic bool gone; /* unloaded (dlclose), or replaced by another object */
	uint32_t seen;     /* the last scan that found it (module lock) */
	uint32_t written_epoch;
	const char *path;
};

/* Registers the module lock; call before the trace lock is registered. */
void lg_modules_init(void);

/* Adds every loaded object not known yet and writes it to the trace. */
void lg_modules_scan(void);

/* True for addresses inside liblockgraph itself (frames to skip). */
bool lg_modules_is_self(uintptr_t pc);

/* Makes sure each address is inside a known module, rescanning the loaded
 * objects if one is not and the loader loaded or unloaded something since
 * the last scan (a library dlopen'ed), and writes new modules to the trace.
 * Addresses in no module at all (JIT code, the heap) stay unknown, at the
 * cost of asking the loader for its counts. Takes the module lock, then the
 * trace lock. */
void lg_modules_cover(const uint64_t *pcs, unsigned n);

/* Calls fn for each known module; caller holds nothing. Used to write the
 * whole map into a new trace file. */
void lg_modules_each(void (*fn)(struct lg_module *m));

#endif
