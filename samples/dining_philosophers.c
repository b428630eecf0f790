/* dining_philosophers: five philosophers around a table, a fork between each
 * pair of neighbours; eating takes both neighbouring forks.
 *
 * Verdict: BUGGY. One potential deadlock: a cycle of five locks,
 * forks[0] -> forks[1] -> forks[2] -> forks[3] -> forks[4] -> forks[0].
 *
 * Philosopher i ("philosopher-i") picks up forks[i], then forks[(i+1)%5].
 * If all five picked up their first fork at the same moment, each would wait
 * forever for its neighbour's. Here they eat in turn (semaphores), so the
 * program always finishes, but every link of the cycle is taken by a
 * different thread, and all five threads are alive at the same time.
 *
 * --fixed: each philosopher picks up the lower-numbered of its two forks
 * first (philosopher-4 takes forks[0] before forks[4]). One global order:
 * verdict CLEAN.
 *
 * Output (both variants):
 *   philosopher-0 ate 3 meals
 *   ...
 *   philosopher-4 ate 3 meals
 *   spaghetti left: 85
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define NPHILOSOPHERS 5
#define MEALS         3

/* Statically initialized: each fork is a lock of its own. */
static pthread_mutex_t forks[NPHILOSOPHERS] = {[0 ... NPHILOSOPHERS - 1] =
                                                       PTHREAD_MUTEX_INITIALIZER};

struct philosopher {
	int index;
	char name[16];
	int meals; /* written by its own thread only */
};

static struct philosopher philosophers[NPHILOSOPHERS];
static pthread_mutex_t bowl_lock = PTHREAD_MUTEX_INITIALIZER; /* protects spaghetti */
static long spaghetti = 100;
static bool fixed;
static sem_t turn[NPHILOSOPHERS];  /* they eat in turn: no real deadlock */
static pthread_barrier_t all_done; /* nobody leaves before everyone is done */

/* Stays out of line so that stack traces (and the tests that read them) name
 * it at -O2. */
static __attribute__((noinline)) void eat(struct philosopher *p)
{
	int left = p->index;
	int right = (p->index + 1) % NPHILOSOPHERS;
	int first = left;
	int second = right;

	if (fixed && right < left) {
		first = right;
		second = left;
	}
	pthread_mutex_lock(&forks[first]);  /* lg:first-fork */
	pthread_mutex_lock(&forks[second]); /* lg:second-fork */
	p->meals++;
	pthread_mutex_unlock(&forks[second]);
	pthread_mutex_unlock(&forks[first]);

	/* Serving happens after the forks are back on the table: the bowl
	 * lock is never held together with a fork. */
	pthread_mutex_lock(&bowl_lock); /* lg:bowl */
	spaghetti--;
	pthread_mutex_unlock(&bowl_lock);
}

static void *philosopher_main(void *arg)
{
	struct philosopher *p = arg;

	pthread_setname_np(pthread_self(), p->name);
	for (int meal = 0; meal < MEALS; meal++) {
		sem_wait(&turn[p->index]);
		eat(p);
		sem_post(&turn[(p->index + 1) % NPHILOSOPHERS]);
	}
	pthread_barrier_wait(&all_done);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t tid[NPHILOSOPHERS];

	if (argc > 2 || (argc == 2 && strcmp(argv[1], "--fixed") != 0)) {
		fprintf(stderr, "usage: %s [--fixed]\n", argv[0]);
		return 2;
	}
	fixed = argc == 2;

	for (int i = 0; i < NPHILOSOPHERS; i++)
		sem_init(&turn[i], 0, 0);
	pthread_barrier_init(&all_done, NULL, NPHILOSOPHERS);

	/* Seat everyone before the first one eats, so they overlap. */
	for (int i = 0; i < NPHILOSOPHERS; i++) {
		struct philosopher *p = &philosophers[i];

		p->index = i;
		snprintf(p->name, sizeof(p->name), "philosopher-%d", i);
		int err = pthread_create(&tid[i], NULL, philosopher_main, p); /* lg:create */
		if (err != 0) {
			fprintf(stderr, "dining_philosophers: pthread_create: %s\n", strerror(err));
			return 1;
		}
	}
	sem_post(&turn[0]);
	for (int i = 0; i < NPHILOSOPHERS; i++)
		pthread_join(tid[i], NULL);

	for (int i = 0; i < NPHILOSOPHERS; i++)
		printf("%s ate %d meals\n", philosophers[i].name, philosophers[i].meals);
	printf("spaghetti left: %ld\n", spaghetti);

	pthread_barrier_destroy(&all_done);
	for (int i = 0; i < NPHILOSOPHERS; i++)
		sem_destroy(&turn[i]);
	return 0;
}
