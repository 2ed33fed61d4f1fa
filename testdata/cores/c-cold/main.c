// gcc -O2 splits a function whose branch leads to a cold call into the hot
// part and a "parse.cold" fragment in .text.unlikely, with its own FDE.
// The crash happens inside parse.cold, after the cold call returns: p is
// null and n is 2^28, so the read is at 0x40000000, far from any address
// the program was linked at (a small fault address such as 0x3e84 would
// also be one of its link-time addresses).
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline, cold)) void complain(int n) { fprintf(stderr, "bad value %d\n", n); }

__attribute__((noinline)) int parse(const int *p, int n) {
	if (n > 1000) {
		complain(n);
		return p[n]; // p is null: the fault is in parse.cold
	}
	return n * 2;
}

int main(int argc, char **argv) {
	(void)argv;
	volatile int n = (1 << 28) - 1 + argc;
	const int *volatile p = NULL;
	// Not a tail call: main stays on the stack.
	return parse(p, n) + argc;
}
