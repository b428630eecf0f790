/* See findings.h. */
#include "findings.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "lock_graph.h"
#include "strbuf.h"
#include "trace_format.h"

#define MAX_INLINE_DEPTH 16

void lg_findings_init(struct lg_findings *f)
{
	memset(f, 0, sizeof(*f));
	f->sym = lg_symbolizer_new();
}

static const char *intern(struct lg_findings *f, const char *s)
{
	if (!s)
		return NULL;
	for (size_t i = 0; i < f->nstrings; i++)
		if (strcmp(f->strings[i], s) == 0)
			return f->strings[i];
	lg_grow(&f->strings, &f->strings_cap, f->nstrings, sizeof(*f->strings));
	return f->strings[f->nstrings++] = lg_xstrdup(s);
}

static void note(struct lg_findings *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct lg_findings *f, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < f->nnotes; i++)
		if (strcmp(f->notes[i], line) == 0)
			return;
	lg_grow(&f->notes, &f->notes_cap, f->nnotes, sizeof(*f->notes));
	f->notes[f->nnotes++] = lg_xstrdup(line);
}

static const struct lg_module_ref *module_ref(const struct lg_trace *t, int index)
{
	return index >= 0 ? &t->modules[index].ref : NULL;
}

static void symbolize_stack(struct lg_findings *f, const struct lg_trace *t, uint32_t id,
                            struct lg_fstack *out)
{
	memset(out, 0, sizeof(*out));
	const struct lg_trace_stack *s = id ? lg_trace_stack_by_id(t, id) : NULL;
	if (!s || s->nframes == 0) {
		out->missing = true;
		return;
	}
	out->call_site_only = s->flags & LG_STACK_CALL_SITE_ONLY;
	out->truncated = s->flags & LG_STACK_TRUNCATED;
	size_t cap = 0;
	for (unsigned i = 0; i < s->nframes; i++) {
		const struct lg_module_ref *m = module_ref(t, s->module[i]);
		struct lg_frame tmp[MAX_INLINE_DEPTH];
		int k = lg_symbolize_pc(f->sym, m, s->pcs[i], tmp, MAX_INLINE_DEPTH);
		const char *problem = m ? lg_symbolizer_module_problem(f->sym, m) : NULL;
		if (problem)
			note(f, "cannot symbolize '%s': %s", m->path, problem);
		for (int j = 0; j < k; j++) {
			lg_grow(&out->frames, &cap, out->n, sizeof(*out->frames));
			tmp[j].module = intern(f, tmp[j].module);
			out->frames[out->n++] = tmp[j];
		}
	}
}

static void free_stack(struct lg_fstack *s)
{
	free(s->frames);
}

static bool system_header(const char *file)
{
	return file && strncmp(file, "/usr/include/", 13) == 0;
}

const struct lg_frame *lg_fstack_top(const struct lg_fstack *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->frames[i].line && !system_header(s->frames[i].file))
			return &s->frames[i];
	return s->n ? &s->frames[0] : NULL;
}

static const char *base_name(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;
	return slash ? slash + 1 : path;
}

/* "transfer (bank.c:47)", or "libfoo.so+0x1234" when nothing better is
 * known: stable across ASLR because it is module-relative. */
static void describe_frame(struct lg_strbuf *b, const struct lg_frame *fr, const struct lg_trace *t)
{
	if (!fr) {
		lg_strbuf_puts(b, "(unknown)");
		return;
	}
	if (fr->function && fr->file && fr->line)
		lg_strbuf_printf(b, "%s (%s:%d)", fr->function, base_name(fr->file), fr->line);
	else if (fr->function)
		lg_strbuf_printf(b, "%s (%s)", fr->function,
		                 fr->module ? base_name(fr->module) : "unknown module");
	else if (fr->module) {
		uint64_t bias = 0;
		for (size_t i = 0; t && i < t->nmodules; i++)
			if (fr->pc >= t->modules[i].ref.lo && fr->pc < t->modules[i].ref.hi)
				bias = t->modules[i].ref.bias;
		lg_strbuf_printf(b, "%s+0x%llx", base_name(fr->module),
		                 (unsigned long long)(fr->pc - bias));
	} else {
		lg_strbuf_puts(b, "(unknown code)");
	}
}

