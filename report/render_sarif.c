/* The SARIF 2.1.0 report, for code-scanning front ends (GitHub code
 * scanning, VS Code's SARIF viewer, Azure DevOps): one run, one rule per
 * kind of finding, one result per finding, located where the order was
 * reversed (the last edge's acquisition), with one thread flow per edge
 * showing where its thread took the lock it held and then the one it
 * wanted. partialFingerprints carries the signature, so a front end tracks
 * the same bug across runs and builds the way lockgraph merges it. */
#include <string.h>

#include "json_out.h"
#include "render.h"
#include "render_util.h"

#ifndef LG_VERSION
#define LG_VERSION "unknown"
#endif

struct rule {
	const char *id, *name, *level, *short_text, *full_text, *help;
};

/* Indexed by rule_of(); the ids are a contract with people's suppressions
 * and dashboards: never renumber. */
static const struct rule rules[] = {
        {"LG001", "ActualDeadlock", "error",
         "Deadlock: threads were stuck, each waiting for a lock another one held",
         "Threads blocked in lock calls formed a cycle: each waited for a lock the next one "
         "held (or a thread locked a mutex it already held). The program hung, or went on only "
         "because a timed lock gave up.",
         "Take the locks in one order on every path, or release the held lock before taking "
         "the other. The code flows show, for each thread, where it took the lock it held and "
         "where it waited."},
        {"LG002", "PotentialDeadlock", "error",
         "Potential deadlock: lock-order inversion between threads",
         "Different threads took the same locks in opposite orders, with no common lock or "
         "trylock keeping them apart. It did not have to hang in this run; it hangs when the "
         "threads take them at the same moment.",
         "Take the locks in one order on every path, or release one lock before taking the "
         "other. The code flows show, for each thread, where it took the lock it held and "
         "where it took the next one."},
        {"LG003", "LatentLockOrderInversion", "warning",
         "Latent lock-order inversion: locks taken in both orders, not yet concurrently",
         "The locks were taken in opposite orders, but by one thread, or by threads that "
         "never ran at the same time, so it could not deadlock as the program ran. It "
         "deadlocks once those paths run in different threads concurrently.",
         "Take the locks in one order on every path. The code flows show where each order "
         "was taken."},
};

static size_t rule_of(const struct lg_finding *fi)
{
	if (fi->kind == LG_FINDING_ACTUAL)
		return 0;
	return fi->latent ? 2 : 1;
}

static void text_object(struct lg_json *j, const char *key, const char *text)
{
	lg_json_key(j, key);
	lg_json_object_begin(j);
	lg_json_key(j, "text");
	lg_json_string(j, text);
	lg_json_object_end(j);
}

static void driver(struct lg_json *j)
{
	lg_json_key(j, "driver");
	lg_json_object_begin(j);
	lg_json_key(j, "name");
	lg_json_string(j, "lockgraph");
	lg_json_key(j, "version");
	lg_json_string(j, LG_VERSION);
#ifdef LG_HOMEPAGE
	/* Only when the build names one: a made-up address is worse than none. */
	lg_json_key(j, "informationUri");
	lg_json_string(j, LG_HOMEPAGE);
#endif
	lg_json_key(j, "rules");
	lg_json_array_begin(j);
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		lg_json_object_begin(j);
		lg_json_key(j, "id");
		lg_json_string(j, rules[i].id);
		lg_json_key(j, "name");
		lg_json_string(j, rules[i].name);
		text_object(j, "shortDescription", rules[i].short_text);
		text_object(j, "fullDescription", rules[i].full_text);
		text_object(j, "help", rules[i].help);
		lg_json_key(j, "defaultConfiguration");
		lg_json_object_begin(j);
		lg_json_key(j, "level");
		lg_json_string(j, rules[i].level);
		lg_json_object_end(j);
		lg_json_object_end(j);
	}
	lg_json_array_end(j);
	lg_json_object_end(j);
}

/* A path as a URI reference: absolute paths become file:// URIs, others
 * stay relative; every byte outside the unreserved set (and '/') is
 * percent-encoded, so spaces, '#', '%' and non-ASCII names survive. */
