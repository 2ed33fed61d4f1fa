// 60 threads. 59 of them block in different ways (a condition variable, a
// pipe read, nanosleep, a barrier-then-join); one recurses on a 256 KiB
// pthread stack until it faults in the guard page glibc put below it.
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NTHREADS 60

static pthread_barrier_t ready;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;
static int fds[2];

__attribute__((noinline)) static void wait_cond(void) {
	pthread_mutex_lock(&mu);
	for (;;)
		pthread_cond_wait(&never, &mu);
}

__attribute__((noinline)) static void wait_pipe(void) {
	char c;
	for (;;)
		read(fds[0], &c, 1);
}

__attribute__((noinline)) static void wait_sleep(void) {
	struct timespec ts = {3600, 0};
	for (;;)
		nanosleep(&ts, NULL);
}

__attribute__((noinline)) static int recurse(int depth) {
	volatile char buf[512];
	memset((char *)buf, depth, sizeof buf);
	return recurse(depth + 1) + buf[depth % sizeof buf];
}

static void *worker(void *arg) {
	long i = (long)arg;
	pthread_barrier_wait(&ready);
	switch (i % 3) {
	case 0:
		wait_cond();
		break;
	case 1:
		wait_pipe();
		break;
	default:
		wait_sleep();
	}
	return NULL;
}

static void *overflower(void *arg) {
	(void)arg;
	pthread_barrier_wait(&ready);
	usleep(100000); // let every waiter block first
	return (void *)(long)recurse(0);
}

int main(void) {
	pthread_t t[NTHREADS];
	pthread_attr_t small;
	pipe(fds);
	pthread_barrier_init(&ready, NULL, NTHREADS);
	for (long i = 0; i < NTHREADS - 1; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	pthread_attr_init(&small);
	pthread_attr_setstacksize(&small, 256 * 1024);
	pthread_create(&t[NTHREADS - 1], &small, overflower, NULL);
	pthread_join(t[NTHREADS - 1], NULL);
	return 0;
}
