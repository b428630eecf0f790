/* Unit tests for report/symbolize.c and report/symbolize_data.c.
 *
 * The test binary is its own fixture: symbolize_fixture.c (built with -g
 * and optimization) records return addresses and the __LINE__ of each call
 * as it runs, and defines globals with known C names. The module map is
 * built with dl_iterate_phdr exactly as the preload records it (bias =
 * dlpi_addr, PT_LOAD span, NT_GNU_BUILD_ID from PT_NOTE), so these tests
 * check the symbolizer against the compiler's own view of the code. */
#define _GNU_SOURCE
#include "symbolize.h"

#include <criterion/criterion.h>
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* From symbolize_fixture.c; keep in step with it. */
struct fixture_site {
	void *pc;
	int line;
	int call_line;
	int outer_line;
};

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

extern char **environ;

#define FIXTURE_FILE "symbolize_fixture.c"

/* A module as the preload would record it, with storage for its strings. */
struct test_module {
	struct lg_module_ref ref;
	char path[PATH_MAX];
	uint8_t build_id[64];
};

struct phdr_query {
	uintptr_t addr;
	struct test_module *out;
	bool found;
};

static void read_build_id(struct dl_phdr_info *info, const ElfW(Phdr) * ph, struct test_module *tm)
{
	const char *p = (const char *)(info->dlpi_addr + ph->p_vaddr);
	const char *end = p + ph->p_memsz;
	size_t align = ph->p_align == 8 ? 8 : 4;

	while (p + sizeof(ElfW(Nhdr)) <= end) {
		const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
		size_t name_sz = (nh->n_namesz + align - 1) & ~(align - 1);
		const uint8_t *desc = (const uint8_t *)(nh + 1) + name_sz;

		if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 &&
		    memcmp(nh + 1, "GNU", 4) == 0 && nh->n_descsz <= sizeof(tm->build_id)) {
			memcpy(tm->build_id, desc, nh->n_descsz);
			tm->ref.build_id_len = nh->n_descsz;
			return;
		}
		p = (const char *)desc + ((nh->n_descsz + align - 1) & ~(align - 1));
	}
}

static int phdr_callback(struct dl_phdr_info *info, size_t size, void *data)
{
	struct phdr_query *q = data;
	uint64_t lo = UINT64_MAX, hi = 0;

	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type != PT_LOAD)
			continue;
		if (info->dlpi_addr + ph->p_vaddr < lo)
			lo = info->dlpi_addr + ph->p_vaddr;
		if (info->dlpi_addr + ph->p_vaddr + ph->p_memsz > hi)
			hi = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
	}
	if (q->addr < lo || q->addr >= hi)
		return 0;

	struct test_module *tm = q->out;
	memset(tm, 0, sizeof(*tm));
	if (info->dlpi_name == NULL || info->dlpi_name[0] == '\0') {
		ssize_t n = readlink("/proc/self/exe", tm->path, sizeof(tm->path) - 1);
		if (n <= 0)
			return 0;
		tm->path[n] = '\0';
	} else {
		snprintf(tm->path, sizeof(tm->path), "%s", info->dlpi_name);
	}
	for (int i = 0; i < info->dlpi_phnum; i++) {
		if (info->dlpi_phdr[i].p_type == PT_NOTE && tm->ref.build_id_len == 0)
			read_build_id(info, &info->dlpi_phdr[i], tm);
	}
	tm->ref.path = tm->path;
	tm->ref.build_id = tm->build_id;
	tm->ref.bias = info->dlpi_addr;
	tm->ref.lo = lo;
	tm->ref.hi = hi;
	q->found = true;
	return 1;
}

/* The module holding addr, as the preload would have recorded it. */
static void module_of(const void *addr, struct test_module *tm)
{
	struct phdr_query q = {.addr = (uintptr_t)addr, .out = tm};

	dl_iterate_phdr(phdr_callback, &q);
	cr_assert(q.found, "no loaded module contains %p", addr);
	cr_assert_gt(tm->ref.build_id_len, 0, "%s has no build-id note", tm->path);
}

static const char *base_name(const char *path)
{
	const char *slash = path != NULL ? strrchr(path, '/') : NULL;

	return slash != NULL ? slash + 1 : path;
}

