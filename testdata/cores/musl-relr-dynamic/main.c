// A dynamically linked musl PIE with DT_RELR: musl 1.2.3's dynamic loader
// ignores DT_RELR, so the .init_array entry for frame_dummy keeps its
// link-time value and the loader calls it: PC = 0x1150-ish, in no mapping.
#include <stdio.h>

__thread int counter = 42;
__thread char greeting[64] = "hello from thread-local storage";
static const char *names[] = {"alpha", "beta", "gamma"};

int main(int argc, char **argv) {
	(void)argv;
	counter += argc;
	printf("%s %s %d\n", names[argc % 3], greeting, counter);
	return 0;
}
