// Copies code-looking bytes into a heap buffer and calls it: the heap is
// not executable, so the CPU faults on the first instruction fetch.
#include <stdlib.h>
#include <string.h>

typedef int (*fn)(void);

__attribute__((noinline)) int run_buffer(fn f) { return f() + 1; }

int main(void) {
	unsigned char *buf = malloc(64);
	memset(buf, 0xc3, 64); // ret
	return run_buffer((fn)buf);
}
