/* See lock_classes.h. */
#include "lock_classes.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "finding_parts.h"
#include "findings.h"
#include "idmap.h"
#include "strbuf.h"

int lg_class_mode_parse(const char *name, size_t len)
{
	if (len == 3 && strncmp(name, "off", 3) == 0)
		return LG_CLASSES_OFF;
	if (len == 9 && strncmp(name, "init-site", 9) == 0)
		return LG_CLASSES_INIT_SITE;
	return -1;
}

static uint64_t mix(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

/* "accounts[3].lock" -> "accounts[].lock": the array's elements are one
 * class. Returns NULL when name has no index. */
static char *strip_indices(const char *name)
{
	if (!strchr(name, '['))
		return NULL;
	char *out = lg_xmalloc(strlen(name) + 1), *o = out;
	for (const char *p = name; *p;) {
		*o++ = *p;
		if (*p++ != '[')
			continue;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	*o = 0;
	return out;
}

/* The class of lock `id` within trace t, as a key (0 never). */
static uint64_t class_key(struct lg_findings *f, const struct lg_trace *t, uint32_t id)
{
	const struct lg_trace_lock *l = lg_trace_lock_by_id(t, id);
	uint64_t h = 0xcbf29ce484222325ULL;
	const struct lg_trace_stack *s =
	        l && l->init_stack ? lg_trace_stack_by_id(t, l->init_stack) : NULL;
	if (s && s->nframes) {
		h = mix(h, "init", 4);
		h = mix(h, &s->pcs[0], sizeof(s->pcs[0]));
		return h ? h : 1;
	}
	const char *name = l ? lg_finding_lock_variable(f, t, l) : NULL;
	char *array = name ? strip_indices(name) : NULL;
	if (array) {
		h = mix(mix(h, "array", 5), array, strlen(array));
		free(array);
		return h ? h : 1;
	}
	h = mix(mix(h, "lock", 4), &id, sizeof(id));
	return h ? h : 1;
}

struct lg_graph *lg_class_graph_build(struct lg_findings *f, const struct lg_graph *g,
                                      size_t **class_of_out)
{
	struct lg_graph *cg = lg_xcalloc(1, sizeof(*cg));
	cg->trace = g->trace;
	size_t *class_of = lg_xcalloc(g->nnodes + 1, sizeof(size_t));
	struct lg_idmap node_of_class = {0};
	for (size_t n = 0; n < g->nnodes; n++) {
		/* Only locks with edges matter; every node of g has one. */
		uint64_t key = class_key(f, g->trace, g->nodes[n].lock);
		uint64_t at = lg_idmap_get(&node_of_class, key);
		if (!at) {
			at = lg_graph_new_node(cg, g->nodes[n].lock) + 1;
			lg_idmap_put(&node_of_class, key, at);
		}
		class_of[n] = at - 1;
	}
	lg_idmap_free(&node_of_class);
	for (size_t i = 0; i < g->nedges; i++) {
		const struct lg_edge *e = &g->edges[i];
		size_t from = class_of[e->from], to = class_of[e->to];
		if (from == to)
			continue; /* nesting within a class: not an order between classes */
		struct lg_edge *ce = lg_graph_edge_for(cg, from, to);
		for (size_t k = 0; k < e->nw; k++) {
			lg_grow(&ce->w, &ce->wcap, ce->nw, sizeof(*ce->w));
			ce->w[ce->nw++] = e->w[k];
		}
	}
	*class_of_out = class_of;
	return cg;
}

bool lg_class_cycle_covered(const struct lg_cycle *c, const struct lg_cycles *instance,
                            const size_t *class_of)
{
	/* Its own witnesses may form an instance cycle: each edge takes the
	 * object the next one holds. */
	bool same_objects = true;
	for (size_t i = 0; i < c->len && same_objects; i++)
		same_objects = c->chosen[i]->to_lock == c->chosen[(i + 1) % c->len]->from_lock;
	if (same_objects)
		return true;
	for (size_t k = 0; k < instance->n; k++) {
		const struct lg_cycle *ic = &instance->v[k];
		if (ic->len != c->len)
			continue;
		bool all = true;
		for (size_t i = 0; i < ic->len && all; i++) {
			bool found = false;
			for (size_t j = 0; j < c->len && !found; j++)
				found = class_of[ic->nodes[i]] == c->nodes[j];
			all = found;
		}
		if (all)
			return true;
	}
	return false;
}

void lg_class_describe(struct lg_findings *f, const struct lg_trace *t, struct lg_flock *lock)
{
	(void)f;
	/* As class_key decides: the init call first, then the array; an
	 * array's name says which objects a class created at one place are. */
	char *array = lock->name ? strip_indices(lock->name) : NULL;
	struct lg_strbuf b = {0};
	if (!lock->created_at.missing) {
		size_t n = strlen(lock->kind);
		if (array)
			lg_strbuf_printf(&b, "%s (created at ", array);
		else
			lg_strbuf_printf(&b, "%s%s created at ", lock->kind,
			                 n && lock->kind[n - 1] == 'x' ? "es" : "s");
		lg_finding_describe_top(&b, &lock->created_at, t);
		if (array)
			lg_strbuf_puts(&b, ")");
		/* The signature keys on where it was created, not the name. */
		free(array);
		array = NULL;
	} else if (array) {
		lg_strbuf_puts(&b, array);
	} else {
		lg_strbuf_puts(&b, lock->description);
	}
	free(lock->name);
	lock->name = array;
	free(lock->description);
	lock->description = lg_xstrdup(lg_strbuf_str(&b));
	lg_strbuf_free(&b);
}
