/* The lock profile ("Contended locks") in text, JSON and HTML: the same
 * rows in each, so a person and a tool read the same ranking. Text and HTML
 * show the top rows (--top), JSON all of them. */
#include "render_profile.h"

#include <inttypes.h>

#include "markup.h"

/* "812.4 ms", "35.0 us", "2.31 s": a duration as a person reads it. */
static const char *duration(char *buf, size_t size, uint64_t ns)
{
	if (ns == 0)
		snprintf(buf, size, "0");
	else if (ns >= 10000000000ULL)
		snprintf(buf, size, "%.1f s", (double)ns / 1e9);
	else if (ns >= 1000000000ULL)
		snprintf(buf, size, "%.2f s", (double)ns / 1e9);
	else if (ns >= 1000000ULL)
		snprintf(buf, size, "%.1f ms", (double)ns / 1e6);
	else
		snprintf(buf, size, "%.1f us", (double)ns / 1e3);
	return buf;
}

static size_t shown(const struct lg_profile *p, size_t n)
{
	return p->top && p->top < n ? p->top : n;
}

/* Sites per lock shown in text and HTML: the ones that matter. */
#define SITES_SHOWN   3
#define THREADS_SHOWN 5

static const char *thread_label(char *buf, size_t size, const struct lg_profile_thread *th)
{
	if (th->name)
		snprintf(buf, size, "'%s' (%s, pid %" PRIu32 ", tid %" PRIu32 ")", th->name,
		         th->program, th->pid, th->tid);
	else
		snprintf(buf, size, "thread %" PRIu32 " (%s, pid %" PRIu32 ")", th->tid,
		         th->program, th->pid);
	return buf;
}

void lg_render_profile_text(FILE *out, const struct lg_profile *p)
{
	if (!p->present)
		return;
	size_t n = shown(p, p->nlocks);
	fprintf(out, "Contended locks (lock profile: %zu lock%s, by %s%s):\n", p->nlocks,
	        p->nlocks == 1 ? "" : "s", lg_profile_sort_name(p->sort),
	        n < p->nlocks ? ", top rows" : "");
	fprintf(out, "  %3s  %-28s %10s %10s %11s %10s %11s %10s\n", "#", "lock", "acquired",
	        "waited", "wait total", "wait max", "hold total", "hold max");
	char a[32], b[32], c[32], d[32];
	for (size_t i = 0; i < n; i++) {
		const struct lg_profile_lock *l = &p->locks[i];
		fprintf(out, "  %3zu  %-28s %10" PRIu64 " %10" PRIu64 " %11s %10s %11s %10s\n",
		        i + 1, l->description, l->c.acquisitions, l->c.contended,
		        duration(a, sizeof(a), l->c.wait_ns),
		        duration(b, sizeof(b), l->c.wait_max_ns),
		        duration(c, sizeof(c), l->c.hold_ns),
		        duration(d, sizeof(d), l->c.hold_max_ns));
		for (size_t k = 0; k < l->nsites && k < SITES_SHOWN; k++) {
			const struct lg_profile_site *s = &l->sites[k];
			fprintf(out,
			        "         taken at %s: %" PRIu64 " times, waited %" PRIu64
			        " times (%s), held %s\n",
			        s->where, s->c.acquisitions, s->c.contended,
			        duration(a, sizeof(a), s->c.wait_ns),
			        duration(b, sizeof(b), s->c.hold_ns));
		}
		if (l->nsites > SITES_SHOWN)
			fprintf(out, "         ... and %zu more call sites\n",
			        l->nsites - SITES_SHOWN);
	}
	size_t waiting = 0;
	for (size_t i = 0; i < p->nthreads; i++)
		waiting += p->threads[i].wait_ns > 0;
	if (!waiting) {
		fprintf(out, "  No thread had to wait for a lock.\n\n");
		return;
	}
	fprintf(out, "  Threads waiting longest:");
	for (size_t i = 0; i < p->nthreads && i < THREADS_SHOWN && p->threads[i].wait_ns; i++) {
		char label[160];
		fprintf(out, "%s %s %s", i ? "," : "",
		        thread_label(label, sizeof(label), &p->threads[i]),
		        duration(a, sizeof(a), p->threads[i].wait_ns));
	}
	fprintf(out, "\n\n");
}

static void counts_json(struct lg_json *j, const struct lg_profile_counts *c)
{
	lg_json_key(j, "acquisitions");
	lg_json_int(j, (long long)c->acquisitions);
	lg_json_key(j, "contended");
	lg_json_int(j, (long long)c->contended);
	lg_json_key(j, "wait_ns");
	lg_json_int(j, (long long)c->wait_ns);
	lg_json_key(j, "wait_max_ns");
	lg_json_int(j, (long long)c->wait_max_ns);
	lg_json_key(j, "hold_ns");
	lg_json_int(j, (long long)c->hold_ns);
	lg_json_key(j, "hold_max_ns");
	lg_json_int(j, (long long)c->hold_max_ns);
}