static uint64_t pc_of(const struct fixture_site *s)
{
	return (uint64_t)(uintptr_t)s->pc;
}

static void expect_frame(const struct lg_frame *f, const char *function, int line, bool inlined)
{
	cr_expect_str_eq(f->function, function);
	cr_expect_str_eq(base_name(f->file), FIXTURE_FILE);
	cr_expect_eq(f->line, line, "%s: line %d, expected %d", function, f->line, line);
	cr_expect_eq(f->inlined, inlined, "%s: inlined %d", function, f->inlined);
}

static void expect_pc_only(const struct lg_frame *f, uint64_t pc, const char *module)
{
	cr_expect_eq(f->pc, pc);
	cr_expect_null(f->function);
	cr_expect_null(f->file);
	cr_expect_eq(f->line, 0);
	cr_expect_not(f->inlined);
	if (module == NULL)
		cr_expect_null(f->module);
	else
		cr_expect_str_eq(f->module, module);
}

Test(symbolize, direct_call_gives_function_file_and_call_line)
{
	struct fixture_site s;
	struct test_module tm;
	struct lg_frame f[4];

	fixture_direct_call(&s);
	module_of(s.pc, &tm);
	struct lg_symbolizer *sym = lg_symbolizer_new();
	cr_assert_not_null(sym);

	int n = lg_symbolize_pc(sym, &tm.ref, pc_of(&s), f, 4);
	cr_assert_eq(n, 1);
	expect_frame(&f[0], "fixture_direct_call", s.line, false);
	cr_expect_eq(f[0].pc, pc_of(&s));
	cr_expect_str_eq(f[0].module, tm.path);
	cr_expect_null(lg_symbolizer_module_problem(sym, &tm.ref));
	lg_symbolizer_free(sym);
}

Test(symbolize, inlined_call_expands_innermost_first)
{
	struct fixture_site s;
	struct test_module tm;
	struct lg_frame f[4];

	fixture_inlined_call(&s);
	module_of(s.pc, &tm);
	struct lg_symbolizer *sym = lg_symbolizer_new();

	int n = lg_symbolize_pc(sym, &tm.ref, pc_of(&s), f, 4);
	cr_assert_eq(n, 2);
	expect_frame(&f[0], "fixture_inline_helper", s.line, true);
	expect_frame(&f[1], "fixture_inlined_call", s.call_line, false);
	cr_expect_eq(f[1].pc, pc_of(&s), "every expanded frame carries the recorded pc");
	cr_expect_str_eq(f[1].module, tm.path);
	lg_symbolizer_free(sym);
}

Test(symbolize, nested_inline_gives_each_call_site)
{
	struct fixture_site s;
	struct test_module tm;
	struct lg_frame f[4];

	fixture_nested_inline_call(&s);
	module_of(s.pc, &tm);
	struct lg_symbolizer *sym = lg_symbolizer_new();

	int n = lg_symbolize_pc(sym, &tm.ref, pc_of(&s), f, 4);
	cr_assert_eq(n, 3);
	expect_frame(&f[0], "fixture_inline_helper", s.line, true);
	expect_frame(&f[1], "fixture_inline_outer", s.call_line, true);
	expect_frame(&f[2], "fixture_nested_inline_call", s.outer_line, false);
	lg_symbolizer_free(sym);
}

Test(symbolize, max_keeps_innermost_frames)
{
	struct fixture_site s;
	struct test_module tm;
	struct lg_frame f[3];

	fixture_nested_inline_call(&s);
	module_of(s.pc, &tm);
	struct lg_symbolizer *sym = lg_symbolizer_new();

	cr_expect_eq(lg_symbolize_pc(sym, &tm.ref, pc_of(&s), f, 0), 0);
	cr_assert_eq(lg_symbolize_pc(sym, &tm.ref, pc_of(&s), f, 1), 1);
	expect_frame(&f[0], "fixture_inline_helper", s.line, true);
	cr_assert_eq(lg_symbolize_pc(sym, &tm.ref, pc_of(&s), f, 2), 2);
	cr_expect_str_eq(f[1].function, "fixture_inline_outer");
	lg_symbolizer_free(sym);
}

/* Two processes that mapped the same file at different addresses share one
 * open module and one cache entry. */
