/* Symbolization with elfutils libdw: code addresses to function, file and
 * line (inlined calls expanded), data addresses to variable names.
 *
 * Works offline from the module map a trace recorded: each module is opened
 * from its recorded path once (keyed by path and build-id) and queried with
 * module-relative addresses, so any number of processes that loaded the same
 * file at different addresses share one open module. A module whose file is
 * missing, unreadable or has a different build-id yields frames with only
 * the pc and module filled in, never a wrong name.
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
	bool inlined;         /* inlined into the frame that follows it */
};

struct lg_symbolizer;

struct lg_symbolizer *lg_symbolizer_new(void);
void lg_symbolizer_free(struct lg_symbolizer *sym);

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

/* Why the last lookup in module m found nothing: NULL when the module opened
 * fine, else a short reason ("file not found", "build-id differs"). */
const char *lg_symbolizer_module_problem(struct lg_symbolizer *sym, const struct lg_module_ref *m);

#endif
