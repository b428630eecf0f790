/* The trace writer; see trace_write.h and trace_format.h.
 *
 * Records are assembled in one static buffer under the trace lock and
 * written with a single write(2) on an O_APPEND descriptor. The descriptor
 * lives at a high number, and its identity (device, inode) is checked before
 * each batch of records: a program that closes "all" descriptors, or reuses
 * the number for a file of its own, must never receive trace bytes. */
#define _GNU_SOURCE
#include "trace_write.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "edges.h"
#include "fork_locks.h"
#include "lock_table.h"
#include "modules.h"
#include "options.h"
#include "profile.h"
#include "stack_depot.h"
#include "thread.h"
#include "trace_format.h"
#include "waitfor.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the trace format is little-endian");

#define HIGH_FD 900

static struct lg_ilock trace_lock = LG_ILOCK_INIT;
static int trace_fd = -1;
static dev_t trace_dev;
static ino_t trace_ino;
static char trace_path[PATH_MAX];
static uint32_t epoch = 1;
static pid_t trace_pid; /* the process the open trace belongs to */
static bool failed;
/* A forked child opens its own trace only when it records something: the
 * usual fork-then-exec child never does, and leaves no empty file. */
static bool open_pending;

static bool open_file(void);
static void module_locked(struct lg_module *m);

static char buf[LG_TRACE_MAX_PAYLOAD + 64];
static size_t buf_len;

void lg_say(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	ssize_t ignored = write(STDERR_FILENO, line, (size_t)n);
	(void)ignored;
}

