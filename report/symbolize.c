/* The symbolizer's modules and caches, and code addresses to source frames.
 *
 * Owns: the open modules (one Dwfl per (path, build-id), reported at its
 * link-time addresses, so processes that loaded the file anywhere share
 * it), the per-module result caches, and every string handed out: names
 * built here are interned; function and file names point into libdw's
 * data, which lives until lg_symbolizer_free closes the Dwfl. Data
 * addresses are named by symbolize_data.c; this file only caches them.
 *
 * Must never print (the caller reports problems through
 * lg_symbolizer_module_problem) and never give a name it cannot vouch for:
 * a module whose file is missing or differs from the recorded build-id
 * gets frames with only pc and module. */
#include "symbolize.h"

#include "symbolize_internal.h"

#include <dwarf.h>
#include <elf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Frames one address can expand to through inlining; deeper chains keep
 * their innermost frames. */
#define LG_SYM_MAX_INLINE 32

/* Open-addressing map from a module-relative address to a cached result. */
struct sym_slot {
	uint64_t key;
	uint64_t val;
	bool used;
};

struct sym_map {
	struct sym_slot *slots;
	size_t cap; /* power of two, or 0 */
	size_t count;
};

/* One address range of a compile unit, for objects without
 * .debug_aranges (clang emits none), where libdw 0.188's
 * dwfl_module_addrdie finds no CU at all. */
struct cu_range {
	Dwarf_Addr lo, hi; /* Dwfl addresses */
	Dwarf_Die cudie;
};

/* A frame as cached: what does not depend on the process (pc, module). */
struct sym_frame {
	const char *function;
	const char *file;
	int line;
	bool inlined;
};

struct sym_module {
	struct lg_symbolizer *owner; /* for interning the names built here */
	char *path;                  /* NULL if the trace recorded none */
	uint8_t *build_id;
	size_t build_id_len;
	uint64_t hash;
	Dwfl *dwfl;
	Dwfl_Module *mod;
	Dwarf_Addr dwfl_bias; /* Dwfl address = link-time address + dwfl_bias */
	const char *problem;  /* static string; NULL when usable */
	/* pc - 1 - bias -> (index in frames << 8) | frame count */
	struct sym_map pcs;
	struct sym_frame *frames;
	size_t nframes, frames_cap;
	/* addr - bias -> interned name, 0 when nothing covers it */
	struct sym_map data;
	struct lg_symbolize_vars *vars;
	/* built on the first address dwfl_module_addrdie cannot place */
	struct cu_range *cus;
	size_t ncus;
	Dwarf_Addr cus_bias; /* Dwfl address = DWARF address + cus_bias */
	bool cus_built;
};

struct sym_string {
	uint64_t hash;
	char *s;
};

struct lg_symbolizer {
	struct sym_module **modules;
	size_t nmodules, modules_cap;
	struct sym_module *last; /* traces run long stretches in one module */
	/* interned strings, open addressing */
	struct sym_string *strings;
	size_t strings_cap, nstrings;
};

static const Dwfl_Callbacks sym_callbacks = {
        .find_elf = dwfl_build_id_find_elf,
        .find_debuginfo = dwfl_standard_find_debuginfo,
        .section_address = dwfl_offline_section_address,
};

