/* See idmap.h. */
#include "idmap.h"

#include <stdlib.h>

#include "error.h"

static size_t find(const struct lg_idmap *m, uint64_t key)
{
	uint64_t h = key * 0x9e3779b97f4a7c15ULL;
	size_t mask = m->slots - 1;
	for (size_t i = (size_t)(h ^ (h >> 32)) & mask;; i = (i + 1) & mask)
		if (m->keys[i] == key || m->keys[i] == 0)
			return i;
}

static void resize(struct lg_idmap *m)
{
	struct lg_idmap old = *m;
	m->slots = old.slots ? old.slots * 2 : 16;
	m->keys = lg_xcalloc(m->slots, sizeof(*m->keys));
	m->vals = lg_xcalloc(m->slots, sizeof(*m->vals));
	for (size_t i = 0; i < old.slots; i++) {
		if (old.keys[i]) {
			size_t j = find(m, old.keys[i]);
			m->keys[j] = old.keys[i];
			m->vals[j] = old.vals[i];
		}
	}
	free(old.keys);
	free(old.vals);
}

bool lg_idmap_put(struct lg_idmap *m, uint64_t key, uint64_t val)
{
	if ((m->n + 1) * 2 > m->slots)
		resize(m);
	size_t i = find(m, key);
	if (m->keys[i])
		return false;
	m->keys[i] = key;
	m->vals[i] = val;
	m->n++;
	return true;
}

uint64_t lg_idmap_get(const struct lg_idmap *m, uint64_t key)
{
	if (!m->slots || key == 0)
		return 0;
	return m->vals[find(m, key)];
}

void lg_idmap_free(struct lg_idmap *m)
{
	free(m->keys);
	free(m->vals);
	*m = (struct lg_idmap){0};
}
