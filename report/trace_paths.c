/* See trace_paths.h. */
#define _GNU_SOURCE
#include "trace_paths.h"

#include <errno.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "error.h"
#include "trace_format.h"

static void push(struct lg_path_list *list, const char *path)
{
	lg_grow(&list->paths, &list->cap, list->n, sizeof(*list->paths));
	list->paths[list->n++] = lg_xstrdup(path);
}

static int cmp_paths(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* nftw has no user argument. */
static struct lg_path_list *walk_list;
static int walk_error;

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_DNR) {
		walk_error = lg_error("cannot read directory '%s': permission denied", path);
		return 0;
	}
	size_t len = strlen(path), slen = strlen(LG_TRACE_SUFFIX);
	if (type == FTW_F && len > slen && strcmp(path + len - slen, LG_TRACE_SUFFIX) == 0)
		push(walk_list, path);
	return 0;
}

int lg_trace_paths_add(struct lg_path_list *list, const char *arg)
{
	struct stat st;
	if (stat(arg, &st) != 0)
		return lg_error("cannot read '%s': %s", arg, strerror(errno));
	if (!S_ISDIR(st.st_mode)) {
		push(list, arg);
		return 0;
	}
	size_t first = list->n;
	walk_list = list;
	walk_error = 0;
	if (nftw(arg, visit, 32, FTW_PHYS) != 0)
		return lg_error("cannot read directory '%s': %s", arg, strerror(errno));
	if (list->n - first > 1) /* qsort wants a valid pointer even for 0 */
		qsort(list->paths + first, list->n - first, sizeof(*list->paths), cmp_paths);
	return walk_error;
}

void lg_trace_paths_free(struct lg_path_list *list)
{
	for (size_t i = 0; i < list->n; i++)
		free(list->paths[i]);
	free(list->paths);
	list->paths = NULL;
	list->n = list->cap = 0;
}