static const char *lock_kind_name(uint8_t kind)
{
	switch ((enum lg_lock_kind)kind) {
	case LG_LOCK_MUTEX:
		return "mutex";
	}
	return "lock";
}

static void build_lock(struct lg_findings *f, const struct lg_trace *t, uint32_t id,
                       struct lg_flock *out)
{
	const struct lg_trace_lock *l = lg_trace_lock_by_id(t, id);
	out->kind = lock_kind_name(l->kind);
	out->address = l->address;
	symbolize_stack(f, t, l->first_stack, &out->first_taken);
	symbolize_stack(f, t, l->init_stack, &out->created_at);
	const char *name = l->module >= 0
	                           ? lg_symbolize_data(f->sym, module_ref(t, l->module), l->address)
	                           : NULL;
	out->name = name ? lg_xstrdup(name) : NULL;
	struct lg_strbuf b = {0};
	if (name) {
		lg_strbuf_puts(&b, name);
	} else if (!out->created_at.missing) {
		lg_strbuf_printf(&b, "%s created at ", out->kind);
		describe_frame(&b, lg_fstack_top(&out->created_at), t);
	} else if (!out->first_taken.missing) {
		lg_strbuf_printf(&b, "%s first taken at ", out->kind);
		describe_frame(&b, lg_fstack_top(&out->first_taken), t);
	} else {
		lg_strbuf_printf(&b, "%s at 0x%llx", out->kind, (unsigned long long)l->address);
	}
	out->description = lg_xstrdup(lg_strbuf_str(&b));
	lg_strbuf_free(&b);
}

/* Threads inherit the process name unless they set their own: such a name
 * says nothing about the thread. */
static char *thread_name(const struct lg_trace *t, const struct lg_trace_thread *th)
{
	if (!th->name[0])
		return NULL;
	char comm[16];
	snprintf(comm, sizeof(comm), "%s", base_name(t->exe) ? base_name(t->exe) : "");
	if (th->parent != 0 && strcmp(th->name, comm) == 0)
		return NULL;
	return lg_xstrdup(th->name);
}

static size_t thread_index(struct lg_findings *f, const struct lg_trace *t, struct lg_finding *fi,
                           uint32_t id, uint32_t *ids)
{
	for (size_t i = 0; i < fi->nthreads; i++)
		if (ids[i] == id)
			return i;
	size_t i = fi->nthreads++;
	ids[i] = id;
	struct lg_fthread *ft = &fi->threads[i];
	snprintf(ft->label, sizeof(ft->label), "T%zu", i + 1);
	const struct lg_trace_thread *th = lg_trace_thread_by_id(t, id);
	ft->os_tid = th ? th->os_tid : 0;
	ft->main_thread = th && th->parent == 0;
	ft->name = th ? thread_name(t, th) : NULL;
	symbolize_stack(f, t, th ? th->create_stack : 0, &ft->created_at);
	return i;
}

/* The signature: a hash of each edge described by lock names and code
 * locations, starting from the rotation that sorts first, so it does not
 * depend on where the cycle search happened to start. */
static void sign(struct lg_finding *fi, const struct lg_trace *t)
{
	size_t k = fi->nedges;
	char **parts = lg_xcalloc(k, sizeof(char *));
	for (size_t i = 0; i < k; i++) {
		const struct lg_fedge *e = &fi->edges[i];
		struct lg_strbuf b = {0};
		lg_strbuf_printf(&b, "%s>%s@", fi->locks[e->from].description,
		                 fi->locks[e->to].description);
		describe_frame(&b, lg_fstack_top(&e->acquire), t);
		lg_strbuf_puts(&b, "|");
		describe_frame(&b, lg_fstack_top(&e->held), t);
		parts[i] = b.s ? b.s : lg_xstrdup("");
	}
	size_t best = 0;
	for (size_t r = 1; r < k; r++) {
		for (size_t i = 0; i < k; i++) {
			int c = strcmp(parts[(r + i) % k], parts[(best + i) % k]);
			if (c < 0)
				best = r;
			if (c != 0)
				break;
		}
	}
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
	for (size_t i = 0; i < k; i++) {
		for (const char *p = parts[(best + i) % k]; *p; p++)
			h = (h ^ (uint8_t)*p) * 0x100000001b3ULL;
		h = (h ^ '\n') * 0x100000001b3ULL;
	}
	for (size_t i = 0; i < k; i++)
		free(parts[i]);
	free(parts);
	snprintf(fi->signature, sizeof(fi->signature), "%016llx", (unsigned long long)h);
}

