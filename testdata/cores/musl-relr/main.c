// A static-PIE musl program linked with -z pack-relative-relocs: its
// relative relocations are in DT_RELR, which musl 1.2.3's self-relocation
// (rcrt1's _dlstart_c) does not apply. Start-up code then copies the TLS
// image from its unrelocated link-time address and crashes in memcpy ←
// __copy_tls before main runs (the seed's "fd" case).
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
