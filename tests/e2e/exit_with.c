/* exit_with: the end-to-end tests' pass-through probe.
 *
 * Takes a lock, then a nested pair in one order (so the detector has locks
 * and an edge to record, but no cycle), writes one known line to stdout and
 * one to stderr, and exits with the status given as its only argument. The
 * tests compare its output and status with and without lockgraph.
 *
 * Verdict: CLEAN.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static pthread_mutex_t outer_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t inner_lock = PTHREAD_MUTEX_INITIALIZER;
static int touched;

int main(int argc, char **argv)
{
	char *end;
	long status;

	if (argc != 2) {
		fprintf(stderr, "usage: exit_with STATUS\n");
		return 2;
	}
	errno = 0;
	status = strtol(argv[1], &end, 10);
	if (errno != 0 || end == argv[1] || *end != '\0' || status < 0 || status > 255) {
		fprintf(stderr, "exit_with: bad status '%s' (want 0-255)\n", argv[1]);
		return 2;
	}

	pthread_mutex_lock(&outer_lock); /* lg:outer */
	touched++;
	pthread_mutex_unlock(&outer_lock);

	pthread_mutex_lock(&outer_lock); /* lg:outer-nested */
	pthread_mutex_lock(&inner_lock); /* lg:inner */
	touched++;
	pthread_mutex_unlock(&inner_lock);
	pthread_mutex_unlock(&outer_lock);

	printf("hello from exit_with\n");
	fprintf(stderr, "exit_with: exiting with status %ld after %d critical sections\n", status,
	        touched);
	return (int)status;
}