Test(symbolize, other_process_bias_gives_same_frames)
{
	struct fixture_site s;
	struct test_module tm;
	struct lg_frame a[4], b[4], c[4];
	const uint64_t shift = 0x7f0000;

	fixture_inlined_call(&s);
	module_of(s.pc, &tm);
	struct lg_module_ref other = tm.ref;
	other.bias += shift;
	other.lo += shift;
	other.hi += shift;
	struct lg_symbolizer *sym = lg_symbolizer_new();

	cr_assert_eq(lg_symbolize_pc(sym, &tm.ref, pc_of(&s), a, 4), 2);
	cr_assert_eq(lg_symbolize_pc(sym, &other, pc_of(&s) + shift, b, 4), 2);
	cr_assert_eq(lg_symbolize_pc(sym, &tm.ref, pc_of(&s), c, 4), 2);
	for (int i = 0; i < 2; i++) {
		cr_expect_eq(b[i].pc, pc_of(&s) + shift);
		/* same cached strings, not just equal ones */
		cr_expect_eq(b[i].function, a[i].function);
		cr_expect_eq(b[i].file, a[i].file);
		cr_expect_eq(b[i].line, a[i].line);
		cr_expect_eq(c[i].function, a[i].function);
		cr_expect_eq(c[i].line, a[i].line);
	}
	lg_symbolizer_free(sym);
}

Test(symbolize, empty_build_id_skips_the_check)
{
	struct fixture_site s;
	struct test_module tm;
	struct lg_frame f[4];

	fixture_direct_call(&s);
	module_of(s.pc, &tm);
	tm.ref.build_id_len = 0;
	struct lg_symbolizer *sym = lg_symbolizer_new();

	cr_assert_eq(lg_symbolize_pc(sym, &tm.ref, pc_of(&s), f, 4), 1);
	expect_frame(&f[0], "fixture_direct_call", s.line, false);
	cr_expect_null(lg_symbolizer_module_problem(sym, &tm.ref));
	lg_symbolizer_free(sym);
}

Test(symbolize, no_module_gives_pc_only)
{
	struct lg_frame f[4];
	struct lg_symbolizer *sym = lg_symbolizer_new();

	cr_assert_eq(lg_symbolize_pc(sym, NULL, 0x1234, f, 4), 1);
	expect_pc_only(&f[0], 0x1234, NULL);
	cr_expect_null(lg_symbolize_data(sym, NULL, 0x1234));
	lg_symbolizer_free(sym);
}

Test(symbolize, pc_outside_module_span_gives_pc_only)
{
	struct fixture_site s;
	struct test_module tm;
	struct lg_frame f[4];

	fixture_direct_call(&s);
	module_of(s.pc, &tm);
	struct lg_symbolizer *sym = lg_symbolizer_new();

	cr_assert_eq(lg_symbolize_pc(sym, &tm.ref, tm.ref.hi + 0x1000, f, 4), 1);
	expect_pc_only(&f[0], tm.ref.hi + 0x1000, NULL);
	cr_assert_eq(lg_symbolize_pc(sym, &tm.ref, 0, f, 4), 1);
	expect_pc_only(&f[0], 0, NULL);
	lg_symbolizer_free(sym);
}

Test(symbolize, wrong_build_id_gives_no_name)
{
	struct fixture_site s;
	struct test_module tm;
	struct lg_frame f[4];

	fixture_direct_call(&s);
	module_of(s.pc, &tm);
	tm.build_id[0] ^= 0xff; /* the file was rebuilt since the run */
	struct lg_symbolizer *sym = lg_symbolizer_new();

	cr_assert_eq(lg_symbolize_pc(sym, &tm.ref, pc_of(&s), f, 4), 1);
	expect_pc_only(&f[0], pc_of(&s), tm.path);
	cr_expect_str_eq(lg_symbolizer_module_problem(sym, &tm.ref), "build-id differs");
	cr_expect_null(lg_symbolize_data(sym, &tm.ref, (uintptr_t)fixture_ledger_lock()));
	lg_symbolizer_free(sym);
}

