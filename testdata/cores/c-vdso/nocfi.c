// Built with -fno-asynchronous-unwind-tables -fno-unwind-tables
// -fno-omit-frame-pointer: no FDE covers read_clock, and its frame is
// found from the frame-pointer chain.
#include <time.h>

__attribute__((noinline)) int read_clock(void *ts) {
	volatile int r = clock_gettime(CLOCK_MONOTONIC, (struct timespec *)ts);
	return r + 1;
}
