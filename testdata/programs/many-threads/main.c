// many-threads: 300 threads parked in condition-variable waits (three kinds
// of worker, so the report has three groups of identical stacks), then one
// more thread dereferences NULL. Tests build it with gcc and let it dump
// core, to check that a report of a process this size fits a bug tracker.
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define WORKERS 300

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;
static pthread_cond_t started_cv = PTHREAD_COND_INITIALIZER;
static int started;

static void park(void) {
	pthread_mutex_lock(&mu);
	started++;
	pthread_cond_signal(&started_cv);
	for (;;)
		pthread_cond_wait(&never, &mu);
}

// Three workers that differ only in name, so their stacks differ.
__attribute__((noinline)) static void *io_worker(void *arg) { (void)arg; park(); return NULL; }
__attribute__((noinline)) static void *cpu_worker(void *arg) { (void)arg; park(); return NULL; }
__attribute__((noinline)) static void *timer_worker(void *arg) { (void)arg; park(); return NULL; }

// parked reports whether every thread but the caller is blocked in the
// futex of never, that is inside pthread_cond_wait(&never): a worker
// that has counted itself in started may still be on its way there (in
// pthread_cond_signal, or in pthread_cond_wait before its futex call),
// with another stack, when the main thread sees started reach WORKERS.
// /proc/self/task/TID/syscall gives a blocked thread's system call
// number and arguments, the futex's address first.
static int parked(pid_t self) {
	DIR *d = opendir("/proc/self/task");
	if (!d)
		return 1; // nothing to wait by
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || atoi(e->d_name) == self)
			continue;
		char path[300];
		snprintf(path, sizeof path, "/proc/self/task/%s/syscall", e->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		long nr;
		unsigned long addr;
		if (fscanf(f, "%ld %lx", &nr, &addr) == 2 && nr == SYS_futex &&
		    addr >= (unsigned long)&never && addr < (unsigned long)&never + sizeof never)
			n++;
		fclose(f);
	}
	closedir(d);
	return n == WORKERS;
}

struct job { int *slot; };

__attribute__((noinline)) static int take(struct job *j) { return *j->slot; }

static void *crasher(void *arg) {
	struct job j = {0};
	(void)arg;
	fprintf(stderr, "crasher: %d\n", take(&j));
	return NULL;
}

int main(void) {
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	// Small stacks keep the core small: 300 threads × 64 KiB.
	pthread_attr_setstacksize(&attr, 64 << 10);
	for (int i = 0; i < WORKERS; i++) {
		pthread_t t;
		void *(*fn)(void *) = i % 10 == 0 ? timer_worker : i % 3 == 0 ? cpu_worker : io_worker;
		if (pthread_create(&t, &attr, fn, NULL) != 0) {
			perror("pthread_create");
			return 2;
		}
	}
	pthread_mutex_lock(&mu);
	while (started < WORKERS)
		pthread_cond_wait(&started_cv, &mu);
	pthread_mutex_unlock(&mu);
	// Every worker asleep in the same futex call, so that their stacks
	// are identical; after 10 s the crash comes anyway, and the test
	// says which stacks differ.
	pid_t self = syscall(SYS_gettid);
	for (int i = 0; i < 10000 && !parked(self); i++) {
		struct timespec ms = {0, 1000000};
		nanosleep(&ms, NULL);
	}
	pthread_t t;
	pthread_create(&t, &attr, crasher, NULL);
	pthread_join(t, NULL);
	return 0;
}