static struct lg_finding *build_finding(struct lg_findings *f, const struct lg_graph *g,
                                        const struct lg_cycle *c)
{
	const struct lg_trace *t = g->trace;
	struct lg_finding *fi = lg_xcalloc(1, sizeof(*fi));
	fi->kind = LG_FINDING_POTENTIAL;
	fi->latent = c->latent;
	fi->undecided = c->undecided;
	fi->occurrences = 1;
	fi->nlocks = fi->nedges = c->len;
	fi->locks = lg_xcalloc(c->len, sizeof(*fi->locks));
	fi->edges = lg_xcalloc(c->len, sizeof(*fi->edges));
	fi->threads = lg_xcalloc(c->len, sizeof(*fi->threads));
	/* Start the cycle after the edge recorded last: the others set the
	 * order, that one reversed it; reports read in the order things
	 * happened and the fix hint points at the last edge. */
	size_t last = 0;
	for (size_t i = 1; i < c->len; i++)
		if (c->chosen[i]->acquire > c->chosen[last]->acquire)
			last = i;
	size_t first = (last + 1) % c->len;
	fi->reversing_edge = c->len - 1;
	uint32_t *thread_ids = lg_xcalloc(c->len, sizeof(uint32_t));
	for (size_t i = 0; i < c->len; i++) {
		struct lg_flock *l = &fi->locks[i];
		snprintf(l->label, sizeof(l->label), "L%zu", i + 1);
		build_lock(f, t, g->nodes[c->nodes[(first + i) % c->len]].lock, l);
	}
	for (size_t i = 0; i < c->len; i++) {
		const struct lg_witness *w = c->chosen[(first + i) % c->len];
		struct lg_fedge *e = &fi->edges[i];
		e->from = i;
		e->to = (i + 1) % c->len;
		e->flags = w->flags;
		e->thread = thread_index(f, t, fi, w->thread, thread_ids);
		symbolize_stack(f, t, w->held_stack, &e->held);
		symbolize_stack(f, t, w->acquire_stack, &e->acquire);
	}
	free(thread_ids);
	sign(fi, t);
	return fi;
}

static void free_finding(struct lg_finding *fi)
{
	for (size_t i = 0; i < fi->nlocks; i++) {
		free(fi->locks[i].name);
		free(fi->locks[i].description);
		free_stack(&fi->locks[i].first_taken);
		free_stack(&fi->locks[i].created_at);
	}
	for (size_t i = 0; i < fi->nthreads; i++) {
		free(fi->threads[i].name);
		free_stack(&fi->threads[i].created_at);
	}
	for (size_t i = 0; i < fi->nedges; i++) {
		free_stack(&fi->edges[i].held);
		free_stack(&fi->edges[i].acquire);
	}
	for (size_t i = 0; i < fi->nprocs; i++) {
		free(fi->procs[i].exe);
		free(fi->procs[i].host);
		free(fi->procs[i].trace);
	}
	free(fi->procs);
	free(fi->locks);
	free(fi->threads);
	free(fi->edges);
	free(fi);
}

static void add_process(struct lg_finding *fi, const struct lg_trace *t)
{
	for (size_t i = 0; i < fi->nprocs; i++)
		if (strcmp(fi->procs[i].trace, t->path) == 0)
			return;
	lg_grow(&fi->procs, &fi->procs_cap, fi->nprocs, sizeof(*fi->procs));
	fi->procs[fi->nprocs++] = (struct lg_fprocess){
	        .pid = t->pid,
	        .exe = lg_xstrdup(t->exe),
	        .host = lg_xstrdup(t->host),
	        .trace = lg_xstrdup(t->path),
	};
}

