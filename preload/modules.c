/* The module map; see modules.h. Scans with dl_iterate_phdr, which takes
 * the dynamic loader's lock: never call it with the trace lock held. */
#define _GNU_SOURCE
#include "modules.h"

#include <elf.h>
#include <limits.h>
#include <link.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "fork_locks.h"
#include "trace_format.h"
#include "trace_write.h"

#define MAX_MODULES 4096

static struct lg_ilock modules_lock = LG_ILOCK_INIT;
static struct lg_module *modules[MAX_MODULES];
static _Atomic int nmodules;
static uintptr_t self_lo, self_hi;
static int capacity_warned;
/* Scans so far, and the loader's counts at the last one. */
static uint32_t scan_no;
struct load_counts {
	unsigned long long adds, subs;
};
static struct load_counts last;

static struct lg_module *find(uint64_t pc)
{
	int n = atomic_load_explicit(&nmodules, memory_order_acquire);
	for (int i = 0; i < n; i++)
		if (pc >= modules[i]->lo && pc < modules[i]->hi &&
		    !atomic_load_explicit(&modules[i]->gone, memory_order_relaxed))
			return modules[i];
	return NULL;
}

static void read_build_id(struct dl_phdr_info *info, const ElfW(Phdr) * ph, struct lg_module *m)
{
	const char *p = (const char *)(info->dlpi_addr + ph->p_vaddr);
	const char *end = p + ph->p_memsz;
	while (p + sizeof(ElfW(Nhdr)) <= end) {
		const ElfW(Nhdr) *note = (const ElfW(Nhdr) *)p;
		const char *name = p + sizeof(*note);
		const char *desc = name + ((note->n_namesz + 3) & ~3u);
		if (desc + note->n_descsz > end)
			return;
		if (note->n_type == NT_GNU_BUILD_ID && note->n_namesz == 4 &&
		    memcmp(name, "GNU", 4) == 0 && note->n_descsz <= sizeof(m->build_id)) {
			memcpy(m->build_id, desc, note->n_descsz);
			m->build_id_len = (uint8_t)note->n_descsz;
			return;
		}
		p = desc + ((note->n_descsz + 3) & ~3u);
	}
}

/* The object's path: the executable's real path for the main program, an
 * absolute path for a library found through a relative LD_LIBRARY_PATH or
 * LD_PRELOAD entry (the reporter may run elsewhere). Uses buf. */
static const char *module_path(const char *name, bool main_program, char *buf, size_t size)
{
	if (main_program) {
		ssize_t n = readlink("/proc/self/exe", buf, size - 1);
		buf[n > 0 ? n : 0] = 0;
		return buf;
	}
	if (name[0] && name[0] != '/' && size >= PATH_MAX && realpath(name, buf))
		return buf;
	return name;
}

static const char *copy_string(const char *s)
{
	size_t len = strlen(s);
	char *copy = lg_arena_alloc(len + 1);
	if (copy)
		memcpy(copy, s, len + 1);
	return copy;
}

/* dl_iterate_phdr callback; modules_lock held. An object already known at
 * the same place is kept; one at the place of an unloaded one replaces it. */
static int add_module(struct dl_phdr_info *info, size_t size, void *first)
{
	(void)size;
	bool main_program = *(bool *)first;
	*(bool *)first = false;
	uint64_t lo = UINT64_MAX, hi = 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD)
			continue;
		uint64_t start = info->dlpi_addr + ph->p_vaddr;
		if (start < lo)
			lo = start;
		if (start + ph->p_memsz > hi)
			hi = start + ph->p_memsz;
	}
	if (lo >= hi)
		return 0;
	char buf[PATH_MAX];
	const char *path =
	        module_path(info->dlpi_name ? info->dlpi_name : "", main_program, buf, sizeof(buf));
	int n = atomic_load_explicit(&nmodules, memory_order_relaxed);
	for (int i = 0; i < n; i++) {
		struct lg_module *m = modules[i];
		if (atomic_load_explicit(&m->gone, memory_order_relaxed) || m->hi <= lo ||
		    m->lo >= hi)
			continue;
		if (m->lo == lo && m->hi == hi && m->bias == info->dlpi_addr &&
		    strcmp(m->path, path) == 0) {
			m->seen = scan_no;
			return 0;
		}
		/* Another object where this one was: it was unloaded. */
		atomic_store_explicit(&m->gone, true, memory_order_relaxed);
	}
	if (n == MAX_MODULES) {
		if (!capacity_warned++)
			lg_trace_warn(LG_WARN_CAPACITY,
			              "more than %d modules loaded: later ones are not symbolized",
			              MAX_MODULES);
		return 0;
	}
	struct lg_module *m = lg_arena_alloc(sizeof(*m));
	if (!m || !(m->path = copy_string(path)))
		return 0;
	m->bias = info->dlpi_addr;
	m->lo = lo;
	m->hi = hi;
	m->seen = scan_no;
	for (int i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_NOTE && !m->build_id_len)
			read_build_id(info, &info->dlpi_phdr[i], m);
	if (main_program)
		m->flags |= LG_MODULE_MAIN;
	if ((uintptr_t)lo <= self_lo && self_lo < (uintptr_t)hi) {
		m->flags |= LG_MODULE_SELF;
		self_lo = lo;
		self_hi = hi;
	}
	modules[n] = m;
	atomic_store_explicit(&nmodules, n + 1, memory_order_release);
	lg_trace_write_module(m);
	return 0;
}

/* The loader's counts of objects loaded and unloaded so far, read from the
 * first object's callback (then the iteration stops). */
static int peek_counts(struct dl_phdr_info *info, size_t size, void *out)
{
	struct load_counts *c = out;
	if (size >= offsetof(struct dl_phdr_info, dlpi_subs) + sizeof(info->dlpi_subs)) {
		c->adds = info->dlpi_adds;
		c->subs = info->dlpi_subs;
	}
	return 1;
}

/* Rescans if anything was loaded or unloaded since the last scan (or always,
 * when asked or when the loader keeps no counts). modules_lock held. */
static void scan_locked(bool always)
{
	struct load_counts now = {0, 0};
	dl_iterate_phdr(peek_counts, &now);
	if (!always && (now.adds || now.subs) && now.adds == last.adds && now.subs == last.subs)
		return;
	last = now;
	scan_no++;
	bool first = true;
	dl_iterate_phdr(add_module, &first);
	int n = atomic_load_explicit(&nmodules, memory_order_relaxed);
	for (int i = 0; i < n; i++)
		if (modules[i]->seen != scan_no) /* unloaded */
			atomic_store_explicit(&modules[i]->gone, true, memory_order_relaxed);
}

void lg_modules_init(void)
{
	lg_fork_register_lock(&modules_lock);
	/* Any address inside this file marks it; add_module widens it to
	 * the whole module. */
	self_lo = self_hi = (uintptr_t)&lg_modules_init;
}

void lg_modules_scan(void)
{
	lg_ilock_lock(&modules_lock);
	scan_locked(true);
	lg_ilock_unlock(&modules_lock);
}

bool lg_modules_is_self(uintptr_t pc)
{
	return pc >= self_lo && pc < self_hi;
}

void lg_modules_cover(const uint64_t *pcs, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (!find(pcs[i])) {
			lg_ilock_lock(&modules_lock);
			scan_locked(false);
			lg_ilock_unlock(&modules_lock);
			return;
		}
	}
}

void lg_modules_each(void (*fn)(struct lg_module *m))
{
	int n = atomic_load_explicit(&nmodules, memory_order_acquire);
	for (int i = 0; i < n; i++)
		fn(modules[i]);
}
