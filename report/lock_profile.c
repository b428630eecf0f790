/* See lock_profile.h. */
#include "lock_profile.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "finding_parts.h"
#include "findings.h"
#include "idmap.h"
#include "strbuf.h"
#include "trace.h"

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h ? h : 1;
}

static void add_counts(struct lg_profile_counts *to, const struct lg_trace_profile *r)
{
	to->acquisitions += r->acquisitions;
	to->contended += r->contended;
	to->wait_ns += r->wait_ns;
	to->hold_ns += r->hold_ns;
	if (r->wait_max_ns > to->wait_max_ns)
		to->wait_max_ns = r->wait_max_ns;
	if (r->hold_max_ns > to->hold_max_ns)
		to->hold_max_ns = r->hold_max_ns;
}

static struct lg_profile_lock *lock_row(struct lg_profile *p, const char *description,
                                        const char *kind)
{
	struct lg_idmap *index = p->index;
	if (!index)
		index = p->index = lg_xcalloc(1, sizeof(*index));
	/* Keys probe on past a 64-bit collision, as findings' signatures do. */
	for (uint64_t key = hash_str(description);; key = key + 1 ? key + 1 : 1) {
		uint64_t at = lg_idmap_get(index, key);
		if (!at) {
			lg_grow(&p->locks, &p->locks_cap, p->nlocks, sizeof(*p->locks));
			struct lg_profile_lock *l = &p->locks[p->nlocks++];
			*l = (struct lg_profile_lock){.description = lg_xstrdup(description),
			                              .kind = kind};
			lg_idmap_put(index, key, p->nlocks);
			return l;
		}
		if (strcmp(p->locks[at - 1].description, description) == 0)
			return &p->locks[at - 1];
	}
}

static struct lg_profile_site *site_row(struct lg_profile_lock *l, const struct lg_fstack *s,
                                        const struct lg_trace *t)
{
	const struct lg_frame *fr = lg_fstack_top(s);
	struct lg_strbuf b = {0};
	lg_finding_describe_top(&b, s, t);
	const char *where = lg_strbuf_str(&b);
	for (size_t i = 0; i < l->nsites; i++) {
		if (strcmp(l->sites[i].where, where) == 0) {
			lg_strbuf_free(&b);
			return &l->sites[i];
		}
	}
	lg_grow(&l->sites, &l->sites_cap, l->nsites, sizeof(*l->sites));
	struct lg_profile_site *site = &l->sites[l->nsites++];
	*site = (struct lg_profile_site){
	        .function = fr && fr->function ? lg_xstrdup(fr->function) : NULL,
	        .file = fr && fr->file ? lg_xstrdup(fr->file) : NULL,
	        .line = fr ? fr->line : 0,
	        .where = lg_xstrdup(where),
	};
	lg_strbuf_free(&b);
	return site;
}

static struct lg_profile_thread *thread_row(struct lg_profile *p, const struct lg_trace *t,
                                            uint32_t id)
{
	const struct lg_trace_thread *th = lg_trace_thread_by_id(t, id);
	uint32_t tid = th ? th->os_tid : 0;
	for (size_t i = 0; i < p->nthreads; i++)
		if (p->threads[i].pid == t->pid && p->threads[i].tid == tid)
			return &p->threads[i];
	lg_grow(&p->threads, &p->threads_cap, p->nthreads, sizeof(*p->threads));
	struct lg_profile_thread *row = &p->threads[p->nthreads++];
	const char *program = lg_base_name(t->exe);
	*row = (struct lg_profile_thread){
	        .name = th ? lg_finding_thread_name(t, th) : NULL,
	        .program = lg_xstrdup(program ? program : "?"),
	        .pid = t->pid,
	        .tid = tid,
	};
	return row;
}

void lg_profile_add_trace(struct lg_findings *f, const struct lg_trace *t)
{
	struct lg_profile *p = &f->profile;
	for (size_t i = 0; i < t->nprofiles; i++) {
		const struct lg_trace_profile *r = &t->profiles[i];
		p->present = true;
		struct lg_flock lock = {0};
		lg_finding_lock(f, t, r->lock, &lock);
		struct lg_profile_lock *row = lock_row(p, lock.description, lock.kind);
		add_counts(&row->c, r);
		struct lg_fstack site = {0};
		lg_finding_stack(f, t, r->site_stack, &site);
		add_counts(&site_row(row, &site, t)->c, r);
		lg_fstack_free(&site);
		lg_flock_free(&lock);

		struct lg_profile_thread *th = thread_row(p, t, r->thread);
		th->acquisitions += r->acquisitions;
		th->contended += r->contended;
		th->wait_ns += r->wait_ns;
	}
}

