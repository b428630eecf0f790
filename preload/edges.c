/* See edges.h. Only slow paths come here (a per-thread cache in front
 * filters repeats); everything happens under the edges table lock. */
#include "edges.h"

#include <string.h>
#include <sys/mman.h>

#include "arena.h"
#include "lock_table.h"
#include "options.h"
#include "table.h"
#include "thread.h"
#include "trace_format.h"
#include "trace_write.h"

struct lg_edge {
	struct lg_table_node node; /* key: from << 32 | to */
	uint32_t groups;
	bool cap_warned;
};

/* A kept minimal held set. */
struct lg_hset {
	struct lg_hset *next;
	uint32_t n;
	/* Sorted. Shared by every group one acquisition added it to (a thread
	 * holding d locks adds to d groups: one copy, not d), or the group's
	 * own for a summary (which is narrowed in place). */
	uint32_t *ids;
};

/* The witnesses of one edge by one thread in one mode/flags combination.
 * Only that thread reads or changes sets and nsets. */
struct lg_group {
	struct lg_table_node node; /* key: hash of the fields below */
	uint32_t from, to, thread;
	uint8_t from_mode, to_mode, flags;
	bool summary; /* sets holds one set: the intersection of all seen */
	uint32_t nsets;
	struct lg_hset *sets;
};

/* edges.lock serializes all inserts into both tables. */
static struct lg_table edges, groups;
static uint64_t nedges;
static bool capped; /* edges lock */

bool lg_edges_init(void)
{
	/* Small to start with: both grow (under the edges lock, the only way
	 * they are read). */
	return lg_table_init(&edges, 10) && lg_table_init(&groups, 10);
}

static uint64_t group_hash(uint32_t from, uint32_t to, uint32_t thread, uint8_t from_mode,
                           uint8_t to_mode, uint8_t flags)
{
	uint64_t h = lg_mix64(((uint64_t)from << 32) | to);
	return lg_mix64(h ^ thread ^ ((uint64_t)from_mode << 40) ^ ((uint64_t)to_mode << 48) ^
	                ((uint64_t)flags << 56)) |
	       1;
}

static struct lg_edge *edge_get(uint32_t from, uint32_t to)
{
	uint64_t key = ((uint64_t)from << 32) | to;
	struct lg_table_node *n = lg_table_first(&edges, key);
	if (n)
		return (struct lg_edge *)n;
	if (nedges >= (uint64_t)lg_opts.max_edges) {
		if (!capped) {
			capped = true;
			lg_trace_warn(LG_WARN_CAPACITY,
			              "more than %d lock-order edge%s: later ones are not recorded "
			              "(raise LOCKGRAPH_OPTIONS=max_edges)",
			              lg_opts.max_edges, lg_opts.max_edges == 1 ? "" : "s");
		}
		return NULL;
	}
	struct lg_edge *e = lg_arena_alloc(sizeof(*e));
	if (!e)
		return NULL;
	e->node.key = key;
	lg_table_insert_locked(&edges, &e->node);
	lg_table_grow_locked(&edges);
	nedges++;
	return e;
}

static struct lg_group *group_get(uint32_t from, uint32_t to, uint32_t thread, uint8_t from_mode,
                                  uint8_t to_mode, uint8_t flags)
{
	uint64_t h = group_hash(from, to, thread, from_mode, to_mode, flags);
	for (struct lg_table_node *n = lg_table_first(&groups, h); n; n = lg_table_next(n)) {
		struct lg_group *g = (struct lg_group *)n;
		if (g->from == from && g->to == to && g->thread == thread &&
		    g->from_mode == from_mode && g->to_mode == to_mode && g->flags == flags)
			return g;
	}
	struct lg_edge *e = edge_get(from, to);
	if (!e)
		return NULL;
	if (e->groups >= LG_EDGE_MAX_GROUPS) {
		if (!e->cap_warned) {
			e->cap_warned = true;
			lg_trace_warn(
			        LG_WARN_CAPACITY,
			        "lock-order edge L%u -> L%u was taken by more than %d threads; "
			        "later threads' witnesses are not recorded",
			        from, to, LG_EDGE_MAX_GROUPS);
		}
		return NULL;
	}
	struct lg_group *g = lg_arena_alloc(sizeof(*g));
	if (!g)
		return NULL;
	g->node.key = h;
	g->from = from;
	g->to = to;
	g->thread = thread;
	g->from_mode = from_mode;
	g->to_mode = to_mode;
	g->flags = flags;
	lg_table_insert_locked(&groups, &g->node);
	lg_table_grow_locked(&groups);
	e->groups++;
	return g;
}

