/* Data addresses to C variable names: "ledger_lock", "accounts[1].lock".
 *
 * Owns each module's table of global and static variables read from DWARF
 * (built once, on the module's first data lookup) and the walk down a
 * variable's type from the address to the member or element it points at.
 * Falls back to the ELF symbol table when DWARF does not cover an address.
 *
 * Must never give a name the debug information does not support exactly:
 * where the member path cannot be followed to the address, the name stops
 * at the deepest exact part and the rest is an offset ("shop+0xc"). */
#include "symbolize_internal.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <gelf.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bounds that keep corrupt or hostile DWARF from recursing or looping
 * without end; real programs stay far below them. */
#define VARS_MAX_NESTING 64 /* scopes around a static variable */
#define NAME_MAX_STEPS   32 /* members/elements in one name */
#define ARRAY_MAX_DIMS   8
/* Room kept at the end of a name for "+0x" and 16 hex digits. */
#define SUFFIX_ROOM 20

struct var {
	Dwarf_Addr addr; /* in the module's Dwfl address space */
	Dwarf_Word size; /* 0 when the type has no known size */
	Dwarf_Die die;   /* the defining DW_TAG_variable */
};

struct lg_symbolize_vars {
	struct var *v;
	size_t n, cap;
};

void lg_symbolize_data_free(struct lg_symbolize_vars *vars)
{
	if (vars == NULL)
		return;
	free(vars->v);
	free(vars);
}

static bool die_type(Dwarf_Die *die, Dwarf_Die *type)
{
	Dwarf_Attribute attr;

	/* _integrate: a definition may take its type from the declaration
	 * (DW_AT_specification) or the abstract instance it refines. */
	return dwarf_formref_die(dwarf_attr_integrate(die, DW_AT_type, &attr), type) != NULL;
}

/* The address of a variable whose location is exactly one DW_OP_addr (or
 * DW_OP_addrx): statics and globals. Locals, TLS (addr followed by
 * push_tls_address) and optimized-out variables do not qualify. */
static bool var_address(Dwarf_Die *die, Dwarf_Addr *addr)
{
	Dwarf_Attribute attr;
	Dwarf_Block block;
	Dwarf_Op *ops;
	size_t nops;

	if (dwarf_attr(die, DW_AT_location, &attr) == NULL)
		return false;
	/* Check the raw first opcode before asking libdw to parse: every
	 * local variable has a location too, and dwarf_getlocation caches
	 * each parse until the module is closed. Location lists have
	 * non-block forms and are never a single static address. */
	switch (dwarf_whatform(&attr)) {
	case DW_FORM_exprloc:
	case DW_FORM_block1:
	case DW_FORM_block2:
	case DW_FORM_block4:
	case DW_FORM_block:
		break;
	default:
		return false;
	}
	if (dwarf_formblock(&attr, &block) != 0 || block.length == 0)
		return false;
	if (block.data[0] != DW_OP_addr && block.data[0] != DW_OP_addrx &&
	    block.data[0] != DW_OP_GNU_addr_index)
		return false;
	if (dwarf_getlocation(&attr, &ops, &nops) != 0 || nops != 1)
		return false;
	if (ops[0].atom == DW_OP_addr) {
		*addr = ops[0].number;
		return true;
	}
	Dwarf_Attribute indexed;
	return dwarf_getlocation_attr(&attr, &ops[0], &indexed) == 0 &&
	       dwarf_formaddr(&indexed, addr) == 0;
}

static void vars_add(struct lg_symbolize_vars *vars, Dwarf_Die *die, Dwarf_Addr bias)
{
	Dwarf_Addr addr;
	Dwarf_Die type;
	Dwarf_Word size = 0;

	if (dwarf_diename(die) == NULL || !var_address(die, &addr))
		return;
	if (die_type(die, &type) && dwarf_aggregate_size(&type, &size) != 0)
		size = 0;
	if (vars->n == vars->cap) {
		size_t cap = vars->cap ? vars->cap * 2 : 256;
		struct var *v = realloc(vars->v, cap * sizeof(*v));

		if (v == NULL)
			return; /* a partial table still names what it has */
		vars->v = v;
		vars->cap = cap;
	}
	vars->v[vars->n++] = (struct var){.addr = addr + bias, .size = size, .die = *die};
}

/* Collects variables in the scopes below parent: file scope, namespaces,
 * and function bodies (function-scope statics). Types are not entered:
 * C++ static members are defined outside their class. */
