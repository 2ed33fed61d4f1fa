// Reads through a null pointer in a program linked without a build-id and
// dumped without ELF header pages: the core names no build-id at all, so
// only the layout of the mappings can tell the right binary from another.
#include <stddef.h>

#ifdef OTHER
// other-prog: the same program with 8 KiB more code, so its text segment
// is two pages longer and the segments after it sit at other offsets.
__attribute__((noinline, used)) int padding(int x) {
	__asm__ volatile(".fill 8192, 1, 0x90");
	return x;
}
#endif

__attribute__((noinline)) int read_flag(int *p) { return *p; }

int main(int argc, char **argv) {
	(void)argv;
	return read_flag(argc > 5 ? &argc : NULL);
}