/* Is sorted a[0..na) a subset of sorted b[0..nb)? */
static bool subset(const uint32_t *a, uint32_t na, const uint32_t *b, uint32_t nb)
{
	uint32_t j = 0;
	for (uint32_t i = 0; i < na; i++) {
		while (j < nb && b[j] < a[i])
			j++;
		if (j == nb || b[j] != a[i])
			return false;
		j++;
	}
	return true;
}

/* Is some kept set of g a subset of ids (so ids adds nothing)? */
static bool dominated(const struct lg_group *g, const uint32_t *ids, uint32_t n)
{
	for (const struct lg_hset *s = g->sets; s; s = s->next)
		if (subset(s->ids, s->n, ids, n))
			return true;
	return false;
}

static uint32_t *copy_ids(const uint32_t *ids, uint32_t n)
{
	uint32_t *copy = lg_arena_alloc((n ? n : 1) * sizeof(uint32_t));
	if (copy)
		memcpy(copy, ids, n * sizeof(uint32_t));
	return copy;
}

/* A set node for ids; *shared is the acquisition's one copy (made here on
 * first use), or NULL with own: a private copy. */
static struct lg_hset *new_set(const uint32_t *ids, uint32_t n, uint32_t **shared)
{
	struct lg_hset *s = lg_arena_alloc(sizeof(*s));
	if (!s)
		return NULL;
	if (shared && !*shared)
		*shared = copy_ids(ids, n);
	s->ids = shared ? *shared : copy_ids(ids, n);
	s->n = n;
	return s->ids ? s : NULL;
}

/* Intersects sorted a[0..*na) with sorted b[0..nb) in place. */
static void intersect(uint32_t *a, uint32_t *na, const uint32_t *b, uint32_t nb)
{
	uint32_t out = 0, j = 0;
	for (uint32_t i = 0; i < *na; i++) {
		while (j < nb && b[j] < a[i])
			j++;
		if (j < nb && b[j] == a[i])
			a[out++] = a[i];
	}
	*na = out;
}

static void add_summary(struct lg_edges_news *news, const uint32_t *ids, uint32_t n)
{
	uint32_t need = news->used + 1 + n;
	if (need > news->cap) {
		uint32_t cap = need * 2;
		uint32_t *bigger = lg_arena_alloc(cap * sizeof(uint32_t));
		if (!bigger)
			return;
		memcpy(bigger, news->ids, news->used * sizeof(uint32_t));
		news->ids = bigger; /* the old buffer stays in the arena */
		news->cap = cap;
	}
	news->ids[news->used++] = n;
	memcpy(news->ids + news->used, ids, n * sizeof(uint32_t));
	news->used += n;
	news->nsummaries++;
}

/* Adds held set ids to g unless a kept set is a subset of it (it then adds
 * nothing a reporter could use); drops kept sets it is a subset of. */
static void add_set(struct lg_group *g, const uint32_t *ids, uint32_t n, uint32_t **shared,
                    struct lg_edges_news *news)
{
	if (dominated(g, ids, n))
		return;
	if (g->summary) {
		intersect(g->sets->ids, &g->sets->n, ids, n);
		add_summary(news, g->sets->ids, g->sets->n);
		return;
	}
	for (struct lg_hset **p = &g->sets; *p;) {
		if (subset(ids, n, (*p)->ids, (*p)->n)) {
			*p = (*p)->next; /* arena memory: not freed */
			g->nsets--;
		} else {
			p = &(*p)->next;
		}
	}
	if (g->nsets < LG_EDGE_MAX_SETS) {
		struct lg_hset *s = new_set(ids, n, shared);
		if (s) {
			s->next = g->sets;
			g->sets = s;
			g->nsets++;
			news->witnessed = true;
		}
		return;
	}
	struct lg_hset *sum = new_set(ids, n, NULL);
	if (!sum)
		return;
	for (struct lg_hset *s = g->sets; s; s = s->next)
		intersect(sum->ids, &sum->n, s->ids, s->n);
	g->summary = true;
	g->sets = sum;
	g->nsets = 1;
	add_summary(news, sum->ids, sum->n);
}

