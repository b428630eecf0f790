/* The interface between plugin_host and its audit plugin (audit_plugin.so),
 * which the host loads with dlopen and looks up by these names. */
#ifndef AUDIT_PLUGIN_H
#define AUDIT_PLUGIN_H

/* What the host offers the plugin: a call back into the host. */
struct audit_host {
	/* The number of orders so far and their total; takes the host's lock. */
	long (*order_count)(long *total);
};

/* audit_init: remembers the host's calls. */
typedef void audit_init_fn(const struct audit_host *host);
/* audit_record: logs one order; the host calls it with its lock held. */
typedef void audit_record_fn(long order, long amount);
/* audit_flush: checks the log against the host's count and empties it;
 * returns the number of entries flushed. */
typedef int audit_flush_fn(void);
/* audit_entries: how many entries were ever logged. */
typedef long audit_entries_fn(void);

#endif
