/* See program_check.h. */
#define _GNU_SOURCE
#include "program_check.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* execvp's lookup: a name without '/' is searched in PATH. */
static bool resolve(const char *program, char *out, size_t size)
{
	if (strchr(program, '/'))
		return snprintf(out, size, "%s", program) < (int)size;
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/bin:/usr/bin";
	for (const char *p = path; *p;) {
		size_t len = strcspn(p, ":");
		if (snprintf(out, size, "%.*s%s%s", (int)len, len ? p : ".", "/", program) <
		            (int)size &&
		    access(out, X_OK) == 0)
			return true;
		p += len + (p[len] == ':');
	}
	return false;
}

/* Whether the dynamic symbol table or DT_NEEDED entries name ThreadSanitizer. */
static bool uses_tsan(Elf *elf)
{
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) ||
		    (sh.sh_type != SHT_DYNSYM && sh.sh_type != SHT_DYNAMIC))
			continue;
		Elf_Data *data = elf_getdata(scn, NULL);
		if (!data || sh.sh_entsize == 0)
			continue;
		size_t n = sh.sh_size / sh.sh_entsize;
		for (size_t i = 0; i < n; i++) {
			const char *name = NULL;
			if (sh.sh_type == SHT_DYNSYM) {
				GElf_Sym sym;
				if (gelf_getsym(data, (int)i, &sym))
					name = elf_strptr(elf, sh.sh_link, sym.st_name);
			} else {
				GElf_Dyn dyn;
				if (gelf_getdyn(data, (int)i, &dyn) && dyn.d_tag == DT_NEEDED)
					name = elf_strptr(elf, sh.sh_link, dyn.d_un.d_val);
			}
			if (name &&
			    (strcmp(name, "__tsan_init") == 0 || strncmp(name, "libtsan", 7) == 0))
				return true;
		}
	}
	return false;
}

const char *lg_program_unpreloadable(const char *program)
{
	char path[PATH_MAX];
	struct stat st;
	if (!resolve(program, path, sizeof(path)) || stat(path, &st) != 0)
		return NULL;
	if (((st.st_mode & S_ISUID) && st.st_uid != geteuid()) ||
	    ((st.st_mode & S_ISGID) && st.st_gid != getegid()))
		return "it is set-user-ID or set-group-ID: the loader ignores LD_PRELOAD for it";
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	const char *why = NULL;
	elf_version(EV_CURRENT);
	Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
	size_t nphdr;
	if (elf && elf_kind(elf) == ELF_K_ELF && elf_getphdrnum(elf, &nphdr) == 0) {
		bool interp = false;
		for (size_t i = 0; i < nphdr; i++) {
			GElf_Phdr ph;
			if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_INTERP)
				interp = true;
		}
		if (!interp)
			why = "it is statically linked: there is no dynamic loader to preload "
			      "anything";
		else if (uses_tsan(elf))
			why = "it is built with ThreadSanitizer, whose runtime intercepts the same "
			      "calls "
			      "and must come first: run it without lockgraph";
	}
	elf_end(elf);
	close(fd);
	return why;
}
