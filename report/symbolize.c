/* The symbolizer's modules and caches, and code addresses to source frames.
 *
 * Owns: the open modules (one Dwfl per (path, build-id), reported at its
 * link-time addresses, so processes that loaded the file anywhere share
 * it), finding each module's file and debug info by build-id (the
 * recorded path, --debug-dir trees, /usr/lib/debug, debuginfod), the
 * per-module result caches, and every string handed out: names built here
 * are interned; function and file names point into libdw's data, which
 * lives until lg_symbolizer_free closes the Dwfl. Data addresses are named
 * by symbolize_data.c; this file only caches them.
 *
 * Must never print (the caller reports problems through
 * lg_symbolizer_module_note) and never give a name it cannot vouch for:
 * every file used has the recorded build-id (libdwfl checks separate
 * debug files the same way), and a module found nowhere gets frames with
 * only pc and module. */
#include "symbolize.h"

#include "symbolize_internal.h"

#include <dlfcn.h>
#include <dwarf.h>
#include <elf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
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

/* The system's tree of debug files, searched after --debug-dir's: where
 * libdwfl's dwfl_standard_find_debuginfo looks by default. */
#define SYSTEM_DEBUG_DIR "/usr/lib/debug"

/* Where a usable module's file came from. */
enum sym_origin {
	ORIGIN_PATH,       /* the recorded path */
	ORIGIN_DEBUG_DIR,  /* a --debug-dir tree (origin_dir) */
	ORIGIN_SYSTEM,     /* SYSTEM_DEBUG_DIR */
	ORIGIN_DEBUGINFOD, /* a debuginfod server, through elfutils' cache */
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
	enum sym_origin origin;
	const char *origin_dir; /* the --debug-dir, for ORIGIN_DEBUG_DIR */
	/* The build-id (hex, or "none") of the file now at the recorded path
	 * when it differs from the recorded one: rebuilt since the run. */
	char *path_id;
	/* lg_symbolizer_module_note's, built on first use */
	char *note, *innermost_note;
	bool note_built, innermost_note_built;
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

/* elfutils' debuginfod client library, loaded when first needed (as
 * libdwfl itself loads it): no build dependency, and a machine without it
 * still symbolizes from local files. See debuginfod_find_debuginfo(3). */
struct debuginfod_api {
	debuginfod_client *(*begin)(void);
	void (*end)(debuginfod_client *c);
	int (*find_executable)(debuginfod_client *c, const unsigned char *id, int id_len,
	                       char **path);
	int (*find_debuginfo)(debuginfod_client *c, const unsigned char *id, int id_len,
	                      char **path);
};

struct lg_symbolizer {
	struct sym_module **modules;
	size_t nmodules, modules_cap;
	struct sym_module *last; /* traces run long stretches in one module */
	/* interned strings, open addressing */
	struct sym_string *strings;
	size_t strings_cap, nstrings;
	/* Where to look (lg_symbolizer_set_search): the --debug-dir trees;
	 * the same followed by libdwfl's default path, for its search of
	 * separate debug files (NULL: the default alone); the debuginfod
	 * servers (NULL: none) and the client, begun on first use. */
	char **dirs;
	size_t ndirs;
	char *debuginfo_path;
	Dwfl_Callbacks callbacks; /* debuginfo_path points at the field above */
	char *debuginfod_urls;
	debuginfod_client *debuginfod;
	bool debuginfod_failed;
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

static int find_debuginfo(Dwfl_Module *m, void **userdata, const char *modname, Dwarf_Addr base,
                          const char *file_name, const char *debuglink, GElf_Word crc,
                          char **debuginfo_file_name);
static const struct debuginfod_api *debuginfod_api(void);

struct lg_symbolizer *lg_symbolizer_new(void)
{
	struct lg_symbolizer *sym = calloc(1, sizeof(struct lg_symbolizer));

