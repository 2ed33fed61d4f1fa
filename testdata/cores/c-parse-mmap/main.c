// A recursive-descent parser of parenthesised expressions over a file read
// whole into a malloc'd buffer ("heap") or mapped with mmap ("mmap"). Deep
// nesting exhausts the stack. A SIGSEGV handler on an alternate stack
// prints the offset of the byte the parser last looked at, then restores
// the default action and returns: the faulting instruction runs again and
// the kernel dumps core with the thread's registers at the fault, no
// handler frame in between.
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *buf;
static const char *volatile cursor;

static void on_segv(int sig) {
	char msg[64];
	int n = snprintf(msg, sizeof msg, "overflow at offset %ld\n", (long)(cursor - buf));
	write(2, msg, n);
	signal(sig, SIG_DFL);
}

static const char *parse_expr(const char *p, const char *end);

__attribute__((noinline)) static const char *parse_primary(const char *p, const char *end) {
	volatile char scratch[64];
	cursor = p;
	while (p < end && (*p == ' ' || *p == '\n'))
		p++;
	scratch[0] = p < end ? *p : 0;
	if (p < end && *p == '(') {
		p = parse_expr(p + 1, end);
		if (p < end && *p == ')')
			p++;
		return p + (scratch[0] == 0);
	}
	while (p < end && (*p >= 'a' && *p <= 'z' || *p >= '0' && *p <= '9'))
		p++;
	return p;
}

__attribute__((noinline)) static const char *parse_expr(const char *p, const char *end) {
	p = parse_primary(p, end);
	for (;;) {
		while (p < end && (*p == ' ' || *p == '\n'))
			p++;
		if (p == end || *p != '+' && *p != '*')
			return p;
		p = parse_primary(p + 1, end);
	}
}

int main(int argc, char **argv) {
	if (argc != 3) {
		fprintf(stderr, "usage: %s heap|mmap FILE\n", argv[0]);
		return 2;
	}
	int fd = open(argv[2], O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		perror(argv[2]);
		return 1;
	}
	if (strcmp(argv[1], "mmap") == 0) {
		buf = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (buf == MAP_FAILED) {
			perror("mmap");
			return 1;
		}
	} else {
		char *b = malloc(st.st_size);
		if (!b || read(fd, b, st.st_size) != st.st_size) {
			perror("read");
			return 1;
		}
		buf = b;
	}
	stack_t ss = {.ss_sp = malloc(65536), .ss_size = 65536};
	sigaltstack(&ss, NULL);
	struct sigaction sa = {.sa_handler = on_segv, .sa_flags = SA_ONSTACK};
	sigaction(SIGSEGV, &sa, NULL);
	const char *p = parse_expr(buf, buf + st.st_size);
	printf("parsed %ld bytes\n", (long)(p - buf));
	return 0;
}
