/* Text into HTML and SVG (XML): every string from a trace (paths, thread
 * names, function names) goes through here, so none can open a tag, end an
 * attribute or carry bytes an XML parser rejects. */
#ifndef LOCKGRAPH_MARKUP_H
#define LOCKGRAPH_MARKUP_H

#include <stdio.h>

/* Writes s escaped for element content and quoted attribute values:
 * & < > " ' as entities; bytes that are not valid UTF-8, and control
 * characters XML 1.0 forbids, as U+FFFD. NULL writes nothing. */
void lg_markup_text(FILE *out, const char *s);

/* printf, then lg_markup_text of the result: for text built from numbers
 * and strings at once. */
void lg_markup_printf(FILE *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
