/* The one shape every wrapper has (see wrap_mutex.c): not recording (before
 * start-up, inside lockgraph, disabled) means the real call and nothing
 * else; otherwise the real call, then the bookkeeping on success, with the
 * reentrancy guard set around it. The real function's return value and
 * errno reach the caller untouched. */
#ifndef LOCKGRAPH_WRAP_H
#define LOCKGRAPH_WRAP_H

#include "lifecycle.h"
#include "real.h"

#define LG_API __attribute__((visibility("default")))

/* The real function, resolved on first use. Inside lockgraph's own dlsym
 * the real function is not known yet: such a call is faked as successful
 * (see lg_real_resolving). */
#define LG_REAL(fn, ...)                                                                           \
	(__builtin_expect(lg_real.fn != 0, 1) || (lg_real_resolve(), lg_real.fn != 0)              \
	         ? lg_real.fn(__VA_ARGS__)                                                         \
	         : 0)

/* The caller's address: the call site a lock is taken at. */
#define LG_CALLER() ((uintptr_t)__builtin_return_address(0))

#endif
