/* binary_output: the end-to-end tests' byte-for-byte probe.
 *
 * Two threads take turns writing 1 MiB of binary data to stdout (NUL bytes,
 * bytes that are not UTF-8, no final newline) through stdio and through
 * write(2), and 64 KiB of it to stderr, each chunk under out_lock and
 * stats_lock; then the program exits with the status given as its first
 * argument. The tests compare its stdout, stderr and status with and without
 * lockgraph: they must be identical, byte for byte.
 *
 * Verdict: CLEAN: both writers take out_lock, then stats_lock.
 *
 * --abba: the second writer takes stats_lock, then out_lock. Verdict: BUGGY,
 * one potential deadlock between out_lock and stats_lock; the output is the
 * same.
 *
 * Usage: binary_output STATUS [--abba]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STDOUT_BYTES (1 << 20)
#define STDERR_BYTES (64 << 10)
#define NWRITERS     2

static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;   /* protects the streams */
static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER; /* protects the counts */

static size_t out_done, err_done;
static int chunks;
static bool abba;

static sem_t turn[NWRITERS]; /* the writers take turns: the output is in order */

/* Starts with the awkward bytes, then a fixed pseudo-random sequence. */
static uint8_t stream_byte(size_t i)
{
	static const uint8_t head[] = {0x00, 0xff, 0xfe, 0xc3, 0x28, 0xe2, 0x82, 0x00,
	                               0x0a, 0x0d, 0x80, 0xbf, 0xf8, 0x88, 0x1b, 0x00};
	if (i < sizeof(head))
		return head[i];
	uint64_t x = i * 0x9e3779b97f4a7c15ull;
	x ^= x >> 29;
	x *= 0xbf58476d1ce4e5b9ull;
	return (uint8_t)(x >> 32);
}

static void write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			exit(70);
		p += w;
		n -= (size_t)w;
	}
}

/* One chunk: odd sizes, through stdio or straight to the descriptor. */
static void write_chunk(int writer)
{
	uint8_t buf[8191];
	size_t size = (size_t)(1000 + 977 * chunks % 7000);

	if (size > STDOUT_BYTES - out_done)
		size = STDOUT_BYTES - out_done;
	for (size_t i = 0; i < size; i++)
		buf[i] = stream_byte(out_done + i);
	if (writer == 0) {
		fwrite(buf, 1, size, stdout);
	} else {
		fflush(stdout);
		write_all(STDOUT_FILENO, buf, size);
	}
	out_done += size;
	if (err_done < STDERR_BYTES) {
		size_t n = size / 16;
		if (n > STDERR_BYTES - err_done)
			n = STDERR_BYTES - err_done;
		fwrite(buf, 1, n, stderr);
		err_done += n;
	}
	chunks++;
}

/* The functions that take locks stay out of line so that stack traces (and
 * the tests that read them) name them at -O2. */

static __attribute__((noinline)) void emit_in_order(int writer)
{
	pthread_mutex_lock(&out_lock);   /* lg:emit-out */
	pthread_mutex_lock(&stats_lock); /* lg:emit-stats */
	write_chunk(writer);
	pthread_mutex_unlock(&stats_lock);
	pthread_mutex_unlock(&out_lock);
}

/* --abba: counts first, then the streams. */
static __attribute__((noinline)) void emit_reversed(int writer)
{
	pthread_mutex_lock(&stats_lock); /* lg:reversed-stats */
	pthread_mutex_lock(&out_lock);   /* lg:reversed-out */
	write_chunk(writer);
	pthread_mutex_unlock(&out_lock);
	pthread_mutex_unlock(&stats_lock);
}

static void *writer_main(void *arg)
{
	static const char *const names[NWRITERS] = {"writer-1", "writer-2"};
	int self = (int)(intptr_t)arg;

	pthread_setname_np(pthread_self(), names[self]);
	for (;;) {
		sem_wait(&turn[self]);
		bool done = out_done >= STDOUT_BYTES;
		if (!done) {
			if (abba && self == 1)
				emit_reversed(self);
			else
				emit_in_order(self);
		}
		sem_post(&turn[(self + 1) % NWRITERS]);
		if (done)
			return NULL;
	}
}

int main(int argc, char **argv)
{
	pthread_t tid[NWRITERS];
	char *end;

	if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "--abba") != 0)) {
		fprintf(stderr, "usage: binary_output STATUS [--abba]\n");
		return 2;
	}
	long status = strtol(argv[1], &end, 10);
	if (end == argv[1] || *end != '\0' || status < 0 || status > 255) {
		fprintf(stderr, "binary_output: bad status '%s' (want 0-255)\n", argv[1]);
		return 2;
	}
	abba = argc == 3;

	for (int i = 0; i < NWRITERS; i++)
		sem_init(&turn[i], 0, 0);
	for (int i = 0; i < NWRITERS; i++) {
		int err = pthread_create(&tid[i], NULL, writer_main, (void *)(intptr_t)i);
		if (err != 0) {
			fprintf(stderr, "binary_output: pthread_create: %s\n", strerror(err));
			return 1;
		}
	}
	sem_post(&turn[0]);
	for (int i = 0; i < NWRITERS; i++)
		pthread_join(tid[i], NULL);
	fprintf(stderr, "\nbinary_output: %d chunks, exiting with status %ld\n", chunks, status);
	return (int)status;
}
