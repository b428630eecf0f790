/* See fork_locks.h. */
#include "fork_locks.h"

#include <stdatomic.h>

#define MAX_LOCKS 32

__thread struct lg_ilock_thread lg_ilock_self __attribute__((tls_model("initial-exec")));

static struct lg_ilock *locks[MAX_LOCKS];
static _Atomic int nlocks;

void lg_fork_register_lock(struct lg_ilock *l)
{
	int i = atomic_fetch_add(&nlocks, 1);
	if (i < MAX_LOCKS)
		locks[i] = l;
}

static int count(void)
{
	int n = atomic_load(&nlocks);
	return n < MAX_LOCKS ? n : MAX_LOCKS;
}

void lg_fork_locks_prepare(void)
{
	for (int i = 0; i < count(); i++)
		lg_ilock_lock(locks[i]);
}

void lg_fork_locks_parent(void)
{
	for (int i = count(); i-- > 0;)
		lg_ilock_unlock(locks[i]);
}

void lg_fork_locks_child(void)
{
	for (int i = 0; i < count(); i++)
		lg_ilock_reset(locks[i]);
}
