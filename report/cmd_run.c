/* `lockgraph run [options] -- PROGRAM [ARGS]`: runs PROGRAM (and everything
 * it starts) with liblockgraph.so preloaded, then reports on the traces of
 * that run. The program's own output, input and exit status pass through
 * untouched; the report goes to stderr (or --output) so a pipeline reading
 * the program's stdout is not disturbed. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "error.h"
#include "options.h"
#include "pipeline.h"
#include "program_check.h"
#include "report_options.h"
#include "trace_format.h"
#include "trace_paths.h"

#ifndef LG_LIBDIR
#define LG_LIBDIR "/usr/local/lib"
#endif

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: lockgraph run [options] [--] PROGRAM [ARGS...]\n"
	        "\n"
	        "Runs PROGRAM with lockgraph preloaded (every process it starts too), then\n"
	        "reports lock-order problems on stderr. The program's output, input and\n"
	        "exit status are unchanged.\n"
	        "\n"
	        "options:\n"
	        "  --out DIR            keep the traces in DIR (default: a temporary\n"
	        "                       directory, removed after the report)\n"
	        "  --profile            also measure every lock's waits and holds, and report\n"
	        "                       the locks that made the program wait (\"Contended\n"
	        "                       locks\"); the same as LOCKGRAPH_OPTIONS=profile=1\n"
	        "%s"
	        "  -h, --help           show this help\n"
	        "\n"
	        "exit status: the program's own when nothing is found (128+N if it was\n"
	        "killed by signal N); 66 (--exitcode) when a deadlock is found; 2 bad\n"
	        "usage; 125 lockgraph could not start; 126 PROGRAM is not executable;\n"
	        "127 PROGRAM was not found\n",
	        lg_report_options_help);
}

static bool usable_library(const char *path)
{
	return access(path, R_OK) == 0;
}

/* liblockgraph.so: $LOCKGRAPH_PRELOAD, else next to this binary in a build
 * tree (report/lockgraph beside preload/liblockgraph.so), else installed. */
static int find_preload(char *out, size_t size)
{
	const char *env = getenv("LOCKGRAPH_PRELOAD");
	if (env && *env) {
		if (!usable_library(env))
			return lg_error("cannot read LOCKGRAPH_PRELOAD '%s': %s", env,
			                strerror(errno));
		return realpath(env, out) ? 0 : lg_error("cannot resolve '%s'", env);
	}
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = 0;
		char *slash = strrchr(self, '/');
		*slash = 0;
		const char *rel[] = {"../preload/liblockgraph.so", "liblockgraph.so",
		                     "../lib/liblockgraph.so"};
		for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
			char candidate[PATH_MAX * 2];
			snprintf(candidate, sizeof(candidate), "%s/%s", self, rel[i]);
			if (usable_library(candidate) && realpath(candidate, out))
				return 0;
		}
	}
	snprintf(out, size, "%s/liblockgraph.so", LG_LIBDIR);
	if (usable_library(out))
		return 0;
	return lg_error("cannot find liblockgraph.so (looked next to the lockgraph binary and in "
	                "'%s'; set LOCKGRAPH_PRELOAD to its path)",
	                LG_LIBDIR);
}

static int make_dirs(const char *dir)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path))
		return lg_error("trace directory name '%s' is too long", dir);
	for (char *p = path + 1;; p++) {
		if (*p != '/' && *p != 0)
			continue;
		char c = *p;
		*p = 0;
		if (mkdir(path, 0700) != 0 && errno != EEXIST)
			return lg_error("cannot create trace directory '%s': %s", path,
			                strerror(errno));
		*p = c;
		if (!c)
			break;
	}
	if (access(dir, W_OK | X_OK) != 0)
		return lg_error("cannot write to trace directory '%s': %s", dir, strerror(errno));
	return 0;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

static void make_run_id(char *out, size_t size)
{
	unsigned char bytes[8];
	if (getrandom(bytes, sizeof(bytes), GRND_NONBLOCK) != (ssize_t)sizeof(bytes)) {
		unsigned long long x =
		        (unsigned long long)time(NULL) ^ ((unsigned long long)getpid() << 32);
		memcpy(bytes, &x, sizeof(bytes));
	}
	for (size_t i = 0; i < sizeof(bytes) && 2 * i + 2 < size; i++)
		snprintf(out + 2 * i, 3, "%02x", bytes[i]);
}

/* Environment of the program: liblockgraph first in LD_PRELOAD, and our
 * options after the user's (later entries win). */
static int set_child_env(const char *lib, const char *dir, const char *run_id, bool profile)
{
	const char *old = getenv("LD_PRELOAD");
	char *preload;
	if (asprintf(&preload, "%s%s%s", lib, old && *old ? ":" : "", old ? old : "") < 0)
		return -1;
	const char *opts = getenv("LOCKGRAPH_OPTIONS");
	char *options;
	if (asprintf(&options, "%s%sout=%s:run=%s%s", opts ? opts : "", opts && *opts ? ":" : "",
	             dir, run_id, profile ? ":profile=1" : "") < 0)
		return -1;
	int rc = setenv("LD_PRELOAD", preload, 1) | setenv("LOCKGRAPH_OPTIONS", options, 1);
	free(preload);
	free(options);
	return rc;
}

static volatile sig_atomic_t child_pid;

static void forward_signal(int sig)
{
	if (child_pid > 0)
		kill((pid_t)child_pid, sig);
}

