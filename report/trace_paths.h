/* Which files `lockgraph report PATH...` reads: a file is read as given; a
 * directory contributes every *.lgt file below it, in name order, so the
 * same directory always gives the same report. */
#ifndef LOCKGRAPH_TRACE_PATHS_H
#define LOCKGRAPH_TRACE_PATHS_H

#include <stddef.h>

struct lg_path_list {
	char **paths;
	size_t n, cap;
};

/* Adds the traces named by arg. Returns -1 (error printed) when arg does
 * not exist or can not be read. */
int lg_trace_paths_add(struct lg_path_list *list, const char *arg);

void lg_trace_paths_free(struct lg_path_list *list);

#endif
