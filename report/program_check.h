/* Can a program run under LD_PRELOAD at all? A statically linked binary
 * has no dynamic loader to preload anything; a set-user-ID or set-group-ID
 * binary run by someone else runs in secure mode, where the loader ignores
 * LD_PRELOAD; a binary built with ThreadSanitizer carries a runtime that
 * intercepts the same calls and insists on being first. In each case
 * lockgraph would silently see nothing, so `lockgraph run` says so. */
#ifndef LOCKGRAPH_PROGRAM_CHECK_H
#define LOCKGRAPH_PROGRAM_CHECK_H

/* Why program (a path, or a name looked up in PATH as execvp does) can not
 * be preloaded; NULL when it can, or when this can not be told (not found,
 * not an ELF file: a script's interpreter is what runs). */
const char *lg_program_unpreloadable(const char *program);

#endif