Test(symbolize, missing_file_gives_no_name)
{
	struct lg_frame f[4];
	static const uint8_t id[4] = {1, 2, 3, 4};
	const struct lg_module_ref m = {
	        .path = "/nonexistent/lockgraph/libgone.so",
	        .build_id = id,
	        .build_id_len = sizeof(id),
	        .bias = 0x7f0000000000,
	        .lo = 0x7f0000000000,
	        .hi = 0x7f0000100000,
	};
	struct lg_symbolizer *sym = lg_symbolizer_new();

	cr_assert_eq(lg_symbolize_pc(sym, &m, 0x7f0000001235, f, 4), 1);
	expect_pc_only(&f[0], 0x7f0000001235, m.path);
	cr_expect_str_eq(lg_symbolizer_module_problem(sym, &m), "file not found");
	cr_expect_null(lg_symbolize_data(sym, &m, 0x7f0000002000));
	lg_symbolizer_free(sym);
}

static char tmp_dir[] = "/tmp/lg-symbolize-XXXXXX";
static bool tmp_dir_made;
static char tmp_files[2][PATH_MAX];
static int ntmp_files;

static void remove_tmp(void)
{
	for (int i = 0; i < ntmp_files; i++)
		unlink(tmp_files[i]);
	if (tmp_dir_made)
		rmdir(tmp_dir);
}

/* A path in this test's temporary directory; remove_tmp removes it. */
static const char *tmp_path(const char *name)
{
	if (!tmp_dir_made)
		cr_assert_not_null(mkdtemp(tmp_dir));
	tmp_dir_made = true;
	cr_assert_lt(ntmp_files, 2);
	snprintf(tmp_files[ntmp_files], PATH_MAX, "%s/%s", tmp_dir, name);
	return tmp_files[ntmp_files++];
}

Test(symbolize, non_elf_file_gives_no_name, .fini = remove_tmp)
{
	struct lg_frame f[4];
	const char *path = tmp_path("libtext.so");
	FILE *fp = fopen(path, "w");

	cr_assert_not_null(fp);
	fputs("not an ELF file, but named like one\n", fp);
	fclose(fp);
	const struct lg_module_ref m = {
	        .path = path, .bias = 0x10000, .lo = 0x10000, .hi = 0x20000};
	struct lg_symbolizer *sym = lg_symbolizer_new();

	cr_assert_eq(lg_symbolize_pc(sym, &m, 0x10101, f, 4), 1);
	expect_pc_only(&f[0], 0x10101, path);
	cr_expect_str_eq(lg_symbolizer_module_problem(sym, &m), "not an ELF file");
	lg_symbolizer_free(sym);
}

/* Symbolizes fixture data address p in its own module. */
static const char *data_name(struct lg_symbolizer *sym, const void *p)
{
	struct test_module tm;

	module_of(p, &tm);
	return lg_symbolize_data(sym, &tm.ref, (uintptr_t)p);
}

Test(symbolize, global_variable_gets_its_name)
{
	struct lg_symbolizer *sym = lg_symbolizer_new();

	/* pthread_mutex_t is a union: its members are not descended into */
	cr_expect_str_eq(data_name(sym, fixture_ledger_lock()), "ledger_lock");
	lg_symbolizer_free(sym);
}

Test(symbolize, one_member_wrapper_is_named_as_a_whole)
{
	struct lg_symbolizer *sym = lg_symbolizer_new();

	cr_expect_str_eq(data_name(sym, fixture_wrapped_lock()), "wrapped_lock");
	lg_symbolizer_free(sym);
}

Test(symbolize, struct_array_element_member_gets_c_path)
{
	struct lg_symbolizer *sym = lg_symbolizer_new();

	cr_expect_str_eq(data_name(sym, fixture_account_lock(1)), "accounts[1].lock");
	cr_expect_str_eq(data_name(sym, fixture_account_lock(2)), "accounts[2].lock");
	cr_expect_str_eq(data_name(sym, fixture_account_id(2)), "accounts[2].id");
	/* offset 0: the innermost member there, not the array or element */
	cr_expect_str_eq(data_name(sym, fixture_account_balance(2)), "accounts[2].balance");
	cr_expect_str_eq(data_name(sym, fixture_account_balance(0)), "accounts[0].balance");
	lg_symbolizer_free(sym);
}