static uint64_t hash_bytes(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	/* FNV-1a: short keys, no adversary. */
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

static uint64_t hash_u64(uint64_t x)
{
	/* splitmix64 finalizer: code addresses differ mostly in low bits */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static bool map_find(const struct sym_map *map, uint64_t key, uint64_t *val)
{
	if (map->cap == 0)
		return false;
	for (size_t i = hash_u64(key) & (map->cap - 1);; i = (i + 1) & (map->cap - 1)) {
		if (!map->slots[i].used)
			return false;
		if (map->slots[i].key == key) {
			*val = map->slots[i].val;
			return true;
		}
	}
}

/* A failed insert only costs a later recomputation, so callers ignore it. */
static void map_put(struct sym_map *map, uint64_t key, uint64_t val)
{
	if ((map->count + 1) * 4 > map->cap * 3) {
		size_t cap = map->cap ? map->cap * 2 : 64;
		struct sym_slot *slots = calloc(cap, sizeof(*slots));

		if (slots == NULL)
			return;
		for (size_t j = 0; j < map->cap; j++) {
			if (!map->slots[j].used)
				continue;
			size_t i = hash_u64(map->slots[j].key) & (cap - 1);
			while (slots[i].used)
				i = (i + 1) & (cap - 1);
			slots[i] = map->slots[j];
		}
		free(map->slots);
		map->slots = slots;
		map->cap = cap;
	}
	size_t i = hash_u64(key) & (map->cap - 1);
	while (map->slots[i].used && map->slots[i].key != key)
		i = (i + 1) & (map->cap - 1);
	if (!map->slots[i].used)
		map->count++;
	map->slots[i] = (struct sym_slot){.key = key, .val = val, .used = true};
}

/* Returns the symbolizer's copy of s, NULL only when out of memory. */
static const char *intern(struct lg_symbolizer *sym, const char *s)
{
	size_t len = strlen(s);
	uint64_t h = hash_bytes(0xcbf29ce484222325ull, s, len);

	if ((sym->nstrings + 1) * 4 > sym->strings_cap * 3) {
		size_t cap = sym->strings_cap ? sym->strings_cap * 2 : 64;
		struct sym_string *t = calloc(cap, sizeof(*t));

		if (t == NULL)
			return NULL;
		for (size_t j = 0; j < sym->strings_cap; j++) {
			if (sym->strings[j].s == NULL)
				continue;
			size_t i = sym->strings[j].hash & (cap - 1);
			while (t[i].s != NULL)
				i = (i + 1) & (cap - 1);
			t[i] = sym->strings[j];
		}
		free(sym->strings);
		sym->strings = t;
		sym->strings_cap = cap;
	}
	size_t i = h & (sym->strings_cap - 1);
	for (; sym->strings[i].s != NULL; i = (i + 1) & (sym->strings_cap - 1)) {
		if (sym->strings[i].hash == h && strcmp(sym->strings[i].s, s) == 0)
			return sym->strings[i].s;
	}
	char *copy = strdup(s);
	if (copy == NULL)
		return NULL;
	sym->strings[i] = (struct sym_string){.hash = h, .s = copy};
	sym->nstrings++;
	return copy;
}

struct lg_symbolizer *lg_symbolizer_new(void)
{
	return calloc(1, sizeof(struct lg_symbolizer));
}

static void module_free(struct sym_module *mod)
{
	if (mod->dwfl != NULL)
		dwfl_end(mod->dwfl);
	lg_symbolize_data_free(mod->vars);
	free(mod->pcs.slots);
	free(mod->data.slots);
	free(mod->frames);
	free(mod->cus);
	free(mod->build_id);
	free(mod->path);
	free(mod);
}

void lg_symbolizer_free(struct lg_symbolizer *sym)
{
	if (sym == NULL)
		return;
	for (size_t i = 0; i < sym->nmodules; i++)
		module_free(sym->modules[i]);
	free(sym->modules);
	for (size_t i = 0; i < sym->strings_cap; i++)
		free(sym->strings[i].s);
	free(sym->strings);
	free(sym);
}

static const char *problem_from_errno(int err)
{
	switch (err) {
	case ENOENT:
	case ENOTDIR:
		return "file not found";
	case EACCES:
	case EPERM:
		return "permission denied";
	default:
		return "cannot open file";
	}
}

/* Opens mod's file and sets mod->problem when it cannot be used. The file
 * is checked by hand first only to name the problem precisely: libdwfl
 * reports "not found" and "not ELF" through one error path. */
static void module_open(struct sym_module *mod)
{
	if (mod->path == NULL || mod->path[0] == '\0') {
		mod->problem = "no file name";
		return;
	}
	int fd = open(mod->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		mod->problem = problem_from_errno(errno);
		return;
	}
	unsigned char magic[SELFMAG];
	ssize_t got = pread(fd, magic, sizeof(magic), 0);
	close(fd);
	if (got != SELFMAG || memcmp(magic, ELFMAG, SELFMAG) != 0) {
		mod->problem = "not an ELF file";
		return;
	}

	mod->dwfl = dwfl_begin(&sym_callbacks);
	if (mod->dwfl == NULL) {
		mod->problem = "out of memory";
		return;
	}
	/* Base 0 with add_p_vaddr: Dwfl addresses are the link-time addresses
	 * (plus the bias read back below). add_p_vaddr=false would instead
	 * place the first PT_LOAD at 0, which differs from link-time for any
	 * object not linked at 0 (prelinked libraries, some ET_DYN layouts). */
	dwfl_report_begin(mod->dwfl);
	mod->mod = dwfl_report_elf(mod->dwfl, mod->path, mod->path, -1, 0, true);
	dwfl_report_end(mod->dwfl, NULL, NULL);
	if (mod->mod == NULL) {
		mod->problem = "unreadable ELF file";
		goto unusable;
	}
	if (dwfl_module_getelf(mod->mod, &mod->dwfl_bias) == NULL) {
		mod->problem = "unreadable ELF file";
		goto unusable;
	}
	if (mod->build_id_len > 0) {
		const unsigned char *bits;
		GElf_Addr vaddr;
		int n = dwfl_module_build_id(mod->mod, &bits, &vaddr);

		/* No build-id in the file counts as different: the recorded one
		 * proves the process ran some other file under this path. */
		if (n <= 0 || (size_t)n != mod->build_id_len ||
		    memcmp(bits, mod->build_id, mod->build_id_len) != 0) {
			mod->problem = "build-id differs";
			goto unusable;
		}
	}
	return;

unusable:
	dwfl_end(mod->dwfl);
	mod->dwfl = NULL;
	mod->mod = NULL;
}

static uint64_t module_hash(const struct lg_module_ref *m)
{
	uint64_t h = 0xcbf29ce484222325ull;

	if (m->path != NULL)
		h = hash_bytes(h, m->path, strlen(m->path) + 1);
	if (m->build_id != NULL)
		h = hash_bytes(h, m->build_id, m->build_id_len);
	return h;
}

static bool module_matches(const struct sym_module *mod, uint64_t h, const struct lg_module_ref *m)
{
	size_t id_len = m->build_id != NULL ? m->build_id_len : 0;

	if (mod->hash != h || mod->build_id_len != id_len)
		return false;
	if ((mod->path == NULL) != (m->path == NULL))
		return false;
	if (mod->path != NULL && strcmp(mod->path, m->path) != 0)
		return false;
	return id_len == 0 || memcmp(mod->build_id, m->build_id, id_len) == 0;
}

/* Finds or opens the module for m; NULL only when out of memory. */
static struct sym_module *module_get(struct lg_symbolizer *sym, const struct lg_module_ref *m)
{
	uint64_t h = module_hash(m);

	if (sym->last != NULL && module_matches(sym->last, h, m))
		return sym->last;
	for (size_t i = 0; i < sym->nmodules; i++) {
		if (module_matches(sym->modules[i], h, m))
			return sym->last = sym->modules[i];
	}

	if (sym->nmodules == sym->modules_cap) {
		size_t cap = sym->modules_cap ? sym->modules_cap * 2 : 16;
		struct sym_module **mods = realloc(sym->modules, cap * sizeof(*mods));

		if (mods == NULL)
			return NULL;
		sym->modules = mods;
		sym->modules_cap = cap;
	}
	struct sym_module *mod = calloc(1, sizeof(*mod));
	if (mod != NULL)
		mod->owner = sym;
	if (mod == NULL)
		return NULL;
	mod->hash = h;
	mod->build_id_len = m->build_id != NULL ? m->build_id_len : 0;
	if (m->path != NULL && (mod->path = strdup(m->path)) == NULL)
		goto oom;
	if (mod->build_id_len > 0) {
		mod->build_id = malloc(mod->build_id_len);
		if (mod->build_id == NULL)
			goto oom;
		memcpy(mod->build_id, m->build_id, mod->build_id_len);
	}
	module_open(mod);
	sym->modules[sym->nmodules++] = mod;
	return sym->last = mod;

oom:
	module_free(mod);
	return NULL;
}

/* Whether addr (pc - 1, or a data address) lies in m's recorded span; a
 * span with hi <= lo was not recorded and only rules out wrap-around. */
static bool in_span(const struct lg_module_ref *m, uint64_t addr)
{
	if (m->hi > m->lo)
		return addr >= m->lo && addr < m->hi && addr >= m->bias;
	return addr >= m->bias;
}

static const char *die_name(Dwarf_Die *die)
{
	/* dwarf_diename follows DW_AT_abstract_origin and DW_AT_specification,
	 * so inlined and out-of-line instances get their source name. */
	const char *name = dwarf_diename(die);

	return name != NULL && name[0] != '\0' ? name : NULL;
}

/* The ELF symbol naming the function around addr, or NULL. */
static const char *elf_function_name(struct sym_module *mod, Dwarf_Addr addr)
{
	GElf_Off off;
	GElf_Sym s;
	const char *name = dwfl_module_addrinfo(mod->mod, addr, &off, &s, NULL, NULL, NULL);

	if (name == NULL || name[0] == '\0')
		return NULL;
	switch (GELF_ST_TYPE(s.st_info)) {
	case STT_FUNC:
	case STT_GNU_IFUNC:
	case STT_NOTYPE: /* hand-written assembly often has no type or size */
		return name;
	default:
		return NULL; /* a data symbol: this is not code we can name */
	}
}

/* Where the inlined call `inl` was made: its DW_AT_call_file/_line, the
 * file index resolved through its own CU's line table header. */
static void call_site(Dwarf_Die *inl, const char **file, int *line)
{
	Dwarf_Attribute attr;
	Dwarf_Word val;
	Dwarf_Die cu;
	Dwarf_Files *files;
	size_t nfiles;

	*file = NULL;
	*line = 0;
	if (dwarf_formudata(dwarf_attr(inl, DW_AT_call_line, &attr), &val) == 0 && val <= INT32_MAX)
		*line = (int)val;
	if (dwarf_formudata(dwarf_attr(inl, DW_AT_call_file, &attr), &val) == 0 &&
	    dwarf_diecu(inl, &cu, NULL, NULL) != NULL &&
	    dwarf_getsrcfiles(&cu, &files, &nfiles) == 0 && val < nfiles)
		*file = dwarf_filesrc(files, val, NULL, NULL);
}

static bool is_function_tag(int tag)
{
	return tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine ||
	       tag == DW_TAG_entry_point;
}

/* The function DIEs around a pc, outermost first. A ring: past
 * SCOPE_CHAIN_MAX levels the innermost ones are kept. */
#define SCOPE_CHAIN_MAX 64
#define SCOPE_NEST_MAX  256 /* DIE nesting searched; corrupt DWARF may nest deep */
/* DIEs visited per search: imported units could make corrupt DWARF's tree
 * a graph with exponentially many paths. Far above any real CU. */
#define SCOPE_VISIT_MAX (1l << 22)

struct scope_chain {
	Dwarf_Die fn[SCOPE_CHAIN_MAX];
	int count;
	long budget; /* DIEs left to visit */
};

/* Descends from parent to the innermost scope containing pc, pushing each
 * function DIE (subprogram, inlined_subroutine) on the way. This is what
 * dwarf_getscopes + dwarf_getscopes_die do, minus two problems: in 0.188
 * dwarf_getscopes leaks its array when an inlined instance's abstract
 * origin cannot be resolved (corrupt DWARF), and for an inlined pc it
 * walks the abstract origin's CU a second time. Namespaces and classes
 * carry no pc ranges but hold functions, so they are searched through;
 * imported (DWZ partial) units likewise. */
static bool find_scopes(Dwarf_Die *parent, Dwarf_Addr pc, struct scope_chain *ch, int depth)
{
	Dwarf_Die child, unit;
	Dwarf_Attribute attr;

	if (depth > SCOPE_NEST_MAX || dwarf_child(parent, &child) != 0)
		return false;
	do {
		int tag = dwarf_tag(&child);

		if (--ch->budget < 0)
			return false;
		switch (tag) {
		case DW_TAG_subprogram:
		case DW_TAG_inlined_subroutine:
		case DW_TAG_entry_point:
		case DW_TAG_lexical_block:
		case DW_TAG_try_block:
		case DW_TAG_catch_block:
		case DW_TAG_with_stmt:
			/* Sibling code ranges do not overlap: the first match
			 * is the one. Errors (no pc attributes) are no match. */
			if (dwarf_haspc(&child, pc) <= 0)
				break;
			if (is_function_tag(tag))
				ch->fn[ch->count++ % SCOPE_CHAIN_MAX] = child;
			find_scopes(&child, pc, ch, depth + 1);
			return true;
		case DW_TAG_namespace:
		case DW_TAG_module:
		case DW_TAG_class_type:
		case DW_TAG_structure_type:
		case DW_TAG_union_type:
			if (find_scopes(&child, pc, ch, depth + 1))
				return true;
			break;
		case DW_TAG_imported_unit:
			if (dwarf_formref_die(dwarf_attr(&child, DW_AT_import, &attr), &unit) !=
			            NULL &&
			    find_scopes(&unit, pc, ch, depth + 1))
				return true;
			break;
		default:
			break;
		}
	} while (dwarf_siblingof(&child, &child) == 0);
	return false;
}

/* Turns the chain into frames, innermost first. The innermost frame gets
 * the pc's own file/line; each caller gets the call site recorded on the
 * inlined_subroutine DIE just inside it (the elfutils stack.c scheme). */
static int inline_chain(struct scope_chain *ch, const char *file, int line, struct sym_frame *out,
                        int max)
{
	int oldest = ch->count > SCOPE_CHAIN_MAX ? ch->count - SCOPE_CHAIN_MAX : 0;
	Dwarf_Die *callee = NULL;
	int n = 0;

	for (int i = ch->count - 1; i >= oldest && n < max; i--) {
		Dwarf_Die *fn = &ch->fn[i % SCOPE_CHAIN_MAX];
		int tag = dwarf_tag(fn);

		if (callee != NULL)
			call_site(callee, &file, &line);
		out[n++] = (struct sym_frame){
		        .function = die_name(fn),
		        .file = file,
		        .line = line,
		        .inlined = tag == DW_TAG_inlined_subroutine,
		};
		if (tag != DW_TAG_inlined_subroutine)
			break;
		callee = fn;
	}
	return n;
}

static int cu_range_cmp(const void *a, const void *b)
{
	const struct cu_range *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static void cus_build(struct sym_module *mod)
{
	Dwarf *dbg = dwfl_module_getdwarf(mod->mod, &mod->cus_bias);
	Dwarf_CU *cu = NULL;
	Dwarf_Die cudie, subdie;
	uint8_t unit_type;
	size_t cap = 0;

	mod->cus_built = true;
	while (dbg != NULL &&
	       dwarf_get_units(dbg, cu, &cu, NULL, &unit_type, &cudie, &subdie) == 0) {
		if (unit_type != DW_UT_compile)
			continue;
		Dwarf_Addr base, lo, hi;
		ptrdiff_t off = 0;
		while ((off = dwarf_ranges(&cudie, off, &base, &lo, &hi)) > 0) {
			if (mod->ncus == cap) {
				size_t c = cap ? cap * 2 : 64;
				struct cu_range *r = realloc(mod->cus, c * sizeof(*r));

				if (r == NULL)
					goto done; /* a partial table still helps */
				mod->cus = r;
				cap = c;
			}
			mod->cus[mod->ncus++] = (struct cu_range){
			        .lo = lo + mod->cus_bias, .hi = hi + mod->cus_bias, .cudie = cudie};
		}
	}
done:
	if (mod->ncus > 0)
		qsort(mod->cus, mod->ncus, sizeof(*mod->cus), cu_range_cmp);
}

static Dwarf_Die *cus_find(struct sym_module *mod, Dwarf_Addr addr, Dwarf_Addr *bias)
{
	size_t lo = 0, hi;

	if (!mod->cus_built)
		cus_build(mod);
	hi = mod->ncus;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (mod->cus[mid].lo <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || addr >= mod->cus[lo - 1].hi)
		return NULL;
	*bias = mod->cus_bias;
	return &mod->cus[lo - 1].cudie;
}

/* Joins dir and a relative file, folding "." and ".." lexically, into buf;
 * false if it does not fit. */
static bool join_path(char *buf, size_t len, const char *dir, const char *file)
{
	size_t n = strlen(dir);
	if (n + 1 + strlen(file) + 1 > len)
		return false;
	memcpy(buf, dir, n + 1);
	while (n > 1 && buf[n - 1] == '/')
		buf[--n] = 0;
	for (const char *p = file; *p;) {
		const char *end = strchr(p, '/');
		size_t part = end ? (size_t)(end - p) : strlen(p);
		if (part == 2 && p[0] == '.' && p[1] == '.') {
			char *slash = strrchr(buf, '/');
			n = slash && slash != buf ? (size_t)(slash - buf) : 1;
			buf[n] = 0;
		} else if (part != 0 && !(part == 1 && p[0] == '.')) {
			if (buf[n - 1] != '/')
				buf[n++] = '/';
			memcpy(buf + n, p, part);
			n += part;
			buf[n] = 0;
		}
		p += part + (end ? 1 : 0);
	}
	return true;
}

/* Build systems compile with relative paths (meson: ../src/x.c), which DWARF
 * keeps relative to the compilation directory: make them absolute, so they
 * mean the same wherever the report is read. */
static const char *absolute_file(struct sym_module *mod, Dwarf_Die *cudie, const char *file)
{
	Dwarf_Attribute attr;
	if (file == NULL || file[0] == '/')
		return file;
	const char *dir = dwarf_formstring(dwarf_attr(cudie, DW_AT_comp_dir, &attr));
	char buf[4096];
	if (dir == NULL || dir[0] != '/' || !join_path(buf, sizeof(buf), dir, file))
		return file;
	const char *copy = intern(mod->owner, buf);
	return copy != NULL ? copy : file;
}

/* Describes the code at Dwfl address addr into out (at least one frame). */
static int describe_code(struct sym_module *mod, Dwarf_Addr addr, struct sym_frame *out, int max)
{
	const char *file = NULL;
	int line = 0, n = 0;
	Dwarf_Addr cu_bias;
	Dwarf_Die *cudie = dwfl_module_addrdie(mod->mod, addr, &cu_bias);

	/* libdwfl places addresses with .debug_aranges only; clang emits
	 * none, so fall back to the CUs' own ranges. */
	if (cudie == NULL)
		cudie = cus_find(mod, addr, &cu_bias);
	if (cudie != NULL) {
		Dwarf_Line *dl = dwarf_getsrc_die(cudie, addr - cu_bias);

		if (dl != NULL && (file = dwarf_linesrc(dl, NULL, NULL)) != NULL &&
		    dwarf_lineno(dl, &line) != 0)
			line = 0;
		struct scope_chain ch = {.count = 0, .budget = SCOPE_VISIT_MAX};

		find_scopes(cudie, addr - cu_bias, &ch, 0);
		n = inline_chain(&ch, file, line, out, max);
		for (int i = 0; i < n; i++)
			out[i].file = absolute_file(mod, cudie, out[i].file);
		file = absolute_file(mod, cudie, file);
	}
	if (n == 0)
		out[n++] = (struct sym_frame){.file = file, .line = line};
	/* The outermost frame is a real function, so its ELF symbol is a
	 * right name when DWARF had none; an inlined frame's is not. */
	if (out[n - 1].function == NULL && !out[n - 1].inlined)
		out[n - 1].function = elf_function_name(mod, addr);
	return n;
}

/* Returns the cached frames for rel (computing them on a miss) and their
 * count; *first indexes mod->frames. */
static int module_frames(struct sym_module *mod, uint64_t rel, size_t *first)
{
	uint64_t v;

	if (map_find(&mod->pcs, rel, &v)) {
		*first = v >> 8;
		return (int)(v & 0xff);
	}
	if (mod->frames_cap - mod->nframes < LG_SYM_MAX_INLINE) {
		size_t cap = mod->frames_cap ? mod->frames_cap * 2 : 256;
		struct sym_frame *f = realloc(mod->frames, cap * sizeof(*f));

		if (f == NULL)
			return 0;
		mod->frames = f;
		mod->frames_cap = cap;
	}
	*first = mod->nframes;
	int n = describe_code(mod, rel + mod->dwfl_bias, mod->frames + mod->nframes,
	                      LG_SYM_MAX_INLINE);
	mod->nframes += n;
	map_put(&mod->pcs, rel, ((uint64_t)*first << 8) | (uint64_t)n);
	return n;
}

int lg_symbolize_pc(struct lg_symbolizer *sym, const struct lg_module_ref *m, uint64_t pc,
                    struct lg_frame *out, int max)
{
	if (out == NULL || max < 1)
		return 0;
	out[0] = (struct lg_frame){.pc = pc};
	if (sym == NULL || m == NULL)
		return 1;
	struct sym_module *mod = module_get(sym, m);
	/* pc == hi is fine: a call as the segment's last instruction. */
	if (mod == NULL || pc == 0 || !in_span(m, pc - 1))
		return 1;
	out[0].module = mod->path;
	if (mod->problem != NULL)
		return 1;

	size_t first;
	int n = module_frames(mod, pc - 1 - m->bias, &first);
	if (n > max)
		n = max;
	for (int i = 0; i < n; i++) {
		const struct sym_frame *f = &mod->frames[first + i];

		out[i] = (struct lg_frame){
		        .pc = pc,
		        .function = f->function,
		        .file = f->file,
		        .line = f->line,
		        .module = mod->path,
		        .inlined = f->inlined,
		};
	}
	return n > 0 ? n : 1;
}

const char *lg_symbolize_data(struct lg_symbolizer *sym, const struct lg_module_ref *m,
                              uint64_t addr)
{
	if (sym == NULL || m == NULL || !in_span(m, addr))
		return NULL;
	struct sym_module *mod = module_get(sym, m);
	if (mod == NULL || mod->problem != NULL)
		return NULL;

	uint64_t rel = addr - m->bias, v;
	if (map_find(&mod->data, rel, &v))
		return (const char *)(uintptr_t)v;

	char buf[LG_SYMBOLIZE_NAME_MAX];
	const char *name = NULL;
	if (lg_symbolize_data_name(mod->mod, &mod->vars, rel + mod->dwfl_bias, buf, sizeof(buf))) {
		name = intern(sym, buf);
		if (name == NULL)
			return NULL; /* not cached: a retry may find memory */
	}
	map_put(&mod->data, rel, (uint64_t)(uintptr_t)name);
	return name;
}

const char *lg_symbolizer_module_problem(struct lg_symbolizer *sym, const struct lg_module_ref *m)
{
	if (sym == NULL || m == NULL)
		return NULL;
	struct sym_module *mod = module_get(sym, m);
	return mod != NULL ? mod->problem : "out of memory";
}