	if (sym == NULL)
		return NULL;
	sym->callbacks = (Dwfl_Callbacks){
	        .find_elf = dwfl_build_id_find_elf,
	        .find_debuginfo = find_debuginfo,
	        .section_address = dwfl_offline_section_address,
	        .debuginfo_path = &sym->debuginfo_path,
	};
	return sym;
}

void lg_symbolizer_set_search(struct lg_symbolizer *sym, const char *const *dirs, size_t ndirs,
                              const char *debuginfod_urls)
{
	if (sym == NULL)
		return;
	/* libdwfl's path: the trees, searched by build-id in this order,
	 * then its default ":.debug:/usr/lib/debug" (the module's own
	 * directory and its .debug for a .gnu_debuglink name, then the
	 * system tree). A directory with ':' in its name cannot be written
	 * there; it is still searched by build-id (module_by_build_id). */
	char **copies = ndirs > 0 ? calloc(ndirs, sizeof(*copies)) : NULL;
	size_t len = sizeof(":.debug:" SYSTEM_DEBUG_DIR), k = 0;
	if (ndirs > 0 && copies == NULL)
		return; /* out of memory: the recorded paths and the system's remain */
	for (size_t i = 0; i < ndirs; i++) {
		/* libdwfl searches only absolute directories by build-id */
		if ((copies[k] = realpath(dirs[i], NULL)) == NULL &&
		    (copies[k] = strdup(dirs[i])) == NULL)
			continue;
		len += strlen(copies[k++]) + 1;
	}
	char *path = malloc(len);
	if (path == NULL) {
		for (size_t i = 0; i < k; i++)
			free(copies[i]);
		free(copies);
		return;
	}
	size_t n = 0;
	for (size_t i = 0; i < k; i++) {
		if (strchr(copies[i], ':') == NULL)
			n += (size_t)snprintf(path + n, len - n, "%s:", copies[i]);
	}
	snprintf(path + n, len - n, "%s", ":.debug:" SYSTEM_DEBUG_DIR);
	for (size_t i = 0; i < sym->ndirs; i++)
		free(sym->dirs[i]);
	free(sym->dirs);
	free(sym->debuginfo_path);
	free(sym->debuginfod_urls);
	sym->dirs = copies;
	sym->ndirs = k;
	sym->debuginfo_path = path;
	sym->debuginfod_urls = NULL;
	if (debuginfod_urls != NULL && debuginfod_urls[0] != '\0')
		sym->debuginfod_urls = strdup(debuginfod_urls);
}

static void module_free(struct sym_module *mod)
{
	if (mod->dwfl != NULL)
		dwfl_end(mod->dwfl);
	free(mod->path_id);
	free(mod->note);
	free(mod->innermost_note);
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
	for (size_t i = 0; i < sym->ndirs; i++)
		free(sym->dirs[i]);
	free(sym->dirs);
	free(sym->debuginfo_path);
	free(sym->debuginfod_urls);
	if (sym->debuginfod != NULL)
		debuginfod_api()->end(sym->debuginfod);
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

/* Lower-case hex of a build-id, as .build-id paths and notes write it;
 * NULL when out of memory. */
static char *hex_id(const unsigned char *id, size_t len)
{
	char *hex = malloc(len * 2 + 1);

	if (hex == NULL)
		return NULL;
	for (size_t i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", id[i]);
	hex[len * 2] = '\0';
	return hex;
}

/* Makes file mod's ELF file if it has mod's recorded build-id (any file,
 * when none was recorded). Returns NULL, or why not: then, when the file
 * has another build-id (or none), *other_id gets it in hex ("none"). */
static const char *module_try(struct lg_symbolizer *sym, struct sym_module *mod, const char *file,
                              char **other_id)
{
	Dwfl *dwfl = dwfl_begin(&sym->callbacks);
	const char *problem = NULL;
	Dwarf_Addr bias;

	if (dwfl == NULL)
		return "out of memory";
	/* Base 0 with add_p_vaddr: Dwfl addresses are the link-time addresses
	 * (plus the bias read back below). add_p_vaddr=false would instead
	 * place the first PT_LOAD at 0, which differs from link-time for any
	 * object not linked at 0 (prelinked libraries, some ET_DYN layouts).
	 * A separate debug file (objcopy --only-keep-debug) keeps the program
	 * headers, symbol table and DWARF, all this needs, so it serves as
	 * the module's file when the module itself is gone. */
	dwfl_report_begin(dwfl);
	Dwfl_Module *m =
	        dwfl_report_elf(dwfl, mod->path != NULL ? mod->path : file, file, -1, 0, true);
	dwfl_report_end(dwfl, NULL, NULL);
	if (m == NULL || dwfl_module_getelf(m, &bias) == NULL) {
		problem = "unreadable ELF file";
		goto unusable;
	}
	if (mod->build_id_len > 0) {
		const unsigned char *bits;
		GElf_Addr vaddr;
		int n = dwfl_module_build_id(m, &bits, &vaddr);

		/* No build-id in the file counts as different: the recorded one
		 * proves the process ran some other file under this path. */
		if (n <= 0 || (size_t)n != mod->build_id_len ||
		    memcmp(bits, mod->build_id, mod->build_id_len) != 0) {
			if (other_id != NULL)
				*other_id = n > 0 ? hex_id(bits, (size_t)n) : strdup("none");
			problem = "build-id differs";
			goto unusable;
		}
	}
	void **userdata;
	dwfl_module_info(m, &userdata, NULL, NULL, NULL, NULL, NULL, NULL);
	*userdata = mod; /* for find_debuginfo */
	mod->dwfl = dwfl;
	mod->mod = m;
	mod->dwfl_bias = bias;
	return NULL;

unusable:
	dwfl_end(dwfl);
	return problem;
}

/* Step 1: the file at the recorded path, if it is the one the process ran.
 * Returns NULL, or the problem with that file. The file is checked by hand
 * first only to name the problem precisely: libdwfl reports "not found"
 * and "not ELF" through one error path. */
static const char *module_at_path(struct lg_symbolizer *sym, struct sym_module *mod)
{
	if (mod->path == NULL || mod->path[0] == '\0')
		return "no file name";
	int fd = open(mod->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return problem_from_errno(errno);
	unsigned char magic[SELFMAG];
	ssize_t got = pread(fd, magic, sizeof(magic), 0);
	close(fd);
	if (got != SELFMAG || memcmp(magic, ELFMAG, SELFMAG) != 0)
		return "not an ELF file";
	return module_try(sym, mod, mod->path, &mod->path_id);
}

/* Steps 2 and 3: the .build-id trees, --debug-dir's in order, then the
 * system's; in each, the module itself (.build-id/xx/yyyy: its debug info
 * is then found the usual way, see find_debuginfo), else its separate
 * debug file (.build-id/xx/yyyy.debug). */
static bool module_by_build_id(struct lg_symbolizer *sym, struct sym_module *mod)
{
	char *hex = hex_id(mod->build_id, mod->build_id_len);

	if (hex == NULL)
		return false;
	bool found = false;
	for (size_t i = 0; i <= sym->ndirs && !found; i++) {
		const char *dir = i < sym->ndirs ? sym->dirs[i] : SYSTEM_DEBUG_DIR;
		for (int debug = 0; debug < 2 && !found; debug++) {
			char file[4096];
			int n = snprintf(file, sizeof(file), "%s/.build-id/%.2s/%s%s", dir, hex,
			                 hex + 2, debug ? ".debug" : "");

			if (n < 0 || (size_t)n >= sizeof(file) || access(file, R_OK) != 0)
				continue;
			if (module_try(sym, mod, file, NULL) == NULL) {
				found = true;
				mod->origin = i < sym->ndirs ? ORIGIN_DEBUG_DIR : ORIGIN_SYSTEM;
				mod->origin_dir = dir;
			}
		}
	}
	free(hex);
	return found;
}

static const struct debuginfod_api *debuginfod_api(void)
{
	static struct debuginfod_api api;
	static bool tried;

	if (!tried) {
		tried = true;
		void *so = dlopen("libdebuginfod.so.1", RTLD_LAZY | RTLD_LOCAL);
		if (so != NULL) {
			api.begin = (debuginfod_client * (*)(void)) dlsym(so, "debuginfod_begin");
			api.end = (void (*)(debuginfod_client *))dlsym(so, "debuginfod_end");
			api.find_executable =
			        (int (*)(debuginfod_client *, const unsigned char *, int,
			                 char **))dlsym(so, "debuginfod_find_executable");
			api.find_debuginfo =
			        (int (*)(debuginfod_client *, const unsigned char *, int,
			                 char **))dlsym(so, "debuginfod_find_debuginfo");
			if (!api.begin || !api.end || !api.find_executable || !api.find_debuginfo)
				memset(&api, 0, sizeof(api));
		}
	}
	return api.begin != NULL ? &api : NULL;
}

bool lg_symbolizer_debuginfod_available(void)
{
	return debuginfod_api() != NULL;
}

/* Step 4: asks the debuginfod servers for the file with this build-id
 * (the module itself, or its debug info) and returns an open descriptor
 * (*path: its place in elfutils' cache, malloc'ed), or -1. The servers
 * are named in DEBUGINFOD_URLS only for the query: libdebuginfod reads it
 * there at each query, and nowhere else may libdwfl see it. */
static int debuginfod_fetch(struct lg_symbolizer *sym, bool executable, const unsigned char *id,
                            size_t len, char **path)
{
	const struct debuginfod_api *api = debuginfod_api();

	*path = NULL;
	if (sym->debuginfod_urls == NULL || api == NULL || sym->debuginfod_failed || len == 0 ||
	    len > INT32_MAX)
		return -1;
	if (sym->debuginfod == NULL && (sym->debuginfod = api->begin()) == NULL) {
		sym->debuginfod_failed = true;
		return -1;
	}
	const char *was = getenv("DEBUGINFOD_URLS");
	char *saved = was != NULL ? strdup(was) : NULL;
	if ((was != NULL && saved == NULL) ||
	    setenv("DEBUGINFOD_URLS", sym->debuginfod_urls, 1) != 0) {
		free(saved);
		return -1;
	}
	int fd = executable ? api->find_executable(sym->debuginfod, id, (int)len, path)
	                    : api->find_debuginfo(sym->debuginfod, id, (int)len, path);
	if (saved != NULL)
		setenv("DEBUGINFOD_URLS", saved, 1);
	else
		unsetenv("DEBUGINFOD_URLS");
	free(saved);
	if (fd < 0) {
		free(*path);
		*path = NULL;
		return -1;
	}
	return fd;
}

/* Step 4 for the module itself: its file from debuginfod, else its debug
 * file (which serves as well, see module_try). */
static bool module_from_debuginfod(struct lg_symbolizer *sym, struct sym_module *mod)
{
	for (int debug = 0; debug < 2; debug++) {
		char *file;
		int fd = debuginfod_fetch(sym, !debug, mod->build_id, mod->build_id_len, &file);

		if (fd < 0)
			continue;
		close(fd);
		const char *problem = file != NULL ? module_try(sym, mod, file, NULL) : "no file";
		free(file);
		if (problem == NULL) {
			mod->origin = ORIGIN_DEBUGINFOD;
			return true;
		}
	}
	return false;
}

/* libdwfl's find_debuginfo callback, called when a module's file has no
 * DWARF: libdwfl's own search (the .build-id trees in debuginfo_path
 * order, then the .gnu_debuglink name beside the file, in its .debug, and
 * under /usr/lib/debug; each candidate checked against the build-id, or
 * the link's CRC), then, if asked for, debuginfod. */
static int find_debuginfo(Dwfl_Module *m, void **userdata, const char *modname, Dwarf_Addr base,
                          const char *file_name, const char *debuglink, GElf_Word crc,
                          char **debuginfo_file_name)
{
	int fd = dwfl_standard_find_debuginfo(m, userdata, modname, base, file_name, debuglink, crc,
	                                      debuginfo_file_name);
	struct sym_module *mod = *userdata;
	const unsigned char *bits;
	GElf_Addr vaddr;
	int n;

	if (fd >= 0 || mod == NULL || (n = dwfl_module_build_id(m, &bits, &vaddr)) <= 0)
		return fd;
	char *path;
	fd = debuginfod_fetch(mod->owner, false, bits, (size_t)n, &path);
	if (fd < 0)
		return -1;
	free(*debuginfo_file_name);
	*debuginfo_file_name = path; /* libdwfl frees it */
	return fd;
}

/* Finds mod's file and sets mod->problem when there is none: see
 * symbolize.h for the order. */
static void module_open(struct lg_symbolizer *sym, struct sym_module *mod)
{
	mod->problem = module_at_path(sym, mod);
	if (mod->problem == NULL) {
		mod->origin = ORIGIN_PATH;
		return;
	}
	/* Without a recorded build-id nothing else can be proven the same. */
	if (mod->build_id_len == 0)
		return;
	if (module_by_build_id(sym, mod) || module_from_debuginfod(sym, mod))
		mod->problem = NULL;
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
	module_open(sym, mod);
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
	out[0].offset = pc - m->bias;
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
		        .offset = pc - m->bias,
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

/* Where the search for mod looked, for a note: "--debug-dir /a,
 * /usr/lib/debug and debuginfod". */
static void searched(const struct lg_symbolizer *sym, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sym->ndirs && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "--debug-dir %s, ", sym->dirs[i]);
	if (n < len)
		snprintf(buf + n, len - n, "%s%s", SYSTEM_DEBUG_DIR,
		         sym->debuginfod_urls != NULL ? " and debuginfod" : "");
}

/* Where a usable module's symbols came from, for a note. */
static void origin(const struct sym_module *mod, char *buf, size_t len)
{
	switch (mod->origin) {
	case ORIGIN_DEBUG_DIR:
		snprintf(buf, len, "--debug-dir %s", mod->origin_dir);
		break;
	case ORIGIN_SYSTEM:
		snprintf(buf, len, "%s", mod->origin_dir);
		break;
	case ORIGIN_DEBUGINFOD:
		snprintf(buf, len, "debuginfod");
		break;
	case ORIGIN_PATH:
		snprintf(buf, len, "its path");
		break;
	}
}

/* The note for a module with no symbols, or rebuilt since the run; NULL
 * when there is none (or no memory for one). */
static char *module_note(const struct lg_symbolizer *sym, const struct sym_module *mod)
{
	const char *path = mod->path != NULL ? mod->path : "(no name)";
	char *id = hex_id(mod->build_id, mod->build_id_len);
	char where[1024], what[1200], note[2048];
	static const char unknown[] = "its frames show as module+offset";

	if (id == NULL)
		return NULL;
	note[0] = '\0';
	if (mod->problem != NULL && mod->build_id_len > 0) {
		searched(sym, where, sizeof(where));
		snprintf(what, sizeof(what), "no symbols with that build-id in %s; %s", where,
		         unknown);
	} else {
		origin(mod, where, sizeof(where));
		snprintf(what, sizeof(what), "symbols from %s", where);
	}
	if (mod->path_id != NULL)
		snprintf(note, sizeof(note),
		         "'%s' was rebuilt since the run (build-id %s, now %s): %s", path, id,
		         mod->path_id, what);
	else if (mod->problem != NULL && mod->build_id_len > 0)
		snprintf(note, sizeof(note), "cannot symbolize '%s' (build-id %s): %s, and %s",
		         path, id, mod->problem, what);
	else if (mod->problem != NULL)
		snprintf(note, sizeof(note), "cannot symbolize '%s': %s", path, mod->problem);
	free(id);
	return note[0] != '\0' ? strdup(note) : NULL;
}

/* The note for a usable module without DWARF, NULL if it has some. */
static char *module_debug_note(const struct lg_symbolizer *sym, const struct sym_module *mod)
{
	Dwarf_Addr bias;

	if (mod->mod == NULL || dwfl_module_getdwarf(mod->mod, &bias) != NULL)
		return NULL;
	char *id = hex_id(mod->build_id, mod->build_id_len);
	char where[1024], note[2048];

	if (id == NULL)
		return NULL;
	searched(sym, where, sizeof(where));
	snprintf(note, sizeof(note),
	         "no debug info for '%s' (build-id %s) beside it or in %s: its frames have no file "
	         "or line, and show as module+offset where its symbol table has no name",
	         mod->path != NULL ? mod->path : "(no name)", id[0] ? id : "none", where);
	free(id);
	return strdup(note);
}

const char *lg_symbolizer_module_note(struct lg_symbolizer *sym, const struct lg_module_ref *m,
                                      bool innermost)
{
	if (sym == NULL || m == NULL)
		return NULL;
	struct sym_module *mod = module_get(sym, m);
	if (mod == NULL)
		return NULL;
	if (!mod->note_built) {
		mod->note_built = true;
		mod->note = module_note(sym, mod);
	}
	if (mod->note != NULL || !innermost)
		return mod->note;
	if (!mod->innermost_note_built) {
		mod->innermost_note_built = true;
		mod->innermost_note = module_debug_note(sym, mod);
	}
	return mod->innermost_note;
}