Test(symbolize, padding_gives_deepest_exact_prefix_and_offset)
{
	struct lg_symbolizer *sym = lg_symbolizer_new();

	/* LP64: long balance (8) + int id (4), then 4 bytes no member covers */
	cr_expect_str_eq(data_name(sym, fixture_account_padding(1)), "accounts[1]+0xc");
	lg_symbolizer_free(sym);
}

Test(symbolize, nested_struct_through_typedef_and_qualifiers)
{
	struct lg_symbolizer *sym = lg_symbolizer_new();

	cr_expect_str_eq(data_name(sym, fixture_shop_stock_mu()), "shop.stock.mu");
	cr_expect_str_eq(data_name(sym, fixture_shop_stock_count()), "shop.stock.count");
	cr_expect_str_eq(data_name(sym, fixture_shop_name(3)), "shop.name[3]");
	cr_expect_str_eq(data_name(sym, fixture_shop_name(0)), "shop.name[0]");
	lg_symbolizer_free(sym);
}

Test(symbolize, multi_dimensional_array_names_the_element)
{
	struct lg_symbolizer *sym = lg_symbolizer_new();

	cr_expect_str_eq(data_name(sym, fixture_grid_lock(1, 2)), "grid_locks[1][2]");
	cr_expect_str_eq(data_name(sym, fixture_grid_lock(1, 0)), "grid_locks[1][0]");
	cr_expect_str_eq(data_name(sym, fixture_grid_lock(0, 1)), "grid_locks[0][1]");
	cr_expect_str_eq(data_name(sym, fixture_grid_lock(0, 0)), "grid_locks[0][0]");
	lg_symbolizer_free(sym);
}

Test(symbolize, function_scope_static_gets_its_name)
{
	struct lg_symbolizer *sym = lg_symbolizer_new();

	cr_expect_str_eq(data_name(sym, fixture_registry_mu()), "registry_mu");
	lg_symbolizer_free(sym);
}

Test(symbolize, heap_and_stack_addresses_have_no_name)
{
	struct test_module tm;
	int on_stack = 0;
	char *heap = malloc(64);
	struct lg_symbolizer *sym = lg_symbolizer_new();

	cr_assert_not_null(heap);
	module_of(fixture_ledger_lock(), &tm);
	cr_expect_null(lg_symbolize_data(sym, &tm.ref, (uintptr_t)heap));
	cr_expect_null(lg_symbolize_data(sym, &tm.ref, (uintptr_t)&on_stack));
	cr_expect_null(lg_symbolize_data(sym, NULL, (uintptr_t)heap));
	free(heap);
	lg_symbolizer_free(sym);
}

Test(symbolize, repeated_data_lookup_returns_same_string)
{
	struct lg_symbolizer *sym = lg_symbolizer_new();
	const char *a = data_name(sym, fixture_account_lock(1));
	const char *b = data_name(sym, fixture_account_lock(1));

	cr_expect_str_eq(a, "accounts[1].lock");
	cr_expect_eq(a, b);
	lg_symbolizer_free(sym);
}

/* libc.so.6 is stripped: with no DWARF (or no DWARF subprogram for this
 * assembly stub, when libc6-dbg is installed) the name comes from the
 * symbol table, where getpid is a weak alias of __getpid. */
Test(symbolize, shared_library_function_from_symbol_table)
{
	struct test_module tm;
	struct lg_frame f[4];
	void *getpid_addr = dlsym(RTLD_DEFAULT, "getpid");

	cr_assert_not_null(getpid_addr);
	module_of(getpid_addr, &tm);
	cr_assert_str_eq(base_name(tm.path), "libc.so.6");
	struct lg_symbolizer *sym = lg_symbolizer_new();

	uint64_t pc = (uintptr_t)getpid_addr + 1;
	cr_assert_eq(lg_symbolize_pc(sym, &tm.ref, pc, f, 4), 1);
	cr_expect(f[0].function != NULL && (strcmp(f[0].function, "getpid") == 0 ||
	                                    strcmp(f[0].function, "__getpid") == 0),
	          "getpid symbolized as %s", f[0].function ? f[0].function : "(null)");
	cr_expect_str_eq(f[0].module, tm.path);
	cr_expect_null(lg_symbolizer_module_problem(sym, &tm.ref));
	lg_symbolizer_free(sym);
}

