/* The JSON report. The shape of "findings" is fixed (version 1): tools and
 * CI scripts read it. New information goes into new keys. */
#include <string.h>

#include "json_out.h"
#include "render.h"
#include "render_profile.h"
#include "trace_format.h"

#ifndef LG_VERSION
#define LG_VERSION "unknown"
#endif

static void frames(struct lg_json *j, const struct lg_fstack *s)
{
	lg_json_array_begin(j);
	for (size_t i = 0; i < s->n; i++) {
		const struct lg_frame *fr = &s->frames[i];
		lg_json_object_begin(j);
		lg_json_key(j, "pc");
		lg_json_hex(j, fr->pc);
		lg_json_key(j, "function");
		lg_json_string(j, fr->function);
		lg_json_key(j, "file");
		lg_json_string(j, fr->file);
		lg_json_key(j, "line");
		if (fr->line)
			lg_json_int(j, fr->line);
		else
			lg_json_null(j);
		lg_json_key(j, "module");
		lg_json_string(j, fr->module);
		if (fr->module) {
			lg_json_key(j, "offset");
			lg_json_hex(j, fr->offset);
		}
		if (fr->inlined) {
			lg_json_key(j, "inlined");
			lg_json_bool(j, true);
		}
		lg_json_object_end(j);
	}
	lg_json_array_end(j);
}

/* "stack": frames, plus what is known about its completeness. */
static void stack(struct lg_json *j, const char *key, const struct lg_fstack *s)
{
	lg_json_key(j, key);
	frames(j, s);
	if (s->call_site_only || s->truncated) {
		char flag[64];
		snprintf(flag, sizeof(flag), "%s_complete", key);
		lg_json_key(j, flag);
		lg_json_bool(j, false);
	}
}

static const char *action_name(int action)
{
	switch ((enum lg_deadlock_action)action) {
	case LG_ACTION_EXIT:
		return "exit";
	case LG_ACTION_ABORT:
		return "abort";
	case LG_ACTION_WAIT:
		return "wait";
	case LG_ACTION_NONE:
		break;
	}
	return "none";
}

static void actual_fields(struct lg_json *j, const struct lg_finding *fi)
{
	lg_json_key(j, "broken_by_timeout");
	lg_json_bool(j, fi->broken_by_timeout);
	lg_json_key(j, "times");
	lg_json_int(j, (long long)fi->occurrences);
	lg_json_key(j, "span_ms");
	lg_json_int(j, (long long)((fi->last_wall_ns - fi->first_wall_ns) / 1000000));
	lg_json_key(j, "detected_after_ms");
	lg_json_int(j, (long long)(fi->detected_after_ns / 1000000));
	lg_json_key(j, "detected_after_us");
	lg_json_int(j, (long long)(fi->detected_after_ns / 1000));
	lg_json_key(j, "also_potential");
	lg_json_bool(j, fi->also_potential);
	lg_json_key(j, "action");
	lg_json_string(j, action_name(fi->action));
}

/* Where a stuck thread waits and what it holds (actual deadlocks). */
static void thread_wait(struct lg_json *j, const struct lg_finding *fi, const struct lg_fthread *t)
{
	lg_json_key(j, "waiting_for");
	lg_json_string(j, fi->locks[t->waiting_for].label);
	lg_json_key(j, "timed_wait");
	lg_json_bool(j, t->timed_wait);
	stack(j, "wait_stack", &t->wait_stack);
	lg_json_key(j, "holding");
	lg_json_array_begin(j);
	for (size_t k = 0; k < t->nholding; k++) {
		lg_json_object_begin(j);
		lg_json_key(j, "lock");
		lg_json_string(j, fi->locks[t->holding[k].lock].label);
		stack(j, "stack", &t->holding[k].stack);
		lg_json_object_end(j);
	}
	lg_json_array_end(j);
}

