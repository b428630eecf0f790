/* The pieces every kind of finding is built from (see finding_parts.h):
 * symbolized stacks, locks, threads, and the signature. */
#include "finding_parts.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "strbuf.h"
#include "trace_format.h"

#define MAX_INLINE_DEPTH 16

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

void lg_finding_note(struct lg_findings *f, const char *fmt, ...)
{
	char line[1024];
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

const char *lg_finding_lock_variable(struct lg_findings *f, const struct lg_trace *t,
                                     const struct lg_trace_lock *l)
{
	return l->module >= 0 ? lg_symbolize_data(f->sym, module_ref(t, l->module), l->address)
	                      : NULL;
}

void lg_finding_stack(struct lg_findings *f, const struct lg_trace *t, uint32_t id,
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
		/* Modules without symbols; also, for the innermost frame (where
		 * the lock was taken), one without debug info. */
		const char *note = m ? lg_symbolizer_module_note(f->sym, m, i == 0) : NULL;
		if (note)
			lg_finding_note(f, "%s", note);
		for (int j = 0; j < k; j++) {
			lg_grow(&out->frames, &cap, out->n, sizeof(*out->frames));
			tmp[j].module = intern(f, tmp[j].module);
			out->frames[out->n++] = tmp[j];
		}
	}
}

void lg_fstack_free(struct lg_fstack *s)
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

const char *lg_base_name(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;
	return slash ? slash + 1 : path;
}

/* "transfer (bank.c:47)", or "libfoo.so+0x1234" when nothing better is
 * known: stable across ASLR because it is module-relative. */
static void describe_frame(struct lg_strbuf *b, const struct lg_frame *fr, const struct lg_trace *t,
                           bool with_line)
{
	if (!fr) {
		lg_strbuf_puts(b, "(unknown)");
		return;
	}
	if (fr->function && fr->file && fr->line && with_line)
		lg_strbuf_printf(b, "%s (%s:%d)", fr->function, lg_base_name(fr->file), fr->line);
	else if (fr->function && fr->file)
		lg_strbuf_printf(b, "%s (%s)", fr->function, lg_base_name(fr->file));
	else if (fr->function)
		lg_strbuf_printf(b, "%s (%s)", fr->function,
		                 fr->module ? lg_base_name(fr->module) : "unknown module");
	else if (fr->module) {
		uint64_t bias = 0;
		for (size_t i = 0; t && i < t->nmodules; i++)
			if (fr->pc >= t->modules[i].ref.lo && fr->pc < t->modules[i].ref.hi)
				bias = t->modules[i].ref.bias;
		lg_strbuf_printf(b, "%s+0x%llx", lg_base_name(fr->module),
		                 (unsigned long long)(fr->pc - bias));
	} else {
		lg_strbuf_puts(b, "(unknown code)");
	}
}

void lg_finding_describe_top(struct lg_strbuf *b, const struct lg_fstack *s,
                             const struct lg_trace *t)
{
	describe_frame(b, lg_fstack_top(s), t, true);
}

static const char *lock_kind_name(uint8_t kind)
{
	switch ((enum lg_lock_kind)kind) {
	case LG_LOCK_MUTEX:
		return "mutex";
	case LG_LOCK_RWLOCK:
		return "rwlock";
	case LG_LOCK_SPIN:
		return "spinlock";
	case LG_LOCK_MTX:
		return "mtx";
	}
	return "lock";
}

const char *lg_mode_name(const struct lg_flock *l, uint8_t mode)
{
	if (strcmp(l->kind, "rwlock") == 0)
		return mode == LG_MODE_SHARED ? "read" : "write";
	return "exclusive";
}

void lg_finding_lock(struct lg_findings *f, const struct lg_trace *t, uint32_t id,
                     struct lg_flock *out)
{
	const struct lg_trace_lock *l = lg_trace_lock_by_id(t, id);
	out->kind = lock_kind_name(l->kind);
	if (l->kind == LG_LOCK_MUTEX || l->kind == LG_LOCK_MTX)
		out->type = l->flags & LG_LOCK_RECURSIVE    ? "recursive"
		            : l->flags & LG_LOCK_ERRORCHECK ? "errorcheck"
		            : l->flags & LG_LOCK_ADAPTIVE   ? "adaptive"
		                                            : "normal";
	out->robust = l->flags & LG_LOCK_ROBUST;
	out->address = l->address;
	lg_finding_stack(f, t, l->first_stack, &out->first_taken);
	lg_finding_stack(f, t, l->init_stack, &out->created_at);
	const char *name = lg_finding_lock_variable(f, t, l);
	out->name = name ? lg_xstrdup(name) : NULL;
	struct lg_strbuf b = {0};
	if (name) {
		lg_strbuf_puts(&b, name);
	} else if (!out->created_at.missing) {
		lg_strbuf_printf(&b, "%s created at ", out->kind);
		describe_frame(&b, lg_fstack_top(&out->created_at), t, true);
	} else if (!out->first_taken.missing) {
		lg_strbuf_printf(&b, "%s first taken at ", out->kind);
		describe_frame(&b, lg_fstack_top(&out->first_taken), t, true);
	} else {
		lg_strbuf_printf(&b, "%s at 0x%llx", out->kind, (unsigned long long)l->address);
	}
	out->description = lg_xstrdup(lg_strbuf_str(&b));
	lg_strbuf_free(&b);
}