/* Runs argv[0] (from PATH) with its output discarded; its exit status. */
static int run_quiet(char *const argv[])
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	int err = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (err != 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Makes tm the module holding addr (this test binary), copied to a
 * temporary file by objcopy with option opt. The build-id note is kept, so
 * the recorded build-id still matches the copy. */
static void objcopy_self(struct test_module *tm, const void *addr, const char *opt)
{
	char self[PATH_MAX];

	module_of(addr, tm);
	snprintf(self, sizeof(self), "%s", tm->path);
	const char *copy = tmp_path("copy");
	char *argv[] = {"objcopy", (char *)opt, self, (char *)copy, NULL};
	if (run_quiet(argv) != 0)
		cr_skip_test("objcopy %s failed or is missing", opt);
	snprintf(tm->path, sizeof(tm->path), "%s", copy);
}

Test(symbolize, stripped_copy_falls_back_to_elf_symbols, .fini = remove_tmp)
{
	struct fixture_site s, inl;
	struct test_module tm;
	struct lg_frame f[4];
	char expected[64];

	fixture_direct_call(&s);
	fixture_inlined_call(&inl);
	objcopy_self(&tm, s.pc, "--strip-debug");
	struct lg_symbolizer *sym = lg_symbolizer_new();

	cr_assert_eq(lg_symbolize_pc(sym, &tm.ref, pc_of(&s), f, 4), 1);
	cr_expect_str_eq(f[0].function, "fixture_direct_call");
	cr_expect_null(f[0].file);
	cr_expect_eq(f[0].line, 0);
	/* no DWARF, no inline expansion: the function the code is in */
	cr_assert_eq(lg_symbolize_pc(sym, &tm.ref, pc_of(&inl), f, 4), 1);
	cr_expect_str_eq(f[0].function, "fixture_inlined_call");
	cr_expect_not(f[0].inlined);

	const struct lg_module_ref *m = &tm.ref;
	cr_expect_str_eq(lg_symbolize_data(sym, m, (uintptr_t)fixture_ledger_lock()),
	                 "ledger_lock");
#if defined(__clang__)
	/* clang's symbol for it: function, dot, variable; shown as is */
	cr_expect_str_eq(lg_symbolize_data(sym, m, (uintptr_t)fixture_registry_mu()),
	                 "fixture_registry_mu.registry_mu");
#else
	/* GCC's symbol is "registry_mu.0"; the name shown is the C one */
	cr_expect_str_eq(lg_symbolize_data(sym, m, (uintptr_t)fixture_registry_mu()),
	                 "registry_mu");
#endif
	snprintf(expected, sizeof(expected), "accounts+0x%tx",
	         (char *)fixture_account_lock(1) - (char *)fixture_accounts());
	cr_expect_str_eq(lg_symbolize_data(sym, m, (uintptr_t)fixture_account_lock(1)), expected);
	cr_expect_null(lg_symbolizer_module_problem(sym, m));
	lg_symbolizer_free(sym);
}

Test(symbolize, corrupt_dwarf_falls_back_to_elf_symbols, .fini = remove_tmp)
{
	struct fixture_site s;
	struct test_module tm;
	struct lg_frame f[4];
	char opt[PATH_MAX + 64];
	const char *garbage = tmp_path("garbage");
	FILE *fp = fopen(garbage, "w");

	cr_assert_not_null(fp);
	/* unit lengths 0xa5a5a5a5 and 64-bit escapes (0xffffffff), nonsense
	 * versions and abbreviation offsets */
	for (int i = 0; i < 4096; i++)
		fputc(i % 7 == 0 ? 0xff : 0xa5, fp);
	fclose(fp);
	snprintf(opt, sizeof(opt), "--update-section=.debug_info=%s", garbage);
	fixture_direct_call(&s);
	objcopy_self(&tm, s.pc, opt);
	struct lg_symbolizer *sym = lg_symbolizer_new();

	cr_assert_eq(lg_symbolize_pc(sym, &tm.ref, pc_of(&s), f, 4), 1);
	cr_expect_str_eq(f[0].function, "fixture_direct_call");
	cr_expect_str_eq(lg_symbolize_data(sym, &tm.ref, (uintptr_t)fixture_ledger_lock()),
	                 "ledger_lock");
	cr_expect_null(lg_symbolizer_module_problem(sym, &tm.ref));
	lg_symbolizer_free(sym);
}
