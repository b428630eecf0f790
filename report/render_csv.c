/* The CSV report: one row per occurrence of a finding (per process and
 * time it was seen), the spreadsheet teams otherwise build by hand to rank
 * deadlocks across CI runs. RFC 4180: CRLF line ends, a field is quoted
 * when it holds a comma, a quote, CR or LF, quotes inside are doubled.
 * Values are those of the JSON report (file paths as JSON gives them). */
#include <string.h>

#include "render.h"
#include "render_util.h"

static const char *const columns[] = {"time",       "host",       "pid",       "program",
                                      "signature",  "kind",       "locks",     "function_1",
                                      "location_1", "function_2", "location_2"};

#define NCOLUMNS (sizeof(columns) / sizeof(columns[0]))

static void field(FILE *out, const char *s, size_t column)
{
	if (column)
		fputc(',', out);
	if (!s || !*s)
		return;
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (const char *p = s; *p; p++) {
		if (*p == '"')
			fputc('"', out);
		fputc(*p, out);
	}
	fputc('"', out);
}

static void end_row(FILE *out)
{
	fputs("\r\n", out);
}

/* The function and file:line of the top frame of edge k's acquisition;
 * empty when the cycle has fewer edges (a thread re-locking its own
 * mutex has one) or nothing is known. */
static void edge_site(FILE *out, const struct lg_finding *fi, size_t k, size_t column)
{
	const struct lg_frame *fr = k < fi->nedges ? lg_fstack_top(&fi->edges[k].acquire) : NULL;
	field(out, fr ? fr->function : NULL, column);
	struct lg_strbuf loc = {0};
	if (fr && fr->file && fr->line)
		lg_strbuf_printf(&loc, "%s:%d", fr->file, fr->line);
	field(out, lg_strbuf_str(&loc), column + 1);
	lg_strbuf_free(&loc);
}

static void rows(FILE *out, const struct lg_finding *fi)
{
	struct lg_strbuf locks = {0};
	for (size_t i = 0; i < fi->ncycle_locks; i++)
		lg_strbuf_printf(&locks, "%s%s", i ? " -> " : "", fi->locks[i].description);
	for (size_t i = 0; i < fi->nocc; i++) {
		const struct lg_fprocess *p = &fi->procs[fi->occ[i].proc];
		char when[32], pid[16];
		snprintf(pid, sizeof(pid), "%u", p->pid);
		field(out, lg_render_time(when, sizeof(when), fi->occ[i].wall_ns), 0);
		field(out, p->host, 1);
		field(out, pid, 2);
		field(out, p->exe, 3);
		field(out, fi->signature, 4);
		field(out, lg_render_kind(fi), 5);
		field(out, lg_strbuf_str(&locks), 6);
		edge_site(out, fi, 0, 7);
		edge_site(out, fi, 1, 9);
		end_row(out);
	}
	lg_strbuf_free(&locks);
}

void lg_render_csv(FILE *out, const struct lg_findings *f)
{
	for (size_t i = 0; i < NCOLUMNS; i++)
		field(out, columns[i], i);
	end_row(out);
	for (size_t i = 0; i < f->n; i++)
		rows(out, f->v[i]);
}
