/* Symbolization with elfutils libdw: code addresses to function, file and
 * line (inlined calls expanded), data addresses to variable names.
 *
 * Works offline from the module map a trace recorded: each module is opened
 * once (keyed by path and build-id) and queried with module-relative
 * addresses, so any number of processes that loaded the same file at
 * different addresses share one open module. Its file and debug info are
 * looked up by build-id, in this order: the recorded path (if the file
 * there has that build-id), the --debug-dir trees, the system's
 * /usr/lib/debug, then debuginfod if asked (see lg_symbolizer_set_search).
 * A module found nowhere yields frames with only the pc and module filled
 * in, never a wrong name.
 *
 * Not thread-safe: one symbolizer per thread. */
#ifndef LOCKGRAPH_SYMBOLIZE_H
#define LOCKGRAPH_SYMBOLIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A module as the trace recorded it (struct lg_rec_module plus tail). */
struct lg_module_ref {
	const char *path;
	const uint8_t *build_id;
	size_t build_id_len;
	uint64_t bias; /* run-time address minus link-time address */
	uint64_t lo, hi;
};

/* One source-level frame. Strings are owned by the symbolizer and live until
 * lg_symbolizer_free. */
struct lg_frame {
	uint64_t pc;          /* the address as recorded in the trace */
	const char *function; /* NULL if unknown */
	const char *file;     /* as DWARF names it (usually absolute); NULL if unknown */
	int line;             /* 0 if unknown */
	const char *module;   /* module path; NULL if the pc is in no known module */
	uint64_t offset;      /* pc in the module's file (pc - load bias): module+offset
	                       * names the code across runs; 0 when module is NULL */
	bool inlined;         /* inlined into the frame that follows it */
};

struct lg_symbolizer;

struct lg_symbolizer *lg_symbolizer_new(void);
void lg_symbolizer_free(struct lg_symbolizer *sym);

/* Where to look for a module's file and debug info besides its recorded
 * path; call before the first lookup (a new symbolizer searches only the
 * system's /usr/lib/debug). dirs: --debug-dir trees, searched in order
 * before the system's, each for .build-id/xx/yyyy (the module itself) and
 * .build-id/xx/yyyy.debug (its separate debug file), as gdb and elfutils
 * lay them out. debuginfod_urls: servers to ask last, in DEBUGINFOD_URLS
 * syntax, through elfutils' libdebuginfod (and its cache); NULL asks none.
 * DEBUGINFOD_URLS itself must not be set in the environment, or libdwfl
 * asks those servers on its own (pipeline.c removes it): the symbolizer
 * sets it only around its own queries. Both arguments are copied. */
void lg_symbolizer_set_search(struct lg_symbolizer *sym, const char *const *dirs, size_t ndirs,
                              const char *debuginfod_urls);

/* Whether elfutils' debuginfod client library (libdebuginfod.so.1) can be
 * loaded, which asking servers needs. */
bool lg_symbolizer_debuginfod_available(void);

/* Symbolizes one recorded address of module m (m may be NULL: the address
 * was in no known module). Recorded addresses are return addresses, so the
 * lookup uses pc - 1 (the call instruction's line, not the next one).
 * Writes the innermost inlined frame first, then its callers within the same
 * function, up to max frames; returns how many were written (at least 1 when
 * max >= 1: an unknown address still yields a frame with pc and module). */
int lg_symbolize_pc(struct lg_symbolizer *sym, const struct lg_module_ref *m, uint64_t pc,
                    struct lg_frame *out, int max);

/* Names the variable that holds data address addr in module m, as C would
 * write it: "ledger_lock", "accounts[1].lock", "cache.buckets[3].mu". Uses
 * DWARF when present, else the ELF symbol table ("table+0x40" when the
 * address is inside a symbol but no type information describes it). Returns
 * NULL when no global or static variable covers addr (heap or stack). */
const char *lg_symbolize_data(struct lg_symbolizer *sym, const struct lg_module_ref *m,
                              uint64_t addr);

/* Why module m has no symbols: NULL when its file or debug info was found
 * (at its path or by build-id elsewhere), else a short reason about the
 * file at the recorded path ("file not found", "build-id differs"). */
const char *lg_symbolizer_module_problem(struct lg_symbolizer *sym, const struct lg_module_ref *m);

/* A one-line note for the report about module m, or NULL when there is
 * nothing to say: no symbols for its build-id anywhere (the path and
 * build-id named, and where it looked), or the file at its path was
 * rebuilt since the run (old and new build-id, and where symbols came from
 * instead, if anywhere). With innermost (m holds the innermost frame of a
 * stack: where a lock was taken or a thread created), also a module found
 * without debug info, whose frames then lack files and lines. The string
 * lives until lg_symbolizer_free. */
const char *lg_symbolizer_module_note(struct lg_symbolizer *sym, const struct lg_module_ref *m,
                                      bool innermost);

#endif
