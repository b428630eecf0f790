/* Runs a command and reports its wall time, peak RSS and exit status, the
 * way the bench needs them: `measure TIMEOUT_MS RESULT_FILE -- PROG ARGS...`
 * writes "seconds rss_kib status" to RESULT_FILE, leaving the command's own
 * stdout and stderr alone. The peak RSS is the child's own (wait4):
 * measuring from python would count the interpreter's memory, inherited by
 * a child until it execs. A child still running after TIMEOUT_MS (0: no
 * limit) is killed and reported with status "timeout". */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc < 5 || strcmp(argv[3], "--") != 0) {
		fprintf(stderr, "usage: %s TIMEOUT_MS RESULT_FILE -- PROGRAM [ARGS...]\n", argv[0]);
		return 2;
	}
	long timeout_ms = atol(argv[1]);
	FILE *out = fopen(argv[2], "w");
	if (!out) {
		fprintf(stderr, "measure: cannot write '%s': %s\n", argv[2], strerror(errno));
		return 2;
	}

	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);

	double start = now();
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		return 2;
	}
	if (pid == 0) {
		sigprocmask(SIG_UNBLOCK, &chld, NULL);
		fclose(out);
		execvp(argv[4], argv + 4);
		fprintf(stderr, "measure: cannot run '%s': %s\n", argv[4], strerror(errno));
		_exit(127);
	}

	int timed_out = 0;
	if (timeout_ms > 0) {
		struct timespec limit = {timeout_ms / 1000, (timeout_ms % 1000) * 1000000};
		while (sigtimedwait(&chld, NULL, &limit) < 0) {
			if (errno == EAGAIN) {
				timed_out = 1;
				kill(pid, SIGKILL);
				break;
			}
		}
	}
	int status;
	struct rusage usage;
	while (wait4(pid, &status, 0, &usage) < 0)
		if (errno != EINTR) {
			perror("wait4");
			return 2;
		}
	double seconds = now() - start;
	if (timed_out)
		fprintf(out, "%.6f %ld timeout\n", seconds, usage.ru_maxrss);
	else if (WIFSIGNALED(status))
		fprintf(out, "%.6f %ld signal-%d\n", seconds, usage.ru_maxrss, WTERMSIG(status));
	else
		fprintf(out, "%.6f %ld %d\n", seconds, usage.ru_maxrss, WEXITSTATUS(status));
	fclose(out);
	return 0;
}
