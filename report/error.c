/* See error.h. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void say(const char *level, const char *fmt, va_list ap)
{
	fprintf(stderr, "lockgraph: %s: ", level);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int lg_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	say("error", fmt, ap);
	va_end(ap);
	return -1;
}

void lg_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	say("warning", fmt, ap);
	va_end(ap);
}

void lg_note(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	say("note", fmt, ap);
	va_end(ap);
}

static void *check(void *p)
{
	if (!p) {
		fputs("lockgraph: error: out of memory\n", stderr);
		exit(LG_EXIT_INTERNAL);
	}
	return p;
}

void *lg_xmalloc(size_t size)
{
	return check(malloc(size ? size : 1));
}

void *lg_xcalloc(size_t n, size_t size)
{
	return check(calloc(n ? n : 1, size ? size : 1));
}

void *lg_xrealloc(void *p, size_t size)
{
	return check(realloc(p, size ? size : 1));
}

char *lg_xstrdup(const char *s)
{
	return check(strdup(s));
}

char *lg_xstrndup(const char *s, size_t n)
{
	return check(strndup(s, n));
}

void lg_grow(void *array_ptr, size_t *cap, size_t need, size_t elem_size)
{
	if (need < *cap)
		return;
	size_t ncap = *cap ? *cap * 2 : 8;
	while (ncap <= need)
		ncap *= 2;
	void **array = array_ptr;
	*array = lg_xrealloc(*array, ncap * elem_size);
	memset((char *)*array + *cap * elem_size, 0, (ncap - *cap) * elem_size);
	*cap = ncap;
}