static uint64_t key_of(const struct lg_profile_counts *c, enum lg_profile_sort by)
{
	switch (by) {
	case LG_PROFILE_BY_HOLD:
		return c->hold_ns;
	case LG_PROFILE_BY_CONTENDED:
		return c->contended;
	case LG_PROFILE_BY_ACQUISITIONS:
		return c->acquisitions;
	case LG_PROFILE_BY_MAX_WAIT:
		return c->wait_max_ns;
	case LG_PROFILE_BY_WAIT:
		break;
	}
	return c->wait_ns;
}

static enum lg_profile_sort sort_by;

/* Most first by the key, then by total hold, then by name: a stable order
 * whatever order the traces came in. */
static int cmp_counts(const struct lg_profile_counts *a, const struct lg_profile_counts *b)
{
	uint64_t ka = key_of(a, sort_by), kb = key_of(b, sort_by);
	if (ka != kb)
		return ka > kb ? -1 : 1;
	if (a->hold_ns != b->hold_ns)
		return a->hold_ns > b->hold_ns ? -1 : 1;
	return 0;
}

static int cmp_locks(const void *x, const void *y)
{
	const struct lg_profile_lock *a = x, *b = y;
	int c = cmp_counts(&a->c, &b->c);
	return c ? c : strcmp(a->description, b->description);
}

static int cmp_sites(const void *x, const void *y)
{
	const struct lg_profile_site *a = x, *b = y;
	int c = cmp_counts(&a->c, &b->c);
	return c ? c : strcmp(a->where, b->where);
}

static int cmp_threads(const void *x, const void *y)
{
	const struct lg_profile_thread *a = x, *b = y;
	if (a->wait_ns != b->wait_ns)
		return a->wait_ns > b->wait_ns ? -1 : 1;
	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	return a->tid < b->tid ? -1 : a->tid > b->tid;
}

void lg_profile_sort(struct lg_profile *p, enum lg_profile_sort by)
{
	sort_by = by;
	p->sort = by;
	if (p->nlocks)
		qsort(p->locks, p->nlocks, sizeof(*p->locks), cmp_locks);
	for (size_t i = 0; i < p->nlocks; i++)
		if (p->locks[i].nsites)
			qsort(p->locks[i].sites, p->locks[i].nsites, sizeof(*p->locks[i].sites),
			      cmp_sites);
	if (p->nthreads)
		qsort(p->threads, p->nthreads, sizeof(*p->threads), cmp_threads);
	/* The index points at positions the sort moved. */
	if (p->index) {
		lg_idmap_free(p->index);
		free(p->index);
		p->index = NULL;
	}
}

static const char *const sort_names[] = {"wait", "hold", "contended", "acquisitions", "max-wait"};

const char *lg_profile_sort_name(enum lg_profile_sort by)
{
	return sort_names[by];
}

int lg_profile_sort_parse(const char *name)
{
	for (size_t i = 0; i < sizeof(sort_names) / sizeof(sort_names[0]); i++)
		if (strcmp(sort_names[i], name) == 0)
			return (int)i;
	return -1;
}

void lg_profile_free(struct lg_profile *p)
{
	for (size_t i = 0; i < p->nlocks; i++) {
		struct lg_profile_lock *l = &p->locks[i];
		for (size_t k = 0; k < l->nsites; k++) {
			free(l->sites[k].function);
			free(l->sites[k].file);
			free(l->sites[k].where);
		}
		free(l->sites);
		free(l->description);
	}
	free(p->locks);
	for (size_t i = 0; i < p->nthreads; i++) {
		free(p->threads[i].name);
		free(p->threads[i].program);
	}
	free(p->threads);
	if (p->index) {
		lg_idmap_free(p->index);
		free(p->index);
	}
	memset(p, 0, sizeof(*p));
}
