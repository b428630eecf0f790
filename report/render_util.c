/* See render_util.h. */
#include "render_util.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

const char *lg_render_kind(const struct lg_finding *fi)
{
	if (fi->kind == LG_FINDING_ACTUAL)
		return "actual-deadlock";
	return fi->latent ? "latent" : "potential-deadlock";
}

const char *lg_render_kind_title(const struct lg_finding *fi)
{
	if (fi->kind == LG_FINDING_ACTUAL)
		return fi->broken_by_timeout ? "deadlock broken by a timeout" : "deadlock";
	return fi->latent ? "latent lock-order inversion" : "potential deadlock";
}

char *lg_render_time(char *buf, size_t size, uint64_t wall_ns)
{
	time_t secs = (time_t)(wall_ns / 1000000000u);
	struct tm tm;
	buf[0] = 0;
	/* gmtime_r, never localtime: the same trace gives the same bytes
	 * wherever it is reported. */
	if (wall_ns == 0 || !gmtime_r(&secs, &tm))
		return buf;
	size_t n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, size - n, ".%03uZ", (unsigned)(wall_ns / 1000000u % 1000u));
	return buf;
}

/* Where every thread or process starts: nothing to learn from these. */
static bool entry_frame(const struct lg_frame *fr)
{
	static const char *const names[] = {"start_thread",
	                                    "__clone3",
	                                    "clone",
	                                    "__clone",
	                                    "__libc_start_call_main",
	                                    "__libc_start_main",
	                                    "__libc_start_main_impl",
	                                    "_start"};
	for (size_t i = 0; fr->function && i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(fr->function, names[i]) == 0)
			return true;
	return false;
}

size_t lg_render_frames(const struct lg_fstack *s)
{
	size_t n = s->n;
	while (n > 1 && entry_frame(&s->frames[n - 1]))
		n--;
	return n;
}

void lg_render_thread(struct lg_strbuf *b, const struct lg_fthread *t)
{
	lg_strbuf_puts(b, t->label);
	if (t->name)
		lg_strbuf_printf(b, " '%s'", t->name);
	if (t->main_thread)
		lg_strbuf_puts(b, " (main thread)");
}

const struct lg_frame *lg_render_where(const struct lg_finding *fi)
{
	return fi->nedges ? lg_fstack_top(&fi->edges[fi->reversing_edge].acquire) : NULL;
}

int lg_utf8_length(const unsigned char *p)
{
	if (p[0] < 0x80)
		return 1;
	int n = p[0] >= 0xf0 && p[0] <= 0xf4 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc2 ? 2 : 0;
	if (p[0] >= 0xf5)
		return 0;
	for (int i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return n;
}
