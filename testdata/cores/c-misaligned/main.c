// x86 tolerates misaligned loads unless EFLAGS.AC (alignment check) is
// set: with AC on, a misaligned 8-byte load raises #AC, which Linux
// delivers as SIGBUS with BUS_ADRALN.
#include <stdint.h>

__attribute__((noinline)) uint64_t load(const char *p) { return *(const volatile uint64_t *)(p + 1); }

int main(void) {
	static uint64_t words[2] = {1, 2};
	__asm__ volatile("pushf\n\torq $0x40000, (%rsp)\n\tpopf"); // set AC
	return (int)load((const char *)words);
}