/* Threads inherit the process name unless they set their own: such a name
 * says nothing about the thread. */
char *lg_finding_thread_name(const struct lg_trace *t, const struct lg_trace_thread *th)
{
	/* Threads inherit the process's name (the program's, cut to 15
	 * characters) unless they set their own: such a name says nothing,
	 * except that the main thread is the main thread. */
	char comm[16];
	snprintf(comm, sizeof(comm), "%s", lg_base_name(t->exe) ? lg_base_name(t->exe) : "");
	bool inherited = !th->name[0] || strcmp(th->name, comm) == 0;
	if (inherited)
		return th->parent == 0 ? lg_xstrdup("main") : NULL;
	return lg_xstrdup(th->name);
}

size_t lg_finding_thread(struct lg_findings *f, const struct lg_trace *t, struct lg_finding *fi,
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
	ft->waiting_for = -1;
	ft->name = th ? lg_finding_thread_name(t, th) : NULL;
	lg_finding_stack(f, t, th ? th->create_stack : 0, &ft->created_at);
	return i;
}

/* A lock as the signature knows it: its name, or where it was created or
 * first taken, without line numbers (an edit elsewhere in the file must not
 * turn a known finding into a new one). */
static void lock_key(struct lg_strbuf *b, const struct lg_flock *l, const struct lg_trace *t)
{
	if (l->name) {
		lg_strbuf_puts(b, l->name);
	} else if (!l->created_at.missing) {
		lg_strbuf_puts(b, "created:");
		describe_frame(b, lg_fstack_top(&l->created_at), t, false);
	} else {
		lg_strbuf_puts(b, "first:");
		describe_frame(b, lg_fstack_top(&l->first_taken), t, false);
	}
}

/* The signature hashes, per edge, both locks and the functions (and files)
 * that took them, starting from the rotation that sorts first; never
 * addresses or line numbers, so it survives ASLR, rebuilds and unrelated
 * edits. */
void lg_finding_sign(struct lg_finding *fi, const struct lg_trace *t)
{
	size_t k = fi->nedges;
	char **parts = lg_xcalloc(k, sizeof(char *));
	for (size_t i = 0; i < k; i++) {
		const struct lg_fedge *e = &fi->edges[i];
		struct lg_strbuf b = {0};
		lock_key(&b, &fi->locks[e->from], t);
		lg_strbuf_puts(&b, ">");
		lock_key(&b, &fi->locks[e->to], t);
		lg_strbuf_puts(&b, "@");
		describe_frame(&b, lg_fstack_top(&e->acquire), t, false);
		lg_strbuf_puts(&b, "|");
		describe_frame(&b, lg_fstack_top(&e->held), t, false);
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
	/* An actual deadlock (or one a timeout broke) is another finding than
	 * the order inversion of the same locks. */
	const char *kind = fi->kind == LG_FINDING_ACTUAL
	                           ? (fi->broken_by_timeout ? "actual-timeout" : "actual")
	                   : fi->within_class ? "class-nesting"
	                   : fi->class_scope  ? "class-order"
	                                      : "order";
	for (const char *p = kind; *p; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001b3ULL;
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

void lg_flock_free(struct lg_flock *l)
{
	free(l->name);
	free(l->description);
	lg_fstack_free(&l->first_taken);
	lg_fstack_free(&l->created_at);
}

void lg_finding_free(struct lg_finding *fi)
{
	for (size_t i = 0; i < fi->nlocks; i++) {
		lg_flock_free(&fi->locks[i]);
	}
	for (size_t i = 0; i < fi->nthreads; i++) {
		struct lg_fthread *th = &fi->threads[i];
		free(th->name);
		lg_fstack_free(&th->created_at);
		lg_fstack_free(&th->wait_stack);
		for (size_t k = 0; k < th->nholding; k++)
			lg_fstack_free(&th->holding[k].stack);
		free(th->holding);
	}
	for (size_t i = 0; i < fi->nedges; i++) {
		lg_fstack_free(&fi->edges[i].held);
		lg_fstack_free(&fi->edges[i].acquire);
		free(fi->edges[i].from_object);
		free(fi->edges[i].to_object);
	}
	for (size_t i = 0; i < fi->nprocs; i++) {
		free(fi->procs[i].exe);
		free(fi->procs[i].host);
		free(fi->procs[i].trace);
	}
	free(fi->procs);
	free(fi->occ);
	free(fi->locks);
	free(fi->threads);
	free(fi->edges);
	free(fi);
}