static void uri(struct lg_strbuf *b, const char *path)
{
	if (path[0] == '/')
		lg_strbuf_puts(b, "file://");
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~/", *p))
			lg_strbuf_add(b, (const char *)p, 1);
		else
			lg_strbuf_printf(b, "%%%02X", *p);
	}
}

/* Can this frame be shown as a location at all? */
static bool usable(const struct lg_frame *fr)
{
	return fr && ((fr->file && fr->line) || fr->function);
}

/* file relative to root (--source-root), or NULL when it is not inside. */
static const char *under_root(const char *file, const char *root)
{
	size_t n = root ? strlen(root) : 0;
	if (!n || strncmp(file, root, n) != 0)
		return NULL;
	if (root[n - 1] == '/')
		return file[n] ? file + n : NULL;
	return file[n] == '/' && file[n + 1] ? file + n + 1 : NULL;
}

/* A location object's members: the source line when known, else the
 * function by name (a frame without debug information). A file under the
 * source root is named relative to it, with uriBaseId SRCROOT (what code
 * scanning services match against the repository). */
static void location_body(struct lg_json *j, const struct lg_frame *fr, const char *root)
{
	if (fr->file && fr->line) {
		struct lg_strbuf b = {0};
		const char *relative = under_root(fr->file, root);
		uri(&b, relative ? relative : fr->file);
		lg_json_key(j, "physicalLocation");
		lg_json_object_begin(j);
		lg_json_key(j, "artifactLocation");
		lg_json_object_begin(j);
		lg_json_key(j, "uri");
		lg_json_string(j, lg_strbuf_str(&b));
		if (relative) {
			lg_json_key(j, "uriBaseId");
			lg_json_string(j, "SRCROOT");
		}
		lg_json_object_end(j);
		lg_json_key(j, "region");
		lg_json_object_begin(j);
		lg_json_key(j, "startLine");
		lg_json_int(j, fr->line);
		lg_json_object_end(j);
		lg_json_object_end(j);
		lg_strbuf_free(&b);
	}
	if (fr->function) {
		lg_json_key(j, "logicalLocations");
		lg_json_array_begin(j);
		lg_json_object_begin(j);
		lg_json_key(j, "name");
		lg_json_string(j, fr->function);
		lg_json_key(j, "kind");
		lg_json_string(j, "function");
		lg_json_object_end(j);
		lg_json_array_end(j);
	}
}

static void flow_location(struct lg_json *j, const struct lg_frame *fr, const char *kind,
                          const char *message, const char *root)
{
	lg_json_object_begin(j);
	lg_json_key(j, "location");
	lg_json_object_begin(j);
	if (fr)
		location_body(j, fr, root);
	text_object(j, "message", message);
	lg_json_object_end(j);
	if (kind) {
		lg_json_key(j, "kinds");
		lg_json_array_begin(j);
		lg_json_string(j, kind);
		lg_json_array_end(j);
	}
	lg_json_object_end(j);
}

/* One edge as a thread flow: where its thread took the held lock, then
 * the acquisition (or wait) with the frames that led to it, innermost
 * first. */
