/* The call-site table; see sites.h. */
#include "sites.h"

#include "arena.h"

static struct lg_table sites;

bool lg_sites_init(void)
{
	return lg_table_init(&sites, 12);
}

struct lg_site *lg_sites_get(uintptr_t pc, bool *created)
{
	*created = false;
	struct lg_table_node *n = lg_table_first(&sites, pc);
	if (n)
		return (struct lg_site *)n;
	lg_ilock_lock(&sites.lock);
	n = lg_table_first(&sites, pc);
	if (!n) {
		struct lg_site *s = lg_arena_alloc(sizeof(*s));
		if (s) {
			s->node.key = pc;
			lg_table_insert_locked(&sites, &s->node);
			*created = true;
		}
		n = &s->node;
	}
	lg_ilock_unlock(&sites.lock);
	return (struct lg_site *)n;
}