static void finding(struct lg_json *j, const struct lg_finding *fi)
{
	lg_json_object_begin(j);
	lg_json_key(j, "kind");
	lg_json_string(j, fi->kind == LG_FINDING_ACTUAL ? "actual-deadlock" : "potential-deadlock");
	lg_json_key(j, "scope");
	lg_json_string(j, fi->class_scope ? "class" : "instance");
	if (fi->class_scope) {
		lg_json_key(j, "within_class");
		lg_json_bool(j, fi->within_class);
	}
	lg_json_key(j, "latent");
	lg_json_bool(j, fi->latent);
	if (fi->latent) {
		lg_json_key(j, "latent_reason");
		lg_json_string(j, fi->latent_reason == LG_LATENT_NO_OVERLAP
		                          ? "threads never overlapped"
		                          : "seen in one thread only");
	}
	if (fi->undecided) {
		lg_json_key(j, "undecided");
		lg_json_bool(j, true);
	}
	lg_json_key(j, "signature");
	lg_json_string(j, fi->signature);
	lg_json_key(j, "occurrences");
	lg_json_int(j, (long long)fi->occurrences);
	if (fi->kind == LG_FINDING_ACTUAL)
		actual_fields(j, fi);

	lg_json_key(j, "processes");
	lg_json_array_begin(j);
	for (size_t i = 0; i < fi->nprocs; i++) {
		lg_json_object_begin(j);
		lg_json_key(j, "pid");
		lg_json_int(j, fi->procs[i].pid);
		lg_json_key(j, "exe");
		lg_json_string(j, fi->procs[i].exe);
		lg_json_key(j, "host");
		lg_json_string(j, fi->procs[i].host);
		lg_json_key(j, "trace");
		lg_json_string(j, fi->procs[i].trace);
		lg_json_object_end(j);
	}
	lg_json_array_end(j);

	lg_json_key(j, "locks");
	lg_json_array_begin(j);
	for (size_t i = 0; i < fi->nlocks; i++) {
		const struct lg_flock *l = &fi->locks[i];
		lg_json_object_begin(j);
		lg_json_key(j, "id");
		lg_json_string(j, l->label);
		lg_json_key(j, "kind");
		lg_json_string(j, l->kind);
		if (l->type) {
			lg_json_key(j, "type");
			lg_json_string(j, l->type);
			lg_json_key(j, "robust");
			lg_json_bool(j, l->robust);
		}
		lg_json_key(j, "name");
		lg_json_string(j, l->name);
		lg_json_key(j, "description");
		lg_json_string(j, l->description);
		lg_json_key(j, "address");
		lg_json_hex(j, l->address);
		stack(j, "first_taken", &l->first_taken);
		stack(j, "created_at", &l->created_at);
		lg_json_object_end(j);
	}
	lg_json_array_end(j);

	lg_json_key(j, "threads");
	lg_json_array_begin(j);
	for (size_t i = 0; i < fi->nthreads; i++) {
		const struct lg_fthread *t = &fi->threads[i];
		lg_json_object_begin(j);
		lg_json_key(j, "id");
		lg_json_string(j, t->label);
		lg_json_key(j, "name");
		lg_json_string(j, t->name);
		lg_json_key(j, "tid");
		lg_json_int(j, t->os_tid);
		lg_json_key(j, "main");
		lg_json_bool(j, t->main_thread);
		stack(j, "created_at", &t->created_at);
		if (t->waiting_for >= 0)
			thread_wait(j, fi, t);
		lg_json_object_end(j);
	}
	lg_json_array_end(j);

	lg_json_key(j, "edges");
	lg_json_array_begin(j);
	for (size_t i = 0; i < fi->nedges; i++) {
		const struct lg_fedge *e = &fi->edges[i];
		lg_json_object_begin(j);
		lg_json_key(j, "from");
		lg_json_string(j, fi->locks[e->from].label);
		lg_json_key(j, "to");
		lg_json_string(j, fi->locks[e->to].label);
		lg_json_key(j, "thread");
		lg_json_string(j, fi->threads[e->thread].label);
		lg_json_key(j, "from_mode");
		lg_json_string(j, lg_mode_name(&fi->locks[e->from], e->from_mode));
		lg_json_key(j, "to_mode");
		lg_json_string(j, lg_mode_name(&fi->locks[e->to], e->to_mode));
		lg_json_key(j, "acquired_with");
		lg_json_string(j, e->flags & LG_ACQ_TRY     ? "trylock"
		                  : e->flags & LG_ACQ_TIMED ? "timedlock"
		                                            : "lock");
		if (e->from_object) {
			lg_json_key(j, "from_object");
			lg_json_string(j, e->from_object);
			lg_json_key(j, "to_object");
			lg_json_string(j, e->to_object);
		}
		stack(j, "held_stack", &e->held);
		stack(j, "acquire_stack", &e->acquire);
		lg_json_object_end(j);
	}
	lg_json_array_end(j);
	lg_json_object_end(j);
}