/* t's own group for these fields, from its private index; NULL if t has
 * none yet. */
static const struct lg_group *own_group(const struct lg_thread *t, uint64_t hash, uint32_t from,
                                        uint32_t to, uint8_t from_mode, uint8_t to_mode,
                                        uint8_t flags)
{
	if (!t->groups)
		return NULL;
	for (uint32_t i = (uint32_t)hash & t->groups_mask;; i = (i + 1) & t->groups_mask) {
		const struct lg_group *g = t->groups[i];
		if (!g)
			return NULL;
		if (g->node.key == hash && g->from == from && g->to == to &&
		    g->from_mode == from_mode && g->to_mode == to_mode && g->flags == flags)
			return g;
	}
}

static void index_insert(struct lg_group **slots, uint32_t mask, struct lg_group *g)
{
	uint32_t i = (uint32_t)g->node.key & mask;
	while (slots[i])
		i = (i + 1) & mask;
	slots[i] = g;
}

/* Adds g, new to t, to t's index, growing it at half full (the old array
 * stays in the arena: the index only grows with the thread's edges). */
static void own_group_add(struct lg_thread *t, struct lg_group *g)
{
	if (2 * (t->groups_count + 1) > t->groups_mask + 1) {
		uint32_t size = t->groups ? 2 * (t->groups_mask + 1) : 64;
		struct lg_group **bigger = lg_arena_alloc(size * sizeof(*bigger));
		if (!bigger)
			return; /* not indexed: its acquisitions take the locked way */
		for (uint32_t i = 0; t->groups && i <= t->groups_mask; i++)
			if (t->groups[i])
				index_insert(bigger, size - 1, t->groups[i]);
		t->groups = bigger;
		t->groups_mask = size - 1;
	}
	index_insert(t->groups, t->groups_mask, g);
	t->groups_count++;
}

bool lg_edges_known(struct lg_thread *t, uint32_t to, uint8_t to_mode, uint8_t flags,
                    const uint32_t *held_ids, uint32_t n)
{
	uint8_t try = flags & LG_ACQ_TRY;
	for (uint32_t i = 0; i < t->depth; i++) {
		const struct lg_held *h = &t->held[i];
		uint32_t from = h->lock->id;
		uint64_t hash = group_hash(from, to, t->id, h->mode, to_mode, try);
		const struct lg_group *g = own_group(t, hash, from, to, h->mode, to_mode, try);
		if (!g || !dominated(g, held_ids, n))
			return false;
	}
	return true;
}

void lg_edges_record(struct lg_thread *t, uint32_t to, uint8_t to_mode, uint8_t flags,
                     const uint32_t *held_ids, struct lg_edges_news *news)
{
	news->witnessed = false;
	news->nsummaries = 0;
	news->used = 0;
	uint8_t try = flags & LG_ACQ_TRY;
	uint32_t *shared = NULL;
	lg_ilock_lock(&edges.lock);
	for (unsigned i = 0; i < t->depth; i++) {
		const struct lg_held *h = &t->held[i];
		struct lg_group *g = group_get(h->lock->id, to, t->id, h->mode, to_mode, try);
		if (!g)
			continue;
		if (!own_group(t, g->node.key, g->from, g->to, g->from_mode, g->to_mode, g->flags))
			own_group_add(t, g);
		add_set(g, held_ids, t->depth, &shared, news);
	}
	lg_ilock_unlock(&edges.lock);
}

uint64_t lg_edges_count(void)
{
	return nedges;
}

static void forget(struct lg_table *t)
{
	/* Private anonymous pages read back as zeroes after MADV_DONTNEED. */
	madvise((void *)t->buckets, (t->mask + 1) * sizeof(*t->buckets), MADV_DONTNEED);
	t->count = 0;
}

void lg_edges_fork_child(void)
{
	forget(&edges);
	forget(&groups);
	nedges = 0;
}