void lg_render_profile_json(struct lg_json *j, const struct lg_profile *p)
{
	lg_json_key(j, "profile");
	if (!p->present) {
		lg_json_null(j);
		return;
	}
	lg_json_object_begin(j);
	lg_json_key(j, "sort");
	lg_json_string(j, lg_profile_sort_name(p->sort));
	lg_json_key(j, "locks");
	lg_json_array_begin(j);
	for (size_t i = 0; i < p->nlocks; i++) {
		const struct lg_profile_lock *l = &p->locks[i];
		lg_json_object_begin(j);
		lg_json_key(j, "lock");
		lg_json_string(j, l->description);
		lg_json_key(j, "kind");
		lg_json_string(j, l->kind);
		counts_json(j, &l->c);
		lg_json_key(j, "sites");
		lg_json_array_begin(j);
		for (size_t k = 0; k < l->nsites; k++) {
			const struct lg_profile_site *s = &l->sites[k];
			lg_json_object_begin(j);
			lg_json_key(j, "function");
			lg_json_string(j, s->function);
			lg_json_key(j, "file");
			lg_json_string(j, s->file);
			lg_json_key(j, "line");
			if (s->line)
				lg_json_int(j, s->line);
			else
				lg_json_null(j);
			lg_json_key(j, "where");
			lg_json_string(j, s->where);
			counts_json(j, &s->c);
			lg_json_object_end(j);
		}
		lg_json_array_end(j);
		lg_json_object_end(j);
	}
	lg_json_array_end(j);
	lg_json_key(j, "threads");
	lg_json_array_begin(j);
	for (size_t i = 0; i < p->nthreads; i++) {
		const struct lg_profile_thread *th = &p->threads[i];
		lg_json_object_begin(j);
		lg_json_key(j, "name");
		lg_json_string(j, th->name);
		lg_json_key(j, "program");
		lg_json_string(j, th->program);
		lg_json_key(j, "pid");
		lg_json_int(j, th->pid);
		lg_json_key(j, "tid");
		lg_json_int(j, th->tid);
		lg_json_key(j, "acquisitions");
		lg_json_int(j, (long long)th->acquisitions);
		lg_json_key(j, "contended");
		lg_json_int(j, (long long)th->contended);
		lg_json_key(j, "wait_ns");
		lg_json_int(j, (long long)th->wait_ns);
		lg_json_object_end(j);
	}
	lg_json_array_end(j);
	lg_json_object_end(j);
}

void lg_render_profile_html(FILE *out, const struct lg_profile *p)
{
	if (!p->present)
		return;
	size_t n = shown(p, p->nlocks);
	fputs("<h2 id=\"profile\">Contended locks</h2>\n", out);
	fputs("<p>", out);
	lg_markup_printf(out, "The lock profile: %zu lock%s, by %s.", p->nlocks,
	                 p->nlocks == 1 ? "" : "s", lg_profile_sort_name(p->sort));
	fputs("</p>\n", out);
	fputs("<table class=\"profile\">\n<thead><tr>"
	      "<th>#</th><th>lock</th><th>acquired</th><th>waited</th><th>wait total</th>"
	      "<th>wait max</th><th>hold total</th><th>hold max</th><th>taken at</th></tr></thead>"
	      "\n<tbody>\n",
	      out);
	char a[32], b[32], c[32], d[32];
	for (size_t i = 0; i < n; i++) {
		const struct lg_profile_lock *l = &p->locks[i];
		fprintf(out, "<tr><td>%zu</td><td><code>", i + 1);
		lg_markup_text(out, l->description);
		fprintf(out,
		        "</code></td><td>%" PRIu64 "</td><td>%" PRIu64
		        "</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>",
		        l->c.acquisitions, l->c.contended, duration(a, sizeof(a), l->c.wait_ns),
		        duration(b, sizeof(b), l->c.wait_max_ns),
		        duration(c, sizeof(c), l->c.hold_ns),
		        duration(d, sizeof(d), l->c.hold_max_ns));
		for (size_t k = 0; k < l->nsites && k < SITES_SHOWN; k++) {
			fputs(k ? "<br>" : "", out);
			lg_markup_text(out, l->sites[k].where);
			lg_markup_printf(out, ": waited %s",
			                 duration(a, sizeof(a), l->sites[k].c.wait_ns));
		}
		fputs("</td></tr>\n", out);
	}
	fputs("</tbody>\n</table>\n", out);
}
