/* See markup.h. */
#include "markup.h"

#include <stdarg.h>
#include <stdlib.h>

#include "error.h"
#include "render_util.h"

void lg_markup_text(FILE *out, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
		switch (*p) {
		case '&':
			fputs("&amp;", out);
			continue;
		case '<':
			fputs("&lt;", out);
			continue;
		case '>':
			fputs("&gt;", out);
			continue;
		case '"':
			fputs("&quot;", out);
			continue;
		case '\'':
			fputs("&#39;", out);
			continue;
		case '\t':
		case '\n':
			fputc(*p, out);
			continue;
		default:
			break;
		}
		int n = lg_utf8_length(p);
		if (n == 0 || *p < 0x20 || *p == 0x7f) {
			fputs("\xef\xbf\xbd", out); /* U+FFFD */
			continue;
		}
		fwrite(p, 1, (size_t)n, out);
		p += n - 1;
	}
}

void lg_markup_printf(FILE *out, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	char *s = lg_xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	lg_markup_text(out, s);
	free(s);
}
