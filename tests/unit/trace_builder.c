/* See trace_builder.h. */
#include "trace_builder.h"

#include <stdlib.h>
#include <string.h>

#include "trace_format.h"

void tb_raw(struct tb *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		b->data = realloc(b->data, b->cap);
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

void tb_record(struct tb *b, uint16_t type, const void *payload, size_t n)
{
	struct lg_rec_header h = {.type = type, .len = (uint32_t)n};
	tb_raw(b, &h, sizeof(h));
	tb_raw(b, payload, n);
}

static void put_str(uint8_t *buf, size_t *len, const char *s)
{
	uint16_t n = (uint16_t)strlen(s);
	memcpy(buf + *len, &n, 2);
	memcpy(buf + *len + 2, s, n);
	*len += 2 + n;
}

void tb_process(struct tb *b, uint32_t pid, const char *exe)
{
	uint8_t buf[1024];
	struct lg_rec_process p = {
	        .version_major = LG_TRACE_VERSION_MAJOR,
	        .version_minor = LG_TRACE_VERSION_MINOR,
	        .pid = pid,
	        .ppid = 1,
	        .pointer_size = 8,
	};
	memcpy(p.magic, LG_TRACE_MAGIC, 8);
	size_t len = sizeof(p);
	memcpy(buf, &p, sizeof(p));
	put_str(buf, &len, exe);
	put_str(buf, &len, "testhost");
	put_str(buf, &len, "");
	put_str(buf, &len, exe);
	tb_record(b, LG_REC_PROCESS, buf, len);
}

void tb_stack(struct tb *b, uint32_t id, uint64_t pc)
{
	uint8_t buf[sizeof(struct lg_rec_stack) + 8];
	struct lg_rec_stack s = {.id = id, .nframes = 1};
	memcpy(buf, &s, sizeof(s));
	memcpy(buf + sizeof(s), &pc, 8);
	tb_record(b, LG_REC_STACK, buf, sizeof(buf));
}

void tb_thread(struct tb *b, uint32_t id, uint32_t parent, const char *name)
{
	tb_thread_at(b, id, parent, parent ? id : 0, name);
}

void tb_join(struct tb *b, uint32_t joiner, uint32_t joined, uint64_t seq)
{
	struct lg_rec_join j = {.joiner = joiner, .joined = joined, .seq = seq};
	tb_record(b, LG_REC_JOIN, &j, sizeof(j));
}

void tb_thread_at(struct tb *b, uint32_t id, uint32_t parent, uint64_t create_seq, const char *name)
{
	uint8_t buf[64];
	struct lg_rec_thread t = {
	        .id = id,
	        .parent = parent,
	        .os_tid = 1000 + id,
	        .create_seq = create_seq,
	};
	size_t len = sizeof(t);
	memcpy(buf, &t, sizeof(t));
	put_str(buf, &len, name);
	tb_record(b, LG_REC_THREAD, buf, len);
}

void tb_lock(struct tb *b, uint32_t id, uint64_t address)
{
	struct lg_rec_lock l = {
	        .id = id,
	        .address = address,
	        .kind = LG_LOCK_MUTEX,
	        .size = 40,
	        .first_stack = 1,
	};
	tb_record(b, LG_REC_LOCK, &l, sizeof(l));
}

void tb_lock_init(struct tb *b, uint32_t id, uint64_t address, uint32_t init_stack)
{
	struct lg_rec_lock l = {
	        .id = id,
	        .address = address,
	        .kind = LG_LOCK_MUTEX,
	        .flags = LG_LOCK_INITIALIZED,
	        .size = 40,
	        .init_stack = init_stack,
	        .first_stack = 1,
	};
	tb_record(b, LG_REC_LOCK, &l, sizeof(l));
}

void tb_acquire_nested(struct tb *b, uint32_t thread, uint32_t outer, uint32_t outer_stack,
                       uint32_t inner, uint32_t inner_stack)
{
	struct {
		struct lg_rec_acquire a;
		struct lg_rec_held h;
	} __attribute__((packed)) r = {
	        .a = {.thread = thread,
	              .lock = inner,
	              .stack = inner_stack,
	              .mode = LG_MODE_EXCLUSIVE,
	              .nheld = 1},
	        .h = {.lock = outer, .stack = outer_stack, .mode = LG_MODE_EXCLUSIVE},
	};
	tb_record(b, LG_REC_ACQUIRE, &r, sizeof(r));
}

void tb_acquire(struct tb *b, uint32_t thread, uint32_t lock, uint8_t flags, const uint32_t *held,
                unsigned nheld)
{
	tb_acquire_modes(b, thread, lock, LG_MODE_EXCLUSIVE, flags, held, NULL, nheld);
}

void tb_acquire_modes(struct tb *b, uint32_t thread, uint32_t lock, uint8_t mode, uint8_t flags,
                      const uint32_t *held, const uint8_t *held_modes, unsigned nheld)
{
	static uint8_t buf[sizeof(struct lg_rec_acquire) + 4096 * sizeof(struct lg_rec_held)];
	struct lg_rec_acquire a = {
	        .thread = thread,
	        .lock = lock,
	        .stack = 1,
	        .mode = mode,
	        .flags = flags,
	        .nheld = (uint16_t)nheld,
	};
	memcpy(buf, &a, sizeof(a));
	for (unsigned i = 0; i < nheld; i++) {
		struct lg_rec_held h = {
		        .lock = held[i],
		        .stack = 1,
		        .mode = held_modes ? held_modes[i] : LG_MODE_EXCLUSIVE,
		};
		memcpy(buf + sizeof(a) + i * sizeof(h), &h, sizeof(h));
	}
	tb_record(b, LG_REC_ACQUIRE, buf, sizeof(a) + nheld * sizeof(struct lg_rec_held));
}

void tb_deadlock(struct tb *b, const uint32_t *threads, const uint32_t *locks, unsigned n,
                 uint8_t flags)
{
	uint8_t buf[4096];
	struct lg_rec_deadlock d = {
	        .formed_mono_ns = 1000,
	        .detected_mono_ns = 3000000,
	        .wall_ns = 1700000000000000000ull,
	        .flags = flags,
	        .nthreads = (uint16_t)n,
	};
	size_t len = sizeof(d);
	memcpy(buf, &d, sizeof(d));
	for (unsigned i = 0; i < n; i++) {
		struct lg_rec_waiter w = {
		        .thread = threads[i],
		        .lock = locks[i],
		        .wait_stack = 1,
		        .nholding = 1,
		        .mode = LG_MODE_EXCLUSIVE,
		};
		struct lg_rec_holding h = {.lock = locks[(i + n - 1) % n], .stack = 1};
		memcpy(buf + len, &w, sizeof(w));
		len += sizeof(w);
		memcpy(buf + len, &h, sizeof(h));
		len += sizeof(h);
	}
	tb_record(b, LG_REC_DEADLOCK, buf, len);
}

void tb_end(struct tb *b)
{
	struct lg_rec_end e = {0};
	tb_record(b, LG_REC_END, &e, sizeof(e));
}

void tb_free(struct tb *b)
{
	free(b->data);
	*b = (struct tb){0};
}

void tb_standard(struct tb *b, unsigned nthreads, unsigned nlocks)
{
	tb_process(b, 4242, "/usr/bin/test-program");
	tb_stack(b, 1, 0x401000);
	for (unsigned i = 1; i <= nthreads; i++)
		tb_thread(b, i, i == 1 ? 0 : 1, "");
	for (unsigned i = 1; i <= nlocks; i++)
		tb_lock(b, i, 0x7f0000001000 + i * 64);
}