static uint64_t signature_key(const char *sig)
{
	return strtoull(sig, NULL, 16) | 1;
}

static void merge(struct lg_findings *f, struct lg_finding *fi, const struct lg_trace *t)
{
	uint64_t key = signature_key(fi->signature);
	uint64_t at = lg_idmap_get(&f->by_signature, key);
	while (at && strcmp(f->v[at - 1]->signature, fi->signature) != 0)
		at = lg_idmap_get(&f->by_signature, ++key); /* 64-bit collision: probe on */
	if (!at) {
		add_process(fi, t);
		lg_grow(&f->v, &f->cap, f->n, sizeof(*f->v));
		f->v[f->n++] = fi;
		lg_idmap_put(&f->by_signature, key, f->n);
		return;
	}
	struct lg_finding *old = f->v[at - 1];
	if (old->latent && !fi->latent) {
		/* Show the occurrence that can really deadlock. */
		fi->occurrences += old->occurrences;
		fi->procs = old->procs;
		fi->nprocs = old->nprocs;
		fi->procs_cap = old->procs_cap;
		old->procs = NULL;
		old->nprocs = 0;
		free_finding(old);
		f->v[at - 1] = old = fi;
	} else {
		old->occurrences++;
		free_finding(fi);
	}
	add_process(old, t);
}

void lg_findings_add_trace(struct lg_findings *f, const struct lg_trace *t,
                           const struct lg_cycle_limits *lim)
{
	f->traces++;
	if (t->truncated)
		f->truncated++;
	if (!t->ended)
		f->unfinished++;
	for (size_t i = 0; i < t->nwarnings; i++)
		note(f, "%s (pid %u): %s", base_name(t->exe), t->pid, t->warnings[i].message);
	struct lg_graph *g = lg_graph_build(t);
	struct lg_cycles cycles = {0};
	lg_cycles_find(g, lim, &cycles);
	f->components_cut += cycles.components_cut;
	for (size_t i = 0; i < cycles.n; i++) {
		if (cycles.v[i].undecided)
			f->undecided++;
		merge(f, build_finding(f, g, &cycles.v[i]), t);
	}
	lg_cycles_free(&cycles);
	lg_graph_free(g);
}

static int rank_of(const struct lg_finding *fi)
{
	if (fi->kind == LG_FINDING_ACTUAL)
		return 0;
	return fi->latent ? 2 : 1;
}

static int compare(const void *pa, const void *pb)
{
	const struct lg_finding *a = *(struct lg_finding *const *)pa;
	const struct lg_finding *b = *(struct lg_finding *const *)pb;
	if (rank_of(a) != rank_of(b))
		return rank_of(a) - rank_of(b);
	if (a->occurrences != b->occurrences)
		return a->occurrences > b->occurrences ? -1 : 1;
	if (a->nprocs != b->nprocs)
		return a->nprocs > b->nprocs ? -1 : 1;
	return strcmp(a->signature, b->signature);
}

void lg_findings_rank(struct lg_findings *f)
{
	if (f->n > 1) /* qsort wants a valid pointer even for 0 */
		qsort(f->v, f->n, sizeof(*f->v), compare);
}

size_t lg_findings_count(const struct lg_findings *f, enum lg_finding_kind kind, bool latent)
{
	size_t n = 0;
	for (size_t i = 0; i < f->n; i++)
		if (f->v[i]->kind == kind && f->v[i]->latent == latent)
			n++;
	return n;
}

void lg_findings_free(struct lg_findings *f)
{
	for (size_t i = 0; i < f->n; i++)
		free_finding(f->v[i]);
	free(f->v);
	for (size_t i = 0; i < f->nstrings; i++)
		free(f->strings[i]);
	free(f->strings);
	for (size_t i = 0; i < f->nnotes; i++)
		free(f->notes[i]);
	free(f->notes);
	lg_idmap_free(&f->by_signature);
	lg_symbolizer_free(f->sym);
	memset(f, 0, sizeof(*f));
}