/* Runs the program; returns its exit status (128+N for signal N), or a
 * lockgraph status after printing why it could not run (*ran false). */
static int run_program(char **argv, const char *lib, const char *dir, const char *run_id,
                       bool profile, bool *ran)
{
	*ran = false;
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) != 0) {
		lg_error("cannot create a pipe: %s", strerror(errno));
		return LG_EXIT_INTERNAL;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		lg_error("cannot fork: %s", strerror(errno));
		return LG_EXIT_INTERNAL;
	}
	if (pid == 0) {
		close(pipefd[0]);
		if (set_child_env(lib, dir, run_id, profile) == 0)
			execvp(argv[0], argv);
		int err = errno;
		ssize_t ignored = write(pipefd[1], &err, sizeof(err));
		(void)ignored;
		_exit(LG_EXIT_NOTFOUND);
	}
	close(pipefd[1]);
	child_pid = pid;
	/* Like system(): a Ctrl-C reaches the program (same process group),
	 * and lockgraph stays to report what was recorded. Termination
	 * requests sent to lockgraph are passed on. */
	struct sigaction ignore = {.sa_handler = SIG_IGN}, fwd = {.sa_handler = forward_signal},
	                 old_int, old_quit, old_term, old_hup;
	sigaction(SIGINT, &ignore, &old_int);
	sigaction(SIGQUIT, &ignore, &old_quit);
	sigaction(SIGTERM, &fwd, &old_term);
	sigaction(SIGHUP, &fwd, &old_hup);
	int err = 0;
	ssize_t n;
	while ((n = read(pipefd[0], &err, sizeof(err))) < 0 && errno == EINTR)
		;
	close(pipefd[0]);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	if (n == (ssize_t)sizeof(err)) {
		lg_error("cannot run '%s': %s", argv[0], strerror(err));
		return err == ENOENT ? LG_EXIT_NOTFOUND : LG_EXIT_NOEXEC;
	}
	*ran = true;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/* lockgraph run, with o initialized; o is freed by the caller. */
static int run_with(struct lg_report_options *o, int argc, char **argv)
{
	const char *out_dir = NULL;
	bool profile = false;
	const struct lg_command_option own[] = {
	        {"out", &out_dir, NULL}, {"profile", NULL, &profile}, {NULL, NULL, NULL}};
	int first = lg_report_options_parse(o, argc, argv, own, true, usage);
	if (first < 0)
		return first == -1 ? 0 : LG_EXIT_USAGE;
	if (first == argc) {
		lg_error("no program given (usage: lockgraph run [options] -- PROGRAM [ARGS...])");
		return LG_EXIT_USAGE;
	}
	const char *why = lg_program_unpreloadable(argv[first]);
	if (why) {
		lg_error("cannot run '%s' under lockgraph: %s", argv[first], why);
		return LG_EXIT_INTERNAL;
	}
	char lib[PATH_MAX];
	if (find_preload(lib, sizeof(lib)) != 0)
		return LG_EXIT_INTERNAL;

	char dir[PATH_MAX];
	bool temporary = !out_dir;
	if (out_dir) {
		if (strpbrk(out_dir, LG_OPTIONS_SEPARATORS)) {
			lg_error("trace directory '%s' must not contain ':' or ','", out_dir);
			return LG_EXIT_USAGE;
		}
		if (make_dirs(out_dir) != 0)
			return LG_EXIT_USAGE;
		if (!realpath(out_dir, dir)) {
			lg_error("cannot resolve '%s': %s", out_dir, strerror(errno));
			return LG_EXIT_USAGE;
		}
		/* The whole path goes into LOCKGRAPH_OPTIONS. */
		if (strpbrk(dir, LG_OPTIONS_SEPARATORS)) {
			lg_error("trace directory '%s' must not contain ':' or ','", dir);
			return LG_EXIT_USAGE;
		}
	} else {
		const char *tmp = getenv("TMPDIR");
		if (!tmp || !*tmp)
			tmp = "/tmp";
		snprintf(dir, sizeof(dir), "%s/lockgraph-XXXXXX", tmp);
		bool separator = strpbrk(tmp, LG_OPTIONS_SEPARATORS) != NULL;
		if (separator || !mkdtemp(dir)) {
			lg_error("cannot create a temporary directory in '%s': %s", tmp,
			         separator ? "name contains ':' or ','" : strerror(errno));
			return LG_EXIT_INTERNAL;
		}
	}
	char run_id[24] = "";
	make_run_id(run_id, sizeof(run_id));
	o->run_id = run_id;

	bool ran;
	int status = run_program(argv + first, lib, dir, run_id, profile, &ran);
	struct lg_pipeline_result r = {0};
	if (ran) {
		struct lg_path_list paths = {0};
		lg_trace_paths_add(&paths, dir);
		lg_pipeline_run(o, paths.paths, paths.n, &r);
		lg_trace_paths_free(&paths);
		if (r.traces == 0)
			lg_warn("'%s' wrote no lockgraph trace: lockgraph only sees dynamically "
			        "linked programs that are not setuid",
			        argv[first]);
	}
	if (temporary)
		nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	if (lg_pipeline_failed(o, &r))
		return o->exitcode;
	return status;
}

int lg_cmd_run(int argc, char **argv)
{
	struct lg_report_options o;
	if (lg_report_options_init(&o, stderr) != 0)
		return LG_EXIT_USAGE;
	int status = run_with(&o, argc, argv);
	lg_report_options_free(&o);
	return status;
}
