// Unbounded recursion on the main thread: each frame holds a 1 KiB buffer,
// so with a 2 MiB stack (ulimit -s 2048) the process runs off the main
// stack after about 2,000 frames and faults in the gap below it.
#include <string.h>

__attribute__((noinline)) int descend(int depth) {
	volatile char buf[1024];
	memset((char *)buf, depth, sizeof buf);
	return descend(depth + 1) + buf[depth % sizeof buf];
}

int main(int argc, char **argv) {
	(void)argv;
	return descend(argc);
}