static void vars_collect(struct lg_symbolize_vars *vars, Dwarf_Die *parent, Dwarf_Addr bias,
                         int depth)
{
	Dwarf_Die child;

	if (depth > VARS_MAX_NESTING || dwarf_child(parent, &child) != 0)
		return;
	do {
		switch (dwarf_tag(&child)) {
		case DW_TAG_variable:
			vars_add(vars, &child, bias);
			break;
		case DW_TAG_subprogram:
		case DW_TAG_lexical_block:
		case DW_TAG_namespace:
		case DW_TAG_module:
			vars_collect(vars, &child, bias, depth + 1);
			break;
		default:
			break;
		}
	} while (dwarf_siblingof(&child, &child) == 0);
}

static int var_cmp(const void *a, const void *b)
{
	const struct var *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	/* largest first, so deduplication keeps the most complete type */
	return x->size > y->size ? -1 : x->size < y->size;
}

static struct lg_symbolize_vars *vars_build(Dwfl_Module *mod)
{
	struct lg_symbolize_vars *vars = calloc(1, sizeof(*vars));
	Dwarf_Addr bias;
	Dwarf *dbg;

	if (vars == NULL)
		return NULL;
	dbg = dwfl_module_getdwarf(mod, &bias);
	if (dbg == NULL)
		return vars; /* no DWARF: an empty table, the ELF symbols remain */

	Dwarf_CU *cu = NULL;
	Dwarf_Die cudie, subdie;
	uint8_t unit_type;
	while (dwarf_get_units(dbg, cu, &cu, NULL, &unit_type, &cudie, &subdie) == 0) {
		/* A skeleton unit's variables live in its split unit. */
		if (unit_type == DW_UT_skeleton && dwarf_tag(&subdie) == DW_TAG_compile_unit)
			vars_collect(vars, &subdie, bias, 0);
		else if (unit_type == DW_UT_compile || unit_type == DW_UT_partial)
			vars_collect(vars, &cudie, bias, 0);
	}
	if (vars->n == 0)
		return vars;

	qsort(vars->v, vars->n, sizeof(*vars->v), var_cmp);
	size_t k = 0;
	for (size_t i = 0; i < vars->n; i++) {
		/* one variable per address: several CUs may describe it */
		if (k == 0 || vars->v[k - 1].addr != vars->v[i].addr)
			vars->v[k++] = vars->v[i];
	}
	vars->n = k;
	return vars;
}

static bool var_covers(const struct var *v, Dwarf_Addr addr)
{
	return addr >= v->addr && (addr - v->addr < v->size || addr == v->addr);
}

