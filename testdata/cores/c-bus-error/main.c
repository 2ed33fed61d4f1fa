// Maps a two-page file, truncates it to nothing, then reads the mapping:
// the pages no longer have a file behind them, so the read raises SIGBUS.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

__attribute__((noinline)) int first_byte(volatile char *p) { return p[4096]; }

int main(void) {
	int fd = open("data.bin", O_RDWR | O_CREAT | O_TRUNC, 0600);
	ftruncate(fd, 8192);
	char *p = mmap(0, 8192, PROT_READ, MAP_SHARED, fd, 0);
	ftruncate(fd, 0);
	return first_byte(p);
}
