/* See strbuf.h. */
#include "strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

void lg_strbuf_add(struct lg_strbuf *b, const char *s, size_t n)
{
	lg_grow(&b->s, &b->cap, b->len + n + 1, 1);
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = 0;
}

void lg_strbuf_puts(struct lg_strbuf *b, const char *s)
{
	lg_strbuf_add(b, s, strlen(s));
}

void lg_strbuf_printf(struct lg_strbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	lg_grow(&b->s, &b->cap, b->len + (size_t)n + 1, 1);
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

const char *lg_strbuf_str(const struct lg_strbuf *b)
{
	return b->s ? b->s : "";
}

void lg_strbuf_reset(struct lg_strbuf *b)
{
	b->len = 0;
	if (b->s)
		b->s[0] = 0;
}

void lg_strbuf_free(struct lg_strbuf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
}
