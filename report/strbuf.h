/* A growable string, for report text and signatures. */
#ifndef LOCKGRAPH_STRBUF_H
#define LOCKGRAPH_STRBUF_H

#include <stddef.h>

struct lg_strbuf {
	char *s; /* always NUL-terminated once anything was added */
	size_t len, cap;
};

void lg_strbuf_add(struct lg_strbuf *b, const char *s, size_t n);
void lg_strbuf_puts(struct lg_strbuf *b, const char *s);
void lg_strbuf_printf(struct lg_strbuf *b, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
/* The text so far ("" when empty); stays owned by b. */
const char *lg_strbuf_str(const struct lg_strbuf *b);
void lg_strbuf_reset(struct lg_strbuf *b);
void lg_strbuf_free(struct lg_strbuf *b);

#endif
