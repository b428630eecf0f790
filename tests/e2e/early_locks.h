/* libearly_locks.so: a library whose constructor and destructor take locks
 * (see early_locks.c); linked into lifetime_locks. */
#ifndef EARLY_LOCKS_H
#define EARLY_LOCKS_H

/* How many times the library's constructor ran. */
int early_constructed(void);
/* Releases the lock the library's constructor took and kept. */
void early_release(void);

#endif
