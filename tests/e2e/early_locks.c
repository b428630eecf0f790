/* libearly_locks.so: a shared library whose constructor and destructor take
 * locks, for the end-to-end tests (lifetime_locks links it).
 *
 * A library the program links, and liblockgraph.so does not, is initialized
 * before liblockgraph.so when that is preloaded (the loader initializes
 * dependencies first and the preloaded library just before the program), and
 * finalized after it. So its constructor locks before lockgraph's own
 * initialization (those calls must pass through unrecorded), and its
 * destructor after lockgraph wrote the END of the trace. The constructor also
 * keeps a lock, which the program releases from main: lockgraph sees an
 * unlock of a lock it never saw taken.
 */
#include "early_locks.h"

#include <pthread.h>

static pthread_mutex_t early_lock = PTHREAD_MUTEX_INITIALIZER;      /* protects constructed */
static pthread_mutex_t early_kept_lock = PTHREAD_MUTEX_INITIALIZER; /* held from start-up */

static int constructed;

__attribute__((constructor)) static void early_init(void)
{
	pthread_mutex_lock(&early_lock); /* lg:early-ctor */
	constructed++;
	pthread_mutex_unlock(&early_lock);
	pthread_mutex_lock(&early_kept_lock); /* lg:early-keep */
}

__attribute__((destructor)) static void early_fini(void)
{
	pthread_mutex_lock(&early_kept_lock); /* lg:early-dtor-kept */
	pthread_mutex_lock(&early_lock);      /* lg:early-dtor */
	constructed--;
	pthread_mutex_unlock(&early_lock);
	pthread_mutex_unlock(&early_kept_lock);
}

int early_constructed(void)
{
	pthread_mutex_lock(&early_lock); /* lg:early-count */
	int n = constructed;
	pthread_mutex_unlock(&early_lock);
	return n;
}

void early_release(void)
{
	pthread_mutex_unlock(&early_kept_lock);
}