static const struct var *vars_find(const struct lg_symbolize_vars *vars, Dwarf_Addr addr)
{
	size_t lo = 0, hi = vars->n;

	/* first variable starting above addr */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (vars->v[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* A few steps back: a sizeless variable may sit inside a bigger one. */
	for (size_t i = lo, steps = 0; i > 0 && steps < 4; i--, steps++) {
		if (var_covers(&vars->v[i - 1], addr))
			return &vars->v[i - 1];
	}
	return NULL;
}

/* A name under construction: buf[0..len) is an exact C expression. */
struct name {
	char *buf;
	size_t len, cap;
};

/* Appends s unless that would leave no room for an offset suffix. */
static bool name_append(struct name *nm, const char *s)
{
	size_t n = strlen(s);

	if (nm->len + n + SUFFIX_ROOM >= nm->cap)
		return false;
	memcpy(nm->buf + nm->len, s, n + 1);
	nm->len += n;
	return true;
}

/* Elements in one array dimension, false when unknown (a flexible array
 * member, a VLA). C bounds are [0, count); other languages' lower bounds
 * only shift them. */
static bool subrange_count(Dwarf_Die *sub, Dwarf_Word *count)
{
	Dwarf_Attribute attr;
	Dwarf_Word upper, lower = 0;

	if (dwarf_formudata(dwarf_attr_integrate(sub, DW_AT_count, &attr), count) == 0)
		return true;
	if (dwarf_formudata(dwarf_attr_integrate(sub, DW_AT_upper_bound, &attr), &upper) != 0)
		return false;
	if (dwarf_attr_integrate(sub, DW_AT_lower_bound, &attr) != NULL &&
	    dwarf_formudata(&attr, &lower) != 0)
		return false;
	if (upper < lower || upper - lower == UINT64_MAX)
		return false;
	*count = upper - lower + 1;
	return true;
}

/* One step into an array: all its dimensions at once, so a multi-dim
 * array names its element ("grid[1][0]", never a bare row "grid[1]"). */
static bool step_array(Dwarf_Die *type, Dwarf_Word *off, struct name *nm)
{
	Dwarf_Die elem, sub;
	Dwarf_Word esize, count[ARRAY_MAX_DIMS], stride[ARRAY_MAX_DIMS];
	bool known[ARRAY_MAX_DIMS];
	int ndims = 0;

	if (!die_type(type, &elem) || dwarf_aggregate_size(&elem, &esize) != 0 || esize == 0)
		return false;
	if (dwarf_child(type, &sub) == 0) {
		do {
			int tag = dwarf_tag(&sub);

			if (tag != DW_TAG_subrange_type && tag != DW_TAG_enumeration_type)
				continue;
			if (ndims == ARRAY_MAX_DIMS)
				return false;
			known[ndims] = subrange_count(&sub, &count[ndims]);
			ndims++;
		} while (dwarf_siblingof(&sub, &sub) == 0);
	}
	if (ndims == 0) {
		known[0] = false;
		ndims = 1;
	}
	/* Inner dimensions must be known to stride over them; only the
	 * outermost may be open-ended. */
	stride[ndims - 1] = esize;
	for (int d = ndims - 2; d >= 0; d--) {
		if (!known[d + 1] || count[d + 1] == 0 || stride[d + 1] > UINT64_MAX / count[d + 1])
			return false;
		stride[d] = stride[d + 1] * count[d + 1];
	}

	char idx[ARRAY_MAX_DIMS * 24];
	size_t len = 0;
	Dwarf_Word rest = *off;
	for (int d = 0; d < ndims; d++) {
		Dwarf_Word i = rest / stride[d];

		if (known[d] && i >= count[d])
			return false;
		rest -= i * stride[d];
		len += (size_t)snprintf(idx + len, sizeof(idx) - len, "[%" PRIu64 "]", (uint64_t)i);
	}
	if (!name_append(nm, idx))
		return false;
	*off = rest;
	*type = elem;
	return true;
}

static bool member_offset(Dwarf_Die *member, Dwarf_Word *offset)
{
	Dwarf_Attribute attr;
	Dwarf_Op *ops;
	size_t nops;

	/* Union members usually carry no location: they are all at 0. */
	if (dwarf_attr(member, DW_AT_data_member_location, &attr) == NULL) {
		*offset = 0;
		return true;
	}
	if (dwarf_formudata(&attr, offset) == 0)
		return true;
	/* DWARF 2 style: an expression, in practice DW_OP_plus_uconst n. */
	if (dwarf_getlocation(&attr, &ops, &nops) == 0 && nops == 1 &&
	    ops[0].atom == DW_OP_plus_uconst) {
		*offset = ops[0].number;
		return true;
	}
	return false;
}

/* Members that hold an object at an offset: not static members
 * (declarations), bit-fields or compiler-made ones (vtable pointers). */
static bool is_data_member(Dwarf_Die *member)
{
	int tag = dwarf_tag(member);

	return (tag == DW_TAG_member || tag == DW_TAG_inheritance) &&
	       !dwarf_hasattr(member, DW_AT_declaration) &&
	       !dwarf_hasattr(member, DW_AT_external) && !dwarf_hasattr(member, DW_AT_bit_size) &&
	       !dwarf_hasattr(member, DW_AT_artificial);
}

/* Whether an address at offset 0 of this struct names its first member
 * rather than the struct: yes when the struct has several members (the
 * member is the more precise name: "ledger.mu", "accounts[0].balance") or
 * its one member is an array ("pool.locks[0]"); no for a wrapper of one
 * object, which is that object (std::mutex, musl's pthread_mutex_t). */
static bool descend_at_zero(Dwarf_Die *type)
{
	Dwarf_Die member, mtype;
	int n = 0;
	bool first_is_array = false;

	if (dwarf_child(type, &member) != 0)
		return false;
	do {
		if (!is_data_member(&member))
			continue;
		if (++n > 1)
			return true;
		first_is_array = die_type(&member, &mtype) &&
		                 dwarf_peel_type(&mtype, &mtype) == 0 &&
		                 dwarf_tag(&mtype) == DW_TAG_array_type;
	} while (dwarf_siblingof(&member, &member) == 0);
	return first_is_array;
}

/* One step into a struct, union or class: the first member that covers
 * off. Anonymous members and C++ base classes add no name component, as
 * in C where their members are reached directly. */
static bool step_member(Dwarf_Die *type, Dwarf_Word *off, struct name *nm)
{
	Dwarf_Die member, mtype;

	if (dwarf_child(type, &member) != 0)
		return false;
	do {
		int tag = dwarf_tag(&member);
		Dwarf_Word moff, msize;

		if (!is_data_member(&member))
			continue;
		if (!member_offset(&member, &moff) || moff > *off || !die_type(&member, &mtype) ||
		    dwarf_aggregate_size(&mtype, &msize) != 0 || *off - moff >= msize)
			continue;

		const char *mname = tag == DW_TAG_member ? dwarf_diename(&member) : NULL;
		if (mname != NULL) {
			char part[LG_SYMBOLIZE_NAME_MAX];

			snprintf(part, sizeof(part), ".%s", mname);
			if (!name_append(nm, part))
				return false;
		}
		*off -= moff;
		*type = mtype;
		return true;
	} while (dwarf_siblingof(&member, &member) == 0);
	return false;
}

/* Builds v's name for addr: the variable, then the members and elements
 * down to the innermost object that starts exactly at addr, or an offset
 * from the deepest one the type describes. At offset 0 arrays name their
 * element and structs their first member (see descend_at_zero), but a
 * union stops there: which member is meant is anyone's guess, and
 * glibc's pthread_mutex_t is one ("ledger_lock", not
 * "ledger_lock.__data.__lock"). */
static void name_var(const struct var *v, Dwarf_Addr addr, char *buf, size_t len)
{
	struct name nm = {.buf = buf, .len = 0, .cap = len};
	Dwarf_Die die = v->die, type;
	Dwarf_Word off = addr - v->addr;

	buf[0] = '\0';
	if (!name_append(&nm, dwarf_diename(&die))) {
		snprintf(buf, len, "%.*s", (int)(len - SUFFIX_ROOM), dwarf_diename(&die));
		nm.len = strlen(buf);
	}
	bool typed = die_type(&die, &type);
	for (int step = 0; typed && step < NAME_MAX_STEPS; step++) {
		if (dwarf_peel_type(&type, &type) != 0)
			break;
		int tag = dwarf_tag(&type);
		if (tag == DW_TAG_array_type) {
			if (!step_array(&type, &off, &nm))
				break;
		} else if (tag == DW_TAG_structure_type || tag == DW_TAG_class_type) {
			if (off == 0 && !descend_at_zero(&type))
				break;
			if (!step_member(&type, &off, &nm))
				break;
		} else if (tag == DW_TAG_union_type && off != 0) {
			if (!step_member(&type, &off, &nm))
				break;
		} else {
			break;
		}
	}
	if (off != 0)
		snprintf(buf + nm.len, len - nm.len, "+0x%" PRIx64, (uint64_t)off);
}

/* GCC names function-scope statics "name.N" in the symbol table; C has no
 * dots in identifiers, so a local symbol ending in ".digits" is that. */
static int c_name_length(const char *name, int bind)
{
	size_t n = strlen(name), i = n;

	while (i > 0 && name[i - 1] >= '0' && name[i - 1] <= '9')
		i--;
	if (bind == STB_LOCAL && i > 1 && i < n && name[i - 1] == '.')
		n = i - 1;
	return n > INT32_MAX ? INT32_MAX : (int)n;
}

/* The ELF symbol fallback: data objects only. TLS symbols are left out on
 * purpose: their values are offsets into each thread's block, so matching
 * them against module addresses would name the wrong thing. */
static bool elf_name(Dwfl_Module *mod, Dwarf_Addr addr, char *buf, size_t len)
{
	GElf_Off off;
	GElf_Sym s;
	const char *name = dwfl_module_addrinfo(mod, addr, &off, &s, NULL, NULL, NULL);

	if (name == NULL || name[0] == '\0')
		return false;
	if (GELF_ST_TYPE(s.st_info) != STT_OBJECT && GELF_ST_TYPE(s.st_info) != STT_COMMON)
		return false;
	if (s.st_size != 0 ? off >= s.st_size : off != 0)
		return false;
	int n = c_name_length(name, GELF_ST_BIND(s.st_info));
	if (off == 0)
		snprintf(buf, len, "%.*s", n, name);
	else
		snprintf(buf, len, "%.*s+0x%" PRIx64, n, name, (uint64_t)off);
	return true;
}

bool lg_symbolize_data_name(Dwfl_Module *mod, struct lg_symbolize_vars **vars, Dwarf_Addr addr,
                            char *buf, size_t len)
{
	if (len < SUFFIX_ROOM + 2)
		return false;
	if (*vars == NULL)
		*vars = vars_build(mod);
	const struct var *v = *vars != NULL ? vars_find(*vars, addr) : NULL;
	if (v != NULL) {
		name_var(v, addr, buf, len);
		return true;
	}
	/* Also when DWARF exists: objects built without -g have none. */
	return elf_name(mod, addr, buf, len);
}