static uint64_t now_ns(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Record assembly: begin, put..., emit. Trace lock held. */
static void begin(uint16_t type)
{
	struct lg_rec_header h = {.type = type};
	memcpy(buf, &h, sizeof(h));
	buf_len = sizeof(h);
}

static void put(const void *p, size_t n)
{
	if (buf_len + n > sizeof(buf))
		n = sizeof(buf) - buf_len;
	memcpy(buf + buf_len, p, n);
	buf_len += n;
}

static void put_str(const char *s, size_t max)
{
	size_t n = strnlen(s, max);
	uint16_t len = (uint16_t)n;
	put(&len, sizeof(len));
	put(s, n);
}

static void emit(void)
{
	if (trace_fd < 0 || failed)
		return;
	struct lg_rec_header h;
	memcpy(&h, buf, sizeof(h));
	h.len = (uint32_t)(buf_len - sizeof(h));
	memcpy(buf, &h, sizeof(h));
	size_t off = 0;
	while (off < buf_len) {
		ssize_t n = write(trace_fd, buf + off, buf_len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			failed = true;
			lg_say("lockgraph: warning: cannot write trace '%s': %s; recording stopped",
			       trace_path, n < 0 ? strerror(errno) : "short write");
			return;
		}
		off += (size_t)n;
	}
}

/* Makes fd the trace descriptor, moved out of the range programs use for
 * their own files, and remembers which file it is. */
static void adopt_fd(int fd)
{
	trace_fd = fcntl(fd, F_DUPFD_CLOEXEC, HIGH_FD);
	if (trace_fd < 0)
		trace_fd = fd;
	else
		close(fd);
	struct stat st;
	if (fstat(trace_fd, &st) == 0) {
		trace_dev = st.st_dev;
		trace_ino = st.st_ino;
	}
}

/* Makes sure trace_fd is still our file; reopens it by path if the program
 * closed or replaced the descriptor. Trace lock held. */
static bool check_fd(void)
{
	if (open_pending) {
		open_pending = false;
		if (!open_file())
			return false;
		lg_modules_each(module_locked);
		return true;
	}
	if (trace_fd < 0 || failed)
		return false;
	struct stat st;
	if (fstat(trace_fd, &st) == 0 && st.st_dev == trace_dev && st.st_ino == trace_ino)
		return true;
	int fd = open(trace_path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		failed = true;
		lg_say("lockgraph: warning: lost trace '%s': %s; recording stopped", trace_path,
		       strerror(errno));
		return false;
	}
	adopt_fd(fd);
	return true;
}

static bool make_dirs(char *path)
{
	for (char *p = path + 1;; p++) {
		if (*p != '/' && *p != 0)
			continue;
		char c = *p;
		*p = 0;
		int rc = mkdir(path, 0700);
		*p = c;
		if (rc != 0 && errno != EEXIST)
			return false;
		if (!c)
			return true;
	}
}

static void read_cmdline(char *out, size_t size)
{
	out[0] = 0;
	int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n = read(fd, out, size - 1);
	close(fd);
	if (n <= 0)
		return;
	for (ssize_t i = 0; i < n; i++)
		if (out[i] == 0)
			out[i] = ' ';
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = 0;
}

static void write_process(void)
{
	char exe[PATH_MAX] = "";
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = 0;
	char host[256] = "";
	gethostname(host, sizeof(host) - 1);
	char cmdline[1024];
	read_cmdline(cmdline, sizeof(cmdline));
	struct lg_rec_process p = {
	        .version_major = LG_TRACE_VERSION_MAJOR,
	        .version_minor = LG_TRACE_VERSION_MINOR,
	        .pid = (uint32_t)getpid(),
	        .ppid = (uint32_t)getppid(),
	        .pointer_size = sizeof(void *),
	        .start_wall_ns = now_ns(CLOCK_REALTIME),
	        .start_mono_ns = now_ns(CLOCK_MONOTONIC),
	};
	memcpy(p.magic, LG_TRACE_MAGIC, sizeof(p.magic));
	begin(LG_REC_PROCESS);
	put(&p, sizeof(p));
	put_str(exe, sizeof(exe));
	put_str(host, sizeof(host));
	put_str(lg_opts.run, sizeof(lg_opts.run));
	put_str(cmdline, sizeof(cmdline));
	emit();
}

/* Creates the trace file; trace lock held (or single-threaded). */
static bool open_file(void)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", lg_opts.out);
	if (!make_dirs(dir)) {
		lg_say("lockgraph: warning: cannot create trace directory '%s': %s; recording "
		       "nothing",
		       lg_opts.out, strerror(errno));
		return false;
	}
	char exe[PATH_MAX] = "";
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = 0;
	const char *base = strrchr(exe, '/') ? strrchr(exe, '/') + 1 : "process";
	int fd = -1;
	for (int attempt = 0; attempt < 100 && fd < 0; attempt++) {
		/* pid alone is not unique across runs sharing a directory, nor
		 * after an exec into the same program: add a counter. */
		char unique[32] = "";
		if (attempt)
			snprintf(unique, sizeof(unique), ".%d", attempt);
		int len = snprintf(trace_path, sizeof(trace_path), "%s/%s.%d%s%s", lg_opts.out,
		                   base, (int)getpid(), unique, LG_TRACE_SUFFIX);
		if (len < 0 || (size_t)len >= sizeof(trace_path)) {
			errno = ENAMETOOLONG;
			break;
		}
		/* O_EXCL: never another process's file, nor a symbolic link
		 * planted in a shared directory; owner-only: traces hold paths
		 * and command lines. */
		fd = open(trace_path,
		          O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_APPEND | O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0) {
		lg_say("lockgraph: warning: cannot create trace file '%s': %s; recording nothing",
		       trace_path, strerror(errno));
		return false;
	}
	adopt_fd(fd);
	trace_pid = getpid();
	failed = false;
	write_process();
	for (int i = 0; i < lg_options_problem_count(); i++) {
		lg_say("lockgraph: warning: %s", lg_options_problem(i));
		struct lg_rec_warning w = {.code = LG_WARN_OPTION};
		begin(LG_REC_WARNING);
		put(&w, sizeof(w));
		put_str(lg_options_problem(i), 200);
		emit();
	}
	return true;
}

void lg_trace_init(void)
{
	lg_fork_register_lock(&trace_lock);
}

bool lg_trace_open(void)
{
	lg_ilock_lock(&trace_lock);
	bool ok = open_file();
	lg_ilock_unlock(&trace_lock);
	return ok;
}

const char *lg_trace_path(void)
{
	return trace_fd >= 0 ? trace_path : "";
}

static void module_locked(struct lg_module *m)
{
	if (m->written_epoch == epoch)
		return;
	m->written_epoch = epoch;
	struct lg_rec_module r = {
	        .bias = m->bias,
	        .lo = m->lo,
	        .hi = m->hi,
	        .build_id_len = m->build_id_len,
	        .flags = m->flags,
	};
	begin(LG_REC_MODULE);
	put(&r, sizeof(r));
	put(m->build_id, m->build_id_len);
	put_str(m->path, PATH_MAX);
	emit();
}

void lg_trace_write_module(struct lg_module *m)
{
	lg_ilock_lock(&trace_lock);
	if (check_fd())
		module_locked(m);
	lg_ilock_unlock(&trace_lock);
}

static void stack_locked(struct lg_stack *s)
{
	if (!s || s->written_epoch == epoch)
		return;
	s->written_epoch = epoch;
	struct lg_rec_stack r = {.id = s->id, .nframes = s->nframes, .flags = s->flags};
	begin(LG_REC_STACK);
	put(&r, sizeof(r));
	put(s->pcs, s->nframes * sizeof(uint64_t));
	emit();
}

static void thread_locked(struct lg_thread *t)
{
	if (t->written_epoch == epoch)
		return;
	t->written_epoch = epoch;
	stack_locked(t->create_stack);
	char name[17] = "";
	/* Another thread's record is written at process end (its profile). */
	pthread_getname_np(t == &lg_self ? pthread_self() : t->pthread, name, sizeof(name));
	struct lg_rec_thread r = {
	        .id = t->id,
	        .parent = t->parent,
	        .os_tid = (uint32_t)t->os_tid,
	        .create_stack = t->create_stack ? t->create_stack->id : 0,
	        .create_seq = t->create_seq,
	};
	begin(LG_REC_THREAD);
	put(&r, sizeof(r));
	put_str(name, sizeof(name));
	emit();
}

/* A mutex's type, for reports ("mutex (recursive)"). Read from the object:
 * a lock gets its record when it is held or just taken, so it is alive.
 * (glibc keeps the type in __kind; C11 mtx_t is a pthread mutex.) */
uint8_t lg_trace_lock_type(const struct lg_lock *l)
{
	if (l->kind != LG_LOCK_MUTEX && l->kind != LG_LOCK_MTX)
		return 0;
	int kind = ((const pthread_mutex_t *)l->node.key)->__data.__kind;
	uint8_t flags = (kind & 16) ? LG_LOCK_ROBUST : 0; /* PTHREAD_MUTEX_ROBUST_NORMAL_NP */
	switch (kind & 3) {                               /* PTHREAD_MUTEX_KIND_MASK_NP */
	case PTHREAD_MUTEX_RECURSIVE:
		return flags | LG_LOCK_RECURSIVE;
	case PTHREAD_MUTEX_ERRORCHECK:
		return flags | LG_LOCK_ERRORCHECK;
	case PTHREAD_MUTEX_ADAPTIVE_NP:
		return flags | LG_LOCK_ADAPTIVE;
	}
	return flags;
}

/* The LOCK record, if this trace has none for l; type: l's mutex type. */
static void lock_typed_locked(struct lg_lock *l, uint8_t type)
{
	if (l->written_epoch == epoch)
		return;
	l->written_epoch = epoch;
	uint32_t first = atomic_load(&l->first_stack);
	stack_locked(lg_stack_of_id(l->init_stack));
	stack_locked(lg_stack_of_id(first));
	struct lg_rec_lock r = {
	        .id = l->id,
	        .generation = l->generation,
	        .address = l->node.key,
	        .kind = l->kind,
	        .flags = l->flags | type,
	        .size = lg_lock_kind_size(l->kind),
	        .init_stack = l->init_stack,
	        .first_stack = first,
	        .first_thread = atomic_load(&l->first_thread),
	};
	begin(LG_REC_LOCK);
	put(&r, sizeof(r));
	emit();
}

/* The same for a lock that is alive (held or just taken). */
static void lock_locked(struct lg_lock *l)
{
	if (l->written_epoch != epoch)
		lock_typed_locked(l, lg_trace_lock_type(l));
}

/* Most held locks one ACQUIRE record can carry. */
#define MAX_HELD                                                                                   \
	((LG_TRACE_MAX_PAYLOAD - sizeof(struct lg_rec_acquire)) / sizeof(struct lg_rec_held))

static bool listed(uint32_t id, const uint32_t *only, uint32_t nonly)
{
	if (!only)
		return true;
	uint32_t lo = 0, hi = nonly;
	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;
		if (only[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < nonly && only[lo] == id;
}

/* A lock about to get its LOCK record may live in a library loaded since
 * the last module scan (a plugin's global): the module must come first, so
 * the reporter can name the lock. Not under the trace lock (the module scan
 * takes it); the unlocked look at written_epoch can only cause an extra check. */
static void cover_lock(const struct lg_lock *l)
{
	if (l->written_epoch != epoch) {
		uint64_t addr = l->node.key;
		lg_modules_cover(&addr, 1);
	}
}

void lg_trace_write_acquire(struct lg_thread *t, struct lg_lock *l, struct lg_stack *stack,
                            uint8_t mode, uint8_t flags, const struct lg_held *held, unsigned nheld,
                            const uint32_t *only, uint32_t nonly)
{
	cover_lock(l);
	for (unsigned i = 0; i < nheld; i++)
		cover_lock(held[i].lock);
	lg_ilock_lock(&trace_lock);
	if (!check_fd())
		goto out;
	if (nheld > MAX_HELD) {
		/* The innermost locks are the ones closest to this acquisition. */
		held += nheld - MAX_HELD;
		nheld = MAX_HELD;
	}
	thread_locked(t);
	lock_locked(l);
	stack_locked(stack);
	uint16_t count = 0;
	for (unsigned i = 0; i < nheld; i++) {
		if (!listed(held[i].lock->id, only, nonly))
			continue;
		lock_locked(held[i].lock);
		stack_locked(held[i].stack);
		count++;
	}
	struct lg_rec_acquire r = {
	        .thread = t->id,
	        .lock = l->id,
	        .stack = stack ? stack->id : 0,
	        .mode = mode,
	        .flags = flags,
	        .nheld = count,
	};
	begin(LG_REC_ACQUIRE);
	put(&r, sizeof(r));
	for (unsigned i = 0; i < nheld; i++) {
		if (!listed(held[i].lock->id, only, nonly))
			continue;
		struct lg_rec_held h = {
		        .lock = held[i].lock->id,
		        .stack = held[i].stack ? held[i].stack->id : 0,
		        .mode = held[i].mode,
		        .flags = held[i].flags,
		};
		put(&h, sizeof(h));
	}
	emit();
out:
	lg_ilock_unlock(&trace_lock);
}

void lg_trace_write_waiter(struct lg_thread *t, struct lg_wait_slot *s)
{
	lg_ilock_lock(&trace_lock);
	if (check_fd()) {
		thread_locked(t);
		lock_locked(atomic_load_explicit(&s->lock, memory_order_relaxed));
		stack_locked(s->wait_stack);
		for (uint32_t i = 0; i < s->nholding; i++) {
			lock_locked(s->holding[i].lock);
			stack_locked(s->holding[i].stack);
		}
	}
	lg_ilock_unlock(&trace_lock);
}

void lg_trace_write_deadlock(const struct lg_wait_view *v, uint32_t n, uint64_t formed_ns,
                             uint64_t detected_ns, uint8_t flags, uint8_t action)
{
	struct lg_rec_deadlock d = {
	        .formed_mono_ns = formed_ns,
	        .detected_mono_ns = detected_ns,
	        .wall_ns = now_ns(CLOCK_REALTIME),
	        .flags = flags,
	        .action = action,
	        .nthreads = (uint16_t)n,
	};
	lg_ilock_lock(&trace_lock);
	if (check_fd()) {
		begin(LG_REC_DEADLOCK);
		put(&d, sizeof(d));
		for (uint32_t i = 0; i < n; i++) {
			const struct lg_wait_view *s = &v[i];
			struct lg_rec_waiter w = {
			        .thread = s->thread,
			        .lock = s->lock->id,
			        .wait_stack = s->wait_stack ? s->wait_stack->id : 0,
			        .nholding = (uint16_t)s->nholding,
			        .mode = s->mode,
			        .flags = s->flags,
			};
			put(&w, sizeof(w));
			for (uint32_t k = 0; k < s->nholding; k++) {
				struct lg_rec_holding h = {
				        .lock = s->holding[k].lock->id,
				        .stack = s->holding[k].stack ? s->holding[k].stack->id : 0,
				        .mode = s->holding[k].mode,
				};
				put(&h, sizeof(h));
			}
		}
		emit();
	}
	lg_ilock_unlock(&trace_lock);
}

void lg_trace_write_long(uint16_t type, struct lg_thread *t, struct lg_lock *l,
                         struct lg_stack *stack, uint32_t other_thread,
                         struct lg_stack *other_stack, uint64_t duration_ns)
{
	struct lg_rec_long r = {
	        .thread = t->id,
	        .lock = l->id,
	        .stack = stack ? stack->id : 0,
	        .other_thread = other_thread,
	        .other_stack = other_stack ? other_stack->id : 0,
	        .duration_ns = duration_ns,
	        .wall_ns = now_ns(CLOCK_REALTIME),
	};
	lg_ilock_lock(&trace_lock);
	if (check_fd()) {
		thread_locked(t);
		lock_locked(l);
		stack_locked(stack);
		stack_locked(other_stack);
		begin(type);
		put(&r, sizeof(r));
		emit();
	}
	lg_ilock_unlock(&trace_lock);
}

void lg_trace_write_profile(struct lg_thread *t, struct lg_lock *l, uint8_t lock_type,
                            struct lg_stack *site_stack, const struct lg_profile_counts *c)
{
	struct lg_rec_profile r = {
	        .thread = t->id,
	        .lock = l->id,
	        .site_stack = site_stack ? site_stack->id : 0,
	        .acquisitions = c->acquisitions,
	        .contended = c->contended,
	        .wait_ns = c->wait_ns,
	        .wait_max_ns = c->wait_max_ns,
	        .hold_ns = c->hold_ns,
	        .hold_max_ns = c->hold_max_ns,
	};
	lg_ilock_lock(&trace_lock);
	if (check_fd()) {
		thread_locked(t);
		lock_typed_locked(l, lock_type);
		stack_locked(site_stack);
		begin(LG_REC_PROFILE);
		put(&r, sizeof(r));
		emit();
	}
	lg_ilock_unlock(&trace_lock);
}

void lg_trace_write_join(struct lg_thread *t, uint32_t joined, uint64_t seq)
{
	struct lg_rec_join r = {.joiner = t->id, .joined = joined, .seq = seq};
	lg_ilock_lock(&trace_lock);
	if (check_fd()) {
		thread_locked(t);
		begin(LG_REC_JOIN);
		put(&r, sizeof(r));
		emit();
	}
	lg_ilock_unlock(&trace_lock);
}

void lg_trace_write_thread_name(uint32_t id, const char *name)
{
	struct lg_rec_thread_name r = {.thread = id};
	lg_ilock_lock(&trace_lock);
	if (check_fd()) {
		begin(LG_REC_THREAD_NAME);
		put(&r, sizeof(r));
		put_str(name, 16);
		emit();
	}
	lg_ilock_unlock(&trace_lock);
}

void lg_trace_warn(uint32_t code, const char *fmt, ...)
{
	char msg[300];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	lg_ilock_lock(&trace_lock);
	if (check_fd()) {
		struct lg_rec_warning w = {.code = code};
		begin(LG_REC_WARNING);
		put(&w, sizeof(w));
		put_str(msg, sizeof(msg));
		emit();
	}
	lg_ilock_unlock(&trace_lock);
}

void lg_trace_end(uint32_t how, int status)
{
	if (open_pending || getpid() != trace_pid)
		return; /* a forked child that recorded nothing, or a vfork child */
	lg_profile_process_end();
	struct lg_rec_end r = {
	        .end_wall_ns = now_ns(CLOCK_REALTIME),
	        .end_mono_ns = now_ns(CLOCK_MONOTONIC),
	        .locks = lg_lock_table_count(),
	        .edges = lg_edges_count(),
	        .stacks = lg_stack_count(),
	        .how = how,
	        .status = status,
	};
	lg_ilock_lock(&trace_lock);
	if (check_fd()) {
		begin(LG_REC_END);
		put(&r, sizeof(r));
		emit();
		if (lg_opts.verbosity >= 1)
			lg_say("lockgraph: trace written to '%s'", trace_path);
	}
	lg_ilock_unlock(&trace_lock);
}

void lg_trace_fork_child(void)
{
	/* Called from the atfork child handler: only this thread exists and
	 * every internal lock was just reset. */
	if (trace_fd < 0 && !open_pending)
		return; /* the parent was not recording */
	if (trace_fd >= 0)
		close(trace_fd);
	trace_fd = -1;
	epoch++;
	open_pending = true;
}
