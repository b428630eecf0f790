/* Every internal lock, so fork() can not leave one held in the child: the
 * atfork prepare handler takes them all (in registration order, which is
 * the order they may nest in: the lock, site and edge tables, the stack
 * depot, the module map, the trace, the arena), the parent releases them,
 * the child resets them. A slow path never takes a lock registered earlier
 * than one it holds. */
#ifndef LOCKGRAPH_FORK_LOCKS_H
#define LOCKGRAPH_FORK_LOCKS_H

#include "ilock.h"

/* Called at initialization only (single-threaded in practice; the registry
 * is still safe if not). Registering more than 32 locks is a bug. */
void lg_fork_register_lock(struct lg_ilock *l);

void lg_fork_locks_prepare(void);
void lg_fork_locks_parent(void);
void lg_fork_locks_child(void);

#endif
