/* audit_plugin: the audit plugin that plugin_host loads with dlopen. See
 * samples/plugin_host.c for the verdict.
 *
 * audit_record() is called by the host with host_lock held and takes
 * plugin_lock: host_lock before plugin_lock. audit_flush() takes plugin_lock
 * and, holding it, calls back into the host (order_count), which takes
 * host_lock: plugin_lock before host_lock, the inversion. audit_flush_fixed()
 * asks the host first and takes plugin_lock after. */
#include <pthread.h>
#include <stddef.h>

#include "audit_plugin.h"

/* The plugin's own lock: a global of this module, named from its debug info. */
static pthread_mutex_t plugin_lock = PTHREAD_MUTEX_INITIALIZER; /* protects the log */

static const struct audit_host *host;
static long pending; /* entries not yet flushed */
static long pending_total;
static long logged;

void audit_init(const struct audit_host *h);
void audit_record(long order, long amount);
int audit_flush(void);
int audit_flush_fixed(void);
long audit_entries(void);

void audit_init(const struct audit_host *h)
{
	host = h;
}

/* The functions that take locks stay out of line so that stack traces (and
 * the tests that read them) name them at -O2. */

__attribute__((noinline)) void audit_record(long order, long amount)
{
	(void)order;
	pthread_mutex_lock(&plugin_lock); /* lg:record-plugin */
	pending++;
	pending_total += amount;
	logged++;
	pthread_mutex_unlock(&plugin_lock);
}

/* Called with plugin_lock held. */
static int flush_checked(long orders, long total)
{
	int flushed = (int)pending;
	if (orders != logged || total < pending_total)
		flushed = -1; /* the log and the host disagree */
	pending = 0;
	pending_total = 0;
	return flushed;
}

/* The bug: asks the host for its count while holding plugin_lock. */
__attribute__((noinline)) int audit_flush(void)
{
	long total;

	pthread_mutex_lock(&plugin_lock);        /* lg:flush-plugin */
	long orders = host->order_count(&total); /* lg:flush-callback */
	int flushed = flush_checked(orders, total);
	pthread_mutex_unlock(&plugin_lock);
	return flushed;
}

/* The fix: asks the host first, then takes plugin_lock. */
__attribute__((noinline)) int audit_flush_fixed(void)
{
	long total;
	long orders = host->order_count(&total); /* lg:flush-fixed-callback */

	pthread_mutex_lock(&plugin_lock); /* lg:flush-fixed-plugin */
	int flushed = flush_checked(orders, total);
	pthread_mutex_unlock(&plugin_lock);
	return flushed;
}

long audit_entries(void)
{
	pthread_mutex_lock(&plugin_lock); /* lg:entries-plugin */
	long n = logged;
	pthread_mutex_unlock(&plugin_lock);
	return n;
}
