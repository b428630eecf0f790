/* Messages and exit statuses of the `lockgraph` command, in git's style:
 * lower case, what failed first, the subject in quotes, no final stop.
 *   lockgraph: error: cannot read 'out/app.4711.lgt': not a lockgraph trace
 * lg_error returns -1 so a failure path is one `return lg_error(...)`. */
#ifndef LOCKGRAPH_ERROR_H
#define LOCKGRAPH_ERROR_H

#include <stddef.h>

enum lg_exit {
	LG_EXIT_CLEAN = 0,      /* report: nothing found */
	LG_EXIT_USAGE = 2,      /* bad option, or input that can not be used */
	LG_EXIT_FOUND = 66,     /* a deadlock was found (default; --exitcode) */
	LG_EXIT_INTERNAL = 125, /* lockgraph itself could not work (no preload library) */
	LG_EXIT_NOEXEC = 126,   /* run: the program is not executable */
	LG_EXIT_NOTFOUND = 127, /* run: the program does not exist */
};

int lg_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void lg_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void lg_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Allocation that can not fail: out of memory prints an error and exits
 * with LG_EXIT_INTERNAL (the reporter has nothing useful to do then). */
void *lg_xmalloc(size_t size);
void *lg_xcalloc(size_t n, size_t size);
void *lg_xrealloc(void *p, size_t size);
char *lg_xstrdup(const char *s);
char *lg_xstrndup(const char *s, size_t n);

/* Grows *array (of *cap elements of elem_size) so index `need` fits. */
void lg_grow(void *array_ptr, size_t *cap, size_t need, size_t elem_size);

#endif
