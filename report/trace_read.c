/* The trace reader: checks every byte of a trace before anything uses it.
 * A cut last record (the process was killed mid-write) is accepted and
 * flagged; anything else that does not follow trace_format.h is rejected
 * with the record number and byte offset, never half-used. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "trace.h"
#include "trace_format.h"

/* A bounded view of one record's payload. */
struct cursor {
	const uint8_t *p, *end;
	bool bad;
};

static void take(struct cursor *c, void *out, size_t n)
{
	if (c->bad || (size_t)(c->end - c->p) < n) {
		c->bad = true;
		memset(out, 0, n);
		return;
	}
	memcpy(out, c->p, n);
	c->p += n;
}

static char *take_str(struct cursor *c)
{
	uint16_t len = 0;
	take(c, &len, sizeof(len));
	if (c->bad || (size_t)(c->end - c->p) < len) {
		c->bad = true;
		return lg_xstrdup("");
	}
	char *s = lg_xstrndup((const char *)c->p, len);
	c->p += len;
	return s;
}

struct reader {
	struct lg_trace *t;
	size_t record; /* 1-based number of the record being read */
	uint64_t offset;
	char *err;
	size_t errlen;
};

static bool fail(struct reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool fail(struct reader *r, const char *fmt, ...)
{
	char what[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(r->err, r->errlen, "record %zu at byte %llu: %s", r->record,
	         (unsigned long long)r->offset, what);
	return false;
}

/* Records an id -> index mapping; false if the id is 0 or already used. */
static bool define_id(struct lg_idmap *ix, uint32_t id, size_t index)
{
	return id != 0 && lg_idmap_put(ix, id, index + 1);
}

static bool defined(const struct lg_idmap *ix, uint32_t id)
{
	return lg_idmap_get(ix, id) != 0;
}

/* An optional reference (0 = none) must name an earlier record. */
static bool ref_ok(const struct lg_idmap *ix, uint32_t id)
{
	return id == 0 || defined(ix, id);
}

static int module_at(const struct lg_trace *t, uint64_t addr)
{
	/* Newest first: a range reused after dlclose belongs to the later
	 * module. */
	for (size_t i = t->nmodules; i-- > 0;)
		if (addr >= t->modules[i].ref.lo && addr < t->modules[i].ref.hi)
			return (int)i;
	return -1;
}

static bool read_process(struct reader *r, struct cursor *c)
{
	struct lg_trace *t = r->t;
	struct lg_rec_process p;
	take(c, &p, sizeof(p));
	if (c->bad || memcmp(p.magic, LG_TRACE_MAGIC, sizeof(p.magic)) != 0)
		return fail(r, "not a lockgraph trace");
	if (p.version_major != LG_TRACE_VERSION_MAJOR) {
		snprintf(r->err, r->errlen,
		         "trace format %u.%u is not supported (this lockgraph reads %d.x)",
		         p.version_major, p.version_minor, LG_TRACE_VERSION_MAJOR);
		return false;
	}
	if (p.pointer_size != 8)
		return fail(r, "written by a %u-bit process; only 64-bit traces are supported",
		            p.pointer_size * 8);
	t->version_major = p.version_major;
	t->version_minor = p.version_minor;
	t->pid = p.pid;
	t->ppid = p.ppid;
	t->start_wall_ns = p.start_wall_ns;
	t->start_mono_ns = p.start_mono_ns;
	t->exe = take_str(c);
	t->host = take_str(c);
	t->run = take_str(c);
	t->cmdline = take_str(c);
	return !c->bad || fail(r, "process record cut short");
}

static bool read_module(struct reader *r, struct cursor *c)
{
	struct lg_trace *t = r->t;
	struct lg_rec_module m;
	take(c, &m, sizeof(m));
	if (c->bad || m.build_id_len > 64 || m.lo >= m.hi)
		return fail(r, "malformed module record");
	lg_grow(&t->modules, &t->modules_cap, t->nmodules, sizeof(*t->modules));
	struct lg_trace_module *tm = &t->modules[t->nmodules];
	uint8_t *build_id = lg_xmalloc(m.build_id_len ? m.build_id_len : 1);
	take(c, build_id, m.build_id_len);
	char *path = take_str(c);
	tm->ref = (struct lg_module_ref){
	        .path = path,
	        .build_id = build_id,
	        .build_id_len = m.build_id_len,
	        .bias = m.bias,
	        .lo = m.lo,
	        .hi = m.hi,
	};
	tm->flags = m.flags;
	t->nmodules++; /* counted before the check so lg_trace_free frees it */
	return !c->bad || fail(r, "malformed module record");
}

static bool read_stack(struct reader *r, struct cursor *c)
{
	struct lg_trace *t = r->t;
	struct lg_rec_stack s;
	take(c, &s, sizeof(s));
	if (c->bad || s.nframes > LG_TRACE_MAX_FRAMES ||
	    (size_t)(c->end - c->p) != s.nframes * sizeof(uint64_t))
		return fail(r, "malformed stack record");
	if (!define_id(&t->stack_ix, s.id, t->nstacks))
		return fail(r, "stack id %u is zero or defined twice", s.id);
	lg_grow(&t->stacks, &t->stacks_cap, t->nstacks, sizeof(*t->stacks));
	struct lg_trace_stack *ts = &t->stacks[t->nstacks++];
	ts->id = s.id;
	ts->nframes = s.nframes;
	ts->flags = s.flags;
	ts->pcs = lg_xcalloc(s.nframes, sizeof(uint64_t));
	ts->module = lg_xcalloc(s.nframes, sizeof(int));
	take(c, ts->pcs, s.nframes * sizeof(uint64_t));
	for (unsigned i = 0; i < s.nframes; i++)
		ts->module[i] = module_at(t, ts->pcs[i]);
	return true;
}

static bool read_thread(struct reader *r, struct cursor *c)
{
	struct lg_trace *t = r->t;
	struct lg_rec_thread th;
	take(c, &th, sizeof(th));
	if (c->bad)
		return fail(r, "malformed thread record");
	if (!ref_ok(&t->stack_ix, th.create_stack))
		return fail(r, "thread %u refers to unknown stack %u", th.id, th.create_stack);
	if (!define_id(&t->thread_ix, th.id, t->nthreads))
		return fail(r, "thread id %u is zero or defined twice", th.id);
	lg_grow(&t->threads, &t->threads_cap, t->nthreads, sizeof(*t->threads));
	struct lg_trace_thread *tt = &t->threads[t->nthreads++];
	tt->id = th.id;
	tt->parent = th.parent;
	tt->os_tid = th.os_tid;
	tt->create_stack = th.create_stack;
	tt->create_seq = th.create_seq;
	tt->name = take_str(c);
	return !c->bad || fail(r, "malformed thread record");
}

static bool read_lock(struct reader *r, struct cursor *c)
{
	struct lg_trace *t = r->t;
	struct lg_rec_lock l;
	take(c, &l, sizeof(l));
	if (c->bad || l.kind == 0)
		return fail(r, "malformed lock record");
	if (!ref_ok(&t->stack_ix, l.init_stack) || !ref_ok(&t->stack_ix, l.first_stack))
		return fail(r, "lock %u refers to an unknown stack", l.id);
	if (!define_id(&t->lock_ix, l.id, t->nlocks))
		return fail(r, "lock id %u is zero or defined twice", l.id);
	lg_grow(&t->locks, &t->locks_cap, t->nlocks, sizeof(*t->locks));
	t->locks[t->nlocks++] = (struct lg_trace_lock){
	        .id = l.id,
	        .generation = l.generation,
	        .address = l.address,
	        .kind = l.kind,
	        .flags = l.flags,
	        .size = l.size,
	        .init_stack = l.init_stack,
	        .first_stack = l.first_stack,
	        .first_thread = l.first_thread,
	        .module = module_at(t, l.address),
	};
	return true;
}

static bool read_acquire(struct reader *r, struct cursor *c)
{
	struct lg_trace *t = r->t;
	struct lg_rec_acquire a;
	take(c, &a, sizeof(a));
	if (c->bad || (size_t)(c->end - c->p) != a.nheld * sizeof(struct lg_rec_held))
		return fail(r, "malformed acquire record");
	if (!defined(&t->thread_ix, a.thread) || !defined(&t->lock_ix, a.lock) ||
	    !ref_ok(&t->stack_ix, a.stack))
		return fail(r, "acquire record refers to an unknown thread, lock or stack");
	struct lg_trace_held *held = lg_xcalloc(a.nheld, sizeof(*held));
	for (unsigned i = 0; i < a.nheld; i++) {
		struct lg_rec_held h;
		take(c, &h, sizeof(h));
		held[i] = (struct lg_trace_held){h.lock, h.stack, h.mode, h.flags};
		if (!defined(&t->lock_ix, h.lock) || !ref_ok(&t->stack_ix, h.stack) ||
		    h.lock == a.lock) {
			free(held);
			return fail(r, "acquire record holds an unknown lock or stack");
		}
	}
	lg_grow(&t->acquires, &t->acquires_cap, t->nacquires, sizeof(*t->acquires));
	t->acquires[t->nacquires++] = (struct lg_trace_acquire){
	        .thread = a.thread,
	        .lock = a.lock,
	        .stack = a.stack,
	        .mode = a.mode,
	        .flags = a.flags,
	        .nheld = a.nheld,
	        .held = held,
	};
	return true;
}

static bool read_warning(struct reader *r, struct cursor *c)
{
	struct lg_trace *t = r->t;
	struct lg_rec_warning w;
	take(c, &w, sizeof(w));
	lg_grow(&t->warnings, &t->warnings_cap, t->nwarnings, sizeof(*t->warnings));
	t->warnings[t->nwarnings].code = w.code;
	t->warnings[t->nwarnings++].message = take_str(c);
	return !c->bad || fail(r, "malformed warning record");
}

static bool read_deadlock(struct reader *r, struct cursor *c)
{
	struct lg_trace *t = r->t;
	struct lg_rec_deadlock d;
	take(c, &d, sizeof(d));
	if (c->bad || d.nthreads == 0)
		return fail(r, "malformed deadlock record");
	lg_grow(&t->deadlocks, &t->deadlocks_cap, t->ndeadlocks, sizeof(*t->deadlocks));
	struct lg_trace_deadlock *td = &t->deadlocks[t->ndeadlocks++];
	*td = (struct lg_trace_deadlock){
	        .formed_ns = d.formed_mono_ns,
	        .detected_ns = d.detected_mono_ns,
	        .wall_ns = d.wall_ns,
	        .flags = d.flags,
	        .action = d.action,
	        .nwaiters = d.nthreads,
	        .waiters = lg_xcalloc(d.nthreads, sizeof(*td->waiters)),
	};
	for (unsigned i = 0; i < d.nthreads; i++) {
		struct lg_rec_waiter w;
		take(c, &w, sizeof(w));
		if (c->bad)
			return fail(r, "deadlock record cut short");
		if (!defined(&t->thread_ix, w.thread) || !defined(&t->lock_ix, w.lock) ||
		    !ref_ok(&t->stack_ix, w.wait_stack))
			return fail(r,
			            "deadlock record refers to an unknown thread, lock or stack");
		struct lg_trace_waiter *tw = &td->waiters[i];
		*tw = (struct lg_trace_waiter){
		        .thread = w.thread,
		        .lock = w.lock,
		        .wait_stack = w.wait_stack,
		        .mode = w.mode,
		        .flags = w.flags,
		        .nholding = w.nholding,
		        .holding = lg_xcalloc(w.nholding, sizeof(*tw->holding)),
		};
		for (unsigned k = 0; k < w.nholding; k++) {
			struct lg_rec_holding h;
			take(c, &h, sizeof(h));
			if (c->bad)
				return fail(r, "deadlock record cut short");
			if (!defined(&t->lock_ix, h.lock) || !ref_ok(&t->stack_ix, h.stack))
				return fail(r, "deadlock record holds an unknown lock or stack");
			tw->holding[k] = (struct lg_trace_holding){h.lock, h.stack, h.mode};
		}
	}
	return true;
}

static bool read_long(struct reader *r, struct cursor *c, uint16_t type)
{
	struct lg_trace *t = r->t;
	struct lg_rec_long l;
	take(c, &l, sizeof(l));
	if (c->bad)
		return fail(r, "malformed long wait/hold record");
	/* other_thread may have no record: a running holder is never read. */
	if (!defined(&t->thread_ix, l.thread) || !defined(&t->lock_ix, l.lock) ||
	    !ref_ok(&t->stack_ix, l.stack) || !ref_ok(&t->stack_ix, l.other_stack))
		return fail(r, "long wait/hold record refers to an unknown thread, lock or stack");
	lg_grow(&t->longs, &t->longs_cap, t->nlongs, sizeof(*t->longs));
	t->longs[t->nlongs++] = (struct lg_trace_long){
	        .type = type,
	        .thread = l.thread,
	        .lock = l.lock,
	        .stack = l.stack,
	        .other_thread = l.other_thread,
	        .other_stack = l.other_stack,
	        .duration_ns = l.duration_ns,
	        .wall_ns = l.wall_ns,
	};
	return true;
}

static bool read_join(struct reader *r, struct cursor *c)
{
	struct lg_trace *t = r->t;
	struct lg_rec_join j;
	take(c, &j, sizeof(j));
	/* The joined thread may never have needed a record of its own. */
	if (c->bad || !defined(&t->thread_ix, j.joiner) || j.joined == 0)
		return fail(r, "malformed join record");
	lg_grow(&t->joins, &t->joins_cap, t->njoins, sizeof(*t->joins));
	t->joins[t->njoins++] = (struct lg_trace_join){j.joiner, j.joined, j.seq};
	return true;
}

/* A rename: applied to the thread's record if it has one (a record written
 * later carries the new name itself). */
static bool read_thread_name(struct reader *r, struct cursor *c)
{
	struct lg_trace *t = r->t;
	struct lg_rec_thread_name n;
	take(c, &n, sizeof(n));
	char *name = take_str(c);
	if (c->bad) {
		free(name);
		return fail(r, "malformed thread name record");
	}
	uint64_t v = lg_idmap_get(&t->thread_ix, n.thread);
	if (v) {
		free(t->threads[v - 1].name);
		t->threads[v - 1].name = name;
	} else {
		free(name);
	}
	return true;
}

static bool read_end(struct reader *r, struct cursor *c)
{
	struct lg_rec_end e;
	take(c, &e, sizeof(e));
	if (c->bad)
		return fail(r, "malformed end record");
	r->t->ended = true;
	r->t->end_how = e.how;
	r->t->end_status = e.status;
	r->t->end_wall_ns = e.end_wall_ns;
	r->t->end_mono_ns = e.end_mono_ns;
	return true;
}

static bool read_profile(struct reader *r, struct cursor *c)
{
	struct lg_trace *t = r->t;
	struct lg_rec_profile p;
	take(c, &p, sizeof(p));
	if (c->bad)
		return fail(r, "malformed profile record");
	if (!defined(&t->thread_ix, p.thread) || !defined(&t->lock_ix, p.lock) ||
	    !ref_ok(&t->stack_ix, p.site_stack))
		return fail(r, "profile record refers to an unknown thread, lock or stack");
	if (p.contended > p.acquisitions || p.wait_max_ns > p.wait_ns || p.hold_max_ns > p.hold_ns)
		return fail(r, "profile record with impossible counts");
	lg_grow(&t->profiles, &t->profiles_cap, t->nprofiles, sizeof(*t->profiles));
	t->profiles[t->nprofiles++] = (struct lg_trace_profile){
	        .thread = p.thread,
	        .lock = p.lock,
	        .site_stack = p.site_stack,
	        .acquisitions = p.acquisitions,
	        .contended = p.contended,
	        .wait_ns = p.wait_ns,
	        .wait_max_ns = p.wait_max_ns,
	        .hold_ns = p.hold_ns,
	        .hold_max_ns = p.hold_max_ns,
	};
	return true;
}

static bool read_record(struct reader *r, uint16_t type, struct cursor *c)
{
	if (r->record == 1 && type != LG_REC_PROCESS)
		return fail(r, "not a lockgraph trace");
	switch (type) {
	case LG_REC_PROCESS:
		if (r->record != 1)
			return fail(r, "a second process record");
		return read_process(r, c);
	case LG_REC_MODULE:
		return read_module(r, c);
	case LG_REC_STACK:
		return read_stack(r, c);
	case LG_REC_THREAD:
		return read_thread(r, c);
	case LG_REC_LOCK:
		return read_lock(r, c);
	case LG_REC_ACQUIRE:
		return read_acquire(r, c);
	case LG_REC_WARNING:
		return read_warning(r, c);
	case LG_REC_END:
		return read_end(r, c);
	case LG_REC_DEADLOCK:
		return read_deadlock(r, c);
	case LG_REC_LONG_WAIT:
	case LG_REC_LONG_HOLD:
		return read_long(r, c, type);
	case LG_REC_JOIN:
		return read_join(r, c);
	case LG_REC_THREAD_NAME:
		return read_thread_name(r, c);
	case LG_REC_PROFILE:
		return read_profile(r, c);
	}
	/* A newer minor version may add record types: skip them. */
	r->t->unknown_records++;
	return true;
}

struct lg_trace *lg_trace_parse(const char *name, const uint8_t *data, size_t size, char *err,
                                size_t errlen)
{
	struct lg_trace *t = lg_xcalloc(1, sizeof(*t));
	t->path = lg_xstrdup(name);
	struct reader r = {.t = t, .err = err, .errlen = errlen};
	if (size == 0) {
		snprintf(err, errlen, "empty file (the process may have been killed at start-up)");
		goto bad;
	}
	/* The process record's payload starts with the magic. */
	if (size < sizeof(struct lg_rec_header) + 8 ||
	    memcmp(data + sizeof(struct lg_rec_header), LG_TRACE_MAGIC, 8) != 0) {
		snprintf(err, errlen, "not a lockgraph trace");
		goto bad;
	}
	size_t off = 0;
	while (off < size) {
		r.record++;
		r.offset = off;
		size_t left = size - off;
		struct lg_rec_header h = {0};
		if (left >= sizeof(h))
			memcpy(&h, data + off, sizeof(h));
		if (h.len > LG_TRACE_MAX_PAYLOAD) {
			fail(&r, "record length %u is larger than any record", h.len);
			goto bad;
		}
		if (left < sizeof(h) || left - sizeof(h) < h.len) {
			if (r.record == 1) {
				fail(&r, "cut short inside the first record");
				goto bad;
			}
			t->truncated = true;
			t->truncated_at = off;
			break;
		}
		struct cursor c = {data + off + sizeof(h), data + off + sizeof(h) + h.len, false};
		if (!read_record(&r, h.type, &c))
			goto bad;
		t->records++;
		off += sizeof(h) + h.len;
	}
	return t;
bad:
	lg_trace_free(t);
	return NULL;
}

struct lg_trace *lg_trace_read(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s", strerror(errno));
		return NULL;
	}
	uint8_t *data = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		lg_grow(&data, &cap, len + 65536, 1);
		size_t n = fread(data + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	bool io_error = ferror(f);
	int saved = errno;
	fclose(f);
	if (io_error) {
		free(data);
		snprintf(err, errlen, "%s", strerror(saved));
		return NULL;
	}
	struct lg_trace *t = lg_trace_parse(path, data, len, err, errlen);
	free(data);
	return t;
}

void lg_trace_free(struct lg_trace *t)
{
	if (!t)
		return;
	free(t->path);
	free(t->exe);
	free(t->host);
	free(t->run);
	free(t->cmdline);
	for (size_t i = 0; i < t->nmodules; i++) {
		free((char *)t->modules[i].ref.path);
		free((uint8_t *)t->modules[i].ref.build_id);
	}
	free(t->modules);
	for (size_t i = 0; i < t->nstacks; i++) {
		free(t->stacks[i].pcs);
		free(t->stacks[i].module);
	}
	free(t->stacks);
	for (size_t i = 0; i < t->nthreads; i++)
		free(t->threads[i].name);
	free(t->threads);
	free(t->locks);
	for (size_t i = 0; i < t->nacquires; i++)
		free(t->acquires[i].held);
	free(t->acquires);
	for (size_t i = 0; i < t->nwarnings; i++)
		free(t->warnings[i].message);
	free(t->warnings);
	for (size_t i = 0; i < t->ndeadlocks; i++) {
		for (unsigned k = 0; k < t->deadlocks[i].nwaiters; k++)
			free(t->deadlocks[i].waiters[k].holding);
		free(t->deadlocks[i].waiters);
	}
	free(t->deadlocks);
	free(t->longs);
	free(t->profiles);
	free(t->joins);
	lg_idmap_free(&t->stack_ix);
	lg_idmap_free(&t->thread_ix);
	lg_idmap_free(&t->lock_ix);
	free(t);
}

const struct lg_trace_stack *lg_trace_stack_by_id(const struct lg_trace *t, uint32_t id)
{
	uint64_t v = lg_idmap_get(&t->stack_ix, id);
	return v ? &t->stacks[v - 1] : NULL;
}

const struct lg_trace_thread *lg_trace_thread_by_id(const struct lg_trace *t, uint32_t id)
{
	uint64_t v = lg_idmap_get(&t->thread_ix, id);
	return v ? &t->threads[v - 1] : NULL;
}

const struct lg_trace_lock *lg_trace_lock_by_id(const struct lg_trace *t, uint32_t id)
{
	uint64_t v = lg_idmap_get(&t->lock_ix, id);
	return v ? &t->locks[v - 1] : NULL;
}
