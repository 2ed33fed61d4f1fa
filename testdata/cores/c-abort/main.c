// A failed assert three calls deep: glibc prints the assertion, records it
// in __abort_msg and calls abort (SIGABRT).
#include <assert.h>

__attribute__((noinline)) int check_answer(int x) {
	assert(x == 42);
	return x;
}

__attribute__((noinline)) int compute(int x) { return check_answer(x) + 1; }

int main(int argc, char **argv) {
	(void)argv;
	return compute(argc);
}