static void stall(struct lg_json *j, const struct lg_stall *s)
{
	lg_json_object_begin(j);
	lg_json_key(j, "kind");
	lg_json_string(j, s->kind == LG_STALL_HOLD ? "long-hold" : "long-wait");
	lg_json_key(j, "lock");
	lg_json_object_begin(j);
	lg_json_key(j, "kind");
	lg_json_string(j, s->lock.kind);
	lg_json_key(j, "name");
	lg_json_string(j, s->lock.name);
	lg_json_key(j, "description");
	lg_json_string(j, s->lock.description);
	lg_json_key(j, "address");
	lg_json_hex(j, s->lock.address);
	lg_json_object_end(j);
	lg_json_key(j, "thread");
	lg_json_object_begin(j);
	lg_json_key(j, "name");
	lg_json_string(j, s->thread_name);
	lg_json_key(j, "tid");
	lg_json_int(j, s->tid);
	lg_json_object_end(j);
	lg_json_key(j, "count");
	lg_json_int(j, (long long)s->count);
	lg_json_key(j, "longest_ms");
	lg_json_int(j, (long long)(s->longest_ns / 1000000));
	stack(j, s->kind == LG_STALL_HOLD ? "taken_at" : "wait_stack", &s->stack);
	if (s->kind == LG_STALL_HOLD) {
		stack(j, "released_at", &s->other_stack);
	} else {
		lg_json_key(j, "holder");
		lg_json_object_begin(j);
		lg_json_key(j, "name");
		lg_json_string(j, s->other_name);
		lg_json_key(j, "tid");
		if (s->other_tid)
			lg_json_int(j, s->other_tid);
		else
			lg_json_null(j);
		stack(j, "taken_at", &s->other_stack);
		lg_json_object_end(j);
	}
	lg_json_key(j, "pid");
	lg_json_int(j, s->pid);
	lg_json_key(j, "exe");
	lg_json_string(j, s->exe);
	lg_json_object_end(j);
}

void lg_render_json(FILE *out, const struct lg_findings *f)
{
	struct lg_json j;
	lg_json_init(&j, out);
	lg_json_object_begin(&j);
	lg_json_key(&j, "version");
	lg_json_int(&j, 1);
	lg_json_key(&j, "tool");
	lg_json_string(&j, "lockgraph " LG_VERSION);
	lg_json_key(&j, "findings");
	lg_json_array_begin(&j);
	for (size_t i = 0; i < f->n; i++)
		finding(&j, f->v[i]);
	lg_json_array_end(&j);
	lg_json_key(&j, "stalls");
	lg_json_array_begin(&j);
	for (size_t i = 0; i < f->nstalls; i++)
		stall(&j, &f->stalls[i]);
	lg_json_array_end(&j);
	lg_render_profile_json(&j, &f->profile);
	lg_json_key(&j, "summary");
	lg_json_object_begin(&j);
	lg_json_key(&j, "traces");
	lg_json_int(&j, (long long)f->traces);
	lg_json_key(&j, "potential");
	lg_json_int(&j, (long long)lg_findings_count(f, LG_FINDING_POTENTIAL, false));
	lg_json_key(&j, "latent");
	lg_json_int(&j, (long long)lg_findings_count(f, LG_FINDING_POTENTIAL, true));
	lg_json_key(&j, "actual");
	lg_json_int(&j, (long long)lg_findings_count(f, LG_FINDING_ACTUAL, false));
	lg_json_key(&j, "truncated_traces");
	lg_json_int(&j, (long long)f->truncated);
	lg_json_key(&j, "unfinished_processes");
	lg_json_int(&j, (long long)f->unfinished);
	lg_json_key(&j, "search_bounded_components");
	lg_json_int(&j, (long long)f->components_cut);
	lg_json_key(&j, "suppressed");
	lg_json_int(&j, (long long)f->suppressed);
	lg_json_key(&j, "known");
	lg_json_int(&j, (long long)f->known);
	lg_json_key(&j, "left_out");
	lg_json_array_begin(&j);
	for (size_t i = 0; i < f->nleft_out; i++) {
		const struct lg_left_out *l = &f->left_out[i];
		lg_json_object_begin(&j);
		lg_json_key(&j, "signature");
		lg_json_string(&j, l->signature);
		lg_json_key(&j, "kind");
		lg_json_string(&j, l->kind == LG_FINDING_ACTUAL ? "actual-deadlock"
		                                                : "potential-deadlock");
		lg_json_key(&j, "latent");
		lg_json_bool(&j, l->latent);
		lg_json_key(&j, "why");
		lg_json_string(&j, l->rule ? "suppressed" : "baseline");
		lg_json_key(&j, "rule");
		lg_json_string(&j, l->rule);
		lg_json_object_end(&j);
	}
	lg_json_array_end(&j);
	lg_json_key(&j, "notes");
	lg_json_array_begin(&j);
	for (size_t i = 0; i < f->nnotes; i++)
		lg_json_string(&j, f->notes[i]);
	lg_json_array_end(&j);
	lg_json_object_end(&j);
	lg_json_object_end(&j);
}