static void thread_flow(struct lg_json *j, const struct lg_finding *fi, const struct lg_fedge *e,
                        const char *root)
{
	const char *held = fi->locks[e->from].description;
	const char *wanted = fi->locks[e->to].description;
	bool actual = fi->kind == LG_FINDING_ACTUAL;
	struct lg_strbuf b = {0};
	lg_render_thread(&b, &fi->threads[e->thread]);
	lg_strbuf_printf(&b,
	                 actual ? " waited for %s while holding %s" : " took %s while holding %s",
	                 wanted, held);

	lg_json_object_begin(j);
	text_object(j, "message", lg_strbuf_str(&b));
	lg_json_key(j, "locations");
	lg_json_array_begin(j);
	size_t shown = 0;
	const struct lg_frame *top = lg_fstack_top(&e->held);
	if (usable(top)) {
		lg_strbuf_reset(&b);
		lg_strbuf_printf(&b, "%s taken here", held);
		flow_location(j, top, "acquire", lg_strbuf_str(&b), root);
		shown++;
	}
	size_t n = lg_render_frames(&e->acquire);
	for (size_t i = 0; i < n; i++) {
		const struct lg_frame *fr = &e->acquire.frames[i];
		if (!usable(fr))
			continue;
		lg_strbuf_reset(&b);
		if (i == 0)
			lg_strbuf_printf(&b,
			                 actual ? "waits here for %s while holding %s"
			                        : "%s taken here while holding %s",
			                 wanted, held);
		else
			lg_strbuf_printf(&b, "%s calls %s", fr->function ? fr->function : "??",
			                 e->acquire.frames[i - 1].function
			                         ? e->acquire.frames[i - 1].function
			                         : "??");
		flow_location(j, fr, i == 0 ? "acquire" : "call", lg_strbuf_str(&b), root);
		shown++;
	}
	if (shown == 0) /* a thread flow needs one location; say why it has no place */
		flow_location(j, NULL, NULL, "no stack was recorded for this acquisition", root);
	lg_json_array_end(j);
	lg_json_object_end(j);
	lg_strbuf_free(&b);
}

/* "a", "a and b", "a, b and c" */
static void and_list(struct lg_strbuf *b, size_t i, size_t n)
{
	if (i > 0)
		lg_strbuf_puts(b, i + 1 == n ? " and " : ", ");
}

/* One sentence naming the locks and the threads. */
static void message(struct lg_strbuf *b, const struct lg_finding *fi)
{
	struct lg_strbuf threads = {0}, locks = {0};
	for (size_t i = 0; i < fi->nthreads; i++) {
		and_list(&threads, i, fi->nthreads);
		lg_render_thread(&threads, &fi->threads[i]);
	}
	for (size_t i = 0; i < fi->ncycle_locks; i++) {
		and_list(&locks, i, fi->ncycle_locks);
		lg_strbuf_puts(&locks, fi->locks[i].description);
	}
	const char *t = lg_strbuf_str(&threads), *l = lg_strbuf_str(&locks);
	/* Two locks have two orders; more go around a circle, each taken
	 * while holding the one before it. */
	const char *order = fi->ncycle_locks > 2 ? "in a circular order" : "in opposite orders";
	if (fi->kind == LG_FINDING_ACTUAL && fi->nthreads == 1)
		lg_strbuf_printf(b, "Deadlock: %s was stuck locking %s, which it already held.", t,
		                 l);
	else if (fi->broken_by_timeout)
		lg_strbuf_printf(b,
		                 "Deadlock broken by a timeout (%zu time%s): %s waited for each "
		                 "other's locks (%s) until a timed lock gave up.",
		                 fi->occurrences, fi->occurrences == 1 ? "" : "s", t, l);
	else if (fi->kind == LG_FINDING_ACTUAL)
		lg_strbuf_printf(
		        b,
		        "Deadlock: %s were stuck, each waiting for a lock another one held "
		        "(%s).",
		        t, l);
	else if (fi->latent)
		lg_strbuf_printf(
		        b,
		        "Latent lock-order inversion (%s): %s took %s %s; it deadlocks once "
		        "these paths run concurrently in different threads.",
		        fi->latent_reason == LG_LATENT_NO_OVERLAP ? "threads never overlapped"
		                                                  : "seen in one thread only",
		        t, l, order);
	else
		lg_strbuf_printf(b, "Potential deadlock: %s take %s %s.", t, l, order);
	lg_strbuf_free(&threads);
	lg_strbuf_free(&locks);
}

