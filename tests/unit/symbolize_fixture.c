/* Code and data the symbolizer tests look up in their own binary: globals
 * and statics with known C names, and call sites whose return addresses and
 * source lines are recorded as they run, so tests compare the symbolizer's
 * answer with what the compiler itself put at that line.
 *
 * Build with -g and optimization (-O1 or -O2): the inline cases need the
 * inliner, the rest must survive it. Functions whose code addresses are
 * recorded are noipa/noinline so they stay real, separate functions; the
 * lines are recorded with __LINE__ in the same expression as the call, so
 * reformatting cannot move them apart. */
#include <pthread.h>

#if defined(__clang__)
#define FIXTURE_NOIPA __attribute__((noinline, used))
#else
/* noipa: no inlining, cloning (".constprop.0" symbols) or IPA-RA, so the
 * ELF symbol name equals the C name and the call really happens. */
#define FIXTURE_NOIPA __attribute__((noipa, used))
#endif

/* Where a recorded call returned to, and the lines the symbolizer must
 * report for it. Keep in step with test_symbolize.c. */
struct fixture_site {
	void *pc;       /* return address of the innermost call */
	int line;       /* line of that call */
	int call_line;  /* line where the inlined function was called */
	int outer_line; /* line where the outer inlined function was called */
};

void *fixture_return_address(void);
void fixture_direct_call(struct fixture_site *s);
void fixture_inlined_call(struct fixture_site *s);
void fixture_nested_inline_call(struct fixture_site *s);
void *fixture_ledger_lock(void);
void *fixture_account_lock(int i);
void *fixture_account_balance(int i);
void *fixture_account_id(int i);
void *fixture_account_padding(int i);
void *fixture_accounts(void);
void *fixture_shop_stock_mu(void);
void *fixture_shop_stock_count(void);
void *fixture_shop_name(int i);
void *fixture_grid_lock(int row, int col);
void *fixture_registry_mu(void);
void *fixture_wrapped_lock(void);

/* An earlier declaration makes the definition's DIE carry
 * DW_AT_specification, as a global declared in a header does. */
extern pthread_mutex_t ledger_lock;
pthread_mutex_t ledger_lock = PTHREAD_MUTEX_INITIALIZER;

struct account {
	long balance;
	int id;
	/* 4 bytes of padding on LP64: no member covers them */
	pthread_mutex_t lock;
};
/* Declared incomplete first: the definition's own DW_AT_type has the size. */
extern struct account accounts[];
struct account accounts[3];

struct stock {
	int count;
	pthread_mutex_t mu;
};

typedef const struct shop_s {
	char name[8];
	struct stock stock;
} shop_t;
/* volatile + typedef + const: the symbolizer must peel all of them. */
static volatile shop_t shop;

pthread_mutex_t grid_locks[2][3];

/* A one-member wrapper is the lock itself, like C++'s std::mutex. */
struct lock_wrapper {
	pthread_mutex_t raw;
};
struct lock_wrapper wrapped_lock;

/* Keeps the compiler from dropping or reordering the recorded stores. */
static void fixture_barrier(void)
{
	__asm__ volatile("" ::: "memory");
}

FIXTURE_NOIPA void *fixture_return_address(void)
{
	return __builtin_extract_return_addr(__builtin_return_address(0));
}

FIXTURE_NOIPA void fixture_direct_call(struct fixture_site *s)
{
	s->line = __LINE__, s->pc = fixture_return_address();
	fixture_barrier();
}

static inline __attribute__((always_inline)) void fixture_inline_helper(struct fixture_site *s)
{
	s->line = __LINE__, s->pc = fixture_return_address();
	fixture_barrier();
}

FIXTURE_NOIPA void fixture_inlined_call(struct fixture_site *s)
{
	s->call_line = __LINE__, fixture_inline_helper(s);
	fixture_barrier();
}

static inline __attribute__((always_inline)) void fixture_inline_outer(struct fixture_site *s)
{
	s->call_line = __LINE__, fixture_inline_helper(s);
	fixture_barrier();
}

FIXTURE_NOIPA void fixture_nested_inline_call(struct fixture_site *s)
{
	s->outer_line = __LINE__, fixture_inline_outer(s);
	fixture_barrier();
}

void *fixture_ledger_lock(void)
{
	return &ledger_lock;
}

void *fixture_account_lock(int i)
{
	return &accounts[i].lock;
}

void *fixture_account_balance(int i)
{
	return &accounts[i].balance;
}

void *fixture_account_id(int i)
{
	return &accounts[i].id;
}

void *fixture_account_padding(int i)
{
	return (char *)&accounts[i].id + sizeof(int);
}

void *fixture_accounts(void)
{
	return accounts;
}

void *fixture_shop_stock_mu(void)
{
	return (void *)&shop.stock.mu;
}

void *fixture_shop_stock_count(void)
{
	return (void *)&shop.stock.count;
}

void *fixture_shop_name(int i)
{
	return (void *)&shop.name[i];
}

void *fixture_grid_lock(int row, int col)
{
	return &grid_locks[row][col];
}

void *fixture_wrapped_lock(void)
{
	return &wrapped_lock.raw;
}

void *fixture_registry_mu(void)
{
	/* Function-scope static: lives in .bss, named only inside this
	 * function; GCC's symbol table calls it "registry_mu.0". */
	static pthread_mutex_t registry_mu = PTHREAD_MUTEX_INITIALIZER;
	return &registry_mu;
}
