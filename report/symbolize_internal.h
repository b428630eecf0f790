/* Private to the symbolizer: what symbolize.c (modules, caches, code
 * addresses) and symbolize_data.c (data addresses to variable names) share.
 * Nothing outside those two files includes this. */
#ifndef LOCKGRAPH_SYMBOLIZE_INTERNAL_H
#define LOCKGRAPH_SYMBOLIZE_INTERNAL_H

#include <elfutils/libdwfl.h>
#include <stdbool.h>
#include <stddef.h>

/* Room for one variable name, "+0x..." included. A longer member path is
 * cut at the deepest element that fits and the rest given as an offset. */
#define LG_SYMBOLIZE_NAME_MAX 256

/* One module's global and static variables from DWARF, sorted by address;
 * built on the first data lookup in that module. */
struct lg_symbolize_vars;

/* Writes the C name of the global or static variable covering addr (an
 * address in mod's Dwfl address space) into buf: DWARF first, then the ELF
 * symbol table. *vars is mod's variable table; it is built here on first
 * use and must be freed with lg_symbolize_data_free. Returns false, buf
 * untouched, when nothing covers addr. Prints nothing. */
bool lg_symbolize_data_name(Dwfl_Module *mod, struct lg_symbolize_vars **vars, Dwarf_Addr addr,
                            char *buf, size_t len);

void lg_symbolize_data_free(struct lg_symbolize_vars *vars);

#endif
