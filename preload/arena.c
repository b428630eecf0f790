/* Bump allocator over 1 MiB mmap chunks; see arena.h. Owns nothing but
 * memory; must never call malloc or an interposed function. */
#include "arena.h"

#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>

#include "fork_locks.h"
#include "ilock.h"

#define CHUNK_SIZE (1u << 20)
/* Hard cap so a runaway program can not make lockgraph eat the machine. */
#define ARENA_CAP ((size_t)4 << 30)

static struct lg_ilock arena_lock = LG_ILOCK_INIT;
static char *chunk_pos, *chunk_end;
static _Atomic size_t arena_used;

static void *map_zeroed(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

void *lg_arena_reserve(size_t size)
{
	if (atomic_load(&arena_used) + size > ARENA_CAP)
		return NULL;
	void *p = map_zeroed(size);
	if (p)
		atomic_fetch_add(&arena_used, size);
	return p;
}

void *lg_arena_alloc(size_t size)
{
	size = (size + 7) & ~(size_t)7; /* no record needs more alignment */
	if (size > CHUNK_SIZE / 4)
		return lg_arena_reserve(size);
	void *p = NULL;
	lg_ilock_lock(&arena_lock);
	if ((size_t)(chunk_end - chunk_pos) < size) {
		char *chunk = atomic_load(&arena_used) + CHUNK_SIZE > ARENA_CAP
		                      ? NULL
		                      : map_zeroed(CHUNK_SIZE);
		if (chunk) {
			chunk_pos = chunk;
			chunk_end = chunk + CHUNK_SIZE;
			atomic_fetch_add(&arena_used, CHUNK_SIZE);
		}
	}
	if ((size_t)(chunk_end - chunk_pos) >= size) {
		p = chunk_pos;
		chunk_pos += size;
	}
	lg_ilock_unlock(&arena_lock);
	return p;
}

size_t lg_arena_used(void)
{
	return atomic_load(&arena_used);
}

void lg_arena_init(void)
{
	lg_fork_register_lock(&arena_lock);
}