static void result(struct lg_json *j, const struct lg_finding *fi, const char *root)
{
	size_t r = rule_of(fi);
	struct lg_strbuf b = {0};
	message(&b, fi);
	lg_json_object_begin(j);
	lg_json_key(j, "ruleId");
	lg_json_string(j, rules[r].id);
	lg_json_key(j, "ruleIndex");
	lg_json_int(j, (long long)r);
	lg_json_key(j, "level");
	lg_json_string(j, rules[r].level);
	text_object(j, "message", lg_strbuf_str(&b));
	const struct lg_frame *where = lg_render_where(fi);
	if (usable(where)) {
		lg_json_key(j, "locations");
		lg_json_array_begin(j);
		lg_json_object_begin(j);
		location_body(j, where, root);
		lg_json_object_end(j);
		lg_json_array_end(j);
	}
	lg_json_key(j, "partialFingerprints");
	lg_json_object_begin(j);
	lg_json_key(j, "lockgraph/v1");
	lg_json_string(j, fi->signature);
	lg_json_object_end(j);
	lg_json_key(j, "occurrenceCount");
	lg_json_int(j, (long long)(fi->occurrences ? fi->occurrences : 1));
	lg_json_key(j, "codeFlows");
	lg_json_array_begin(j);
	lg_json_object_begin(j);
	lg_json_key(j, "threadFlows");
	lg_json_array_begin(j);
	for (size_t i = 0; i < fi->nedges; i++)
		thread_flow(j, fi, &fi->edges[i], root);
	lg_json_array_end(j);
	lg_json_object_end(j);
	lg_json_array_end(j);
	lg_json_key(j, "properties");
	lg_json_object_begin(j);
	lg_json_key(j, "kind");
	lg_json_string(j, lg_render_kind(fi));
	lg_json_key(j, "processes");
	lg_json_int(j, (long long)fi->nprocs);
	lg_json_object_end(j);
	lg_json_object_end(j);
	lg_strbuf_free(&b);
}

/* Trace warnings and unusable modules, as the run's notifications. */
static void invocation(struct lg_json *j, const struct lg_findings *f)
{
	lg_json_key(j, "invocations");
	lg_json_array_begin(j);
	lg_json_object_begin(j);
	lg_json_key(j, "executionSuccessful");
	lg_json_bool(j, true);
	lg_json_key(j, "toolExecutionNotifications");
	lg_json_array_begin(j);
	for (size_t i = 0; i < f->nnotes; i++) {
		lg_json_object_begin(j);
		text_object(j, "message", f->notes[i]);
		lg_json_key(j, "level");
		lg_json_string(j, "note");
		lg_json_object_end(j);
	}
	lg_json_array_end(j);
	lg_json_object_end(j);
	lg_json_array_end(j);
}

void lg_render_sarif(FILE *out, const struct lg_findings *f)
{
	struct lg_json j;
	lg_json_init(&j, out);
	lg_json_object_begin(&j);
	lg_json_key(&j, "$schema");
	lg_json_string(&j, "https://json.schemastore.org/sarif-2.1.0.json");
	lg_json_key(&j, "version");
	lg_json_string(&j, "2.1.0");
	lg_json_key(&j, "runs");
	lg_json_array_begin(&j);
	lg_json_object_begin(&j);
	lg_json_key(&j, "tool");
	lg_json_object_begin(&j);
	driver(&j);
	lg_json_object_end(&j);
	invocation(&j, f);
	if (f->source_root) {
		/* Where SRCROOT-relative locations resolve on this machine. */
		struct lg_strbuf b = {0};
		uri(&b, f->source_root);
		if (b.len && lg_strbuf_str(&b)[b.len - 1] != '/')
			lg_strbuf_puts(&b, "/");
		lg_json_key(&j, "originalUriBaseIds");
		lg_json_object_begin(&j);
		lg_json_key(&j, "SRCROOT");
		lg_json_object_begin(&j);
		lg_json_key(&j, "uri");
		lg_json_string(&j, lg_strbuf_str(&b));
		lg_json_object_end(&j);
		lg_json_object_end(&j);
	}
	lg_json_key(&j, "results");
	lg_json_array_begin(&j);
	for (size_t i = 0; i < f->n; i++)
		result(&j, f->v[i], f->source_root);
	lg_json_array_end(&j);
	lg_json_object_end(&j);
	lg_json_array_end(&j);
	lg_json_object_end(&j);
}
