// A freestanding static-pie (no C library) that calls a function through
// its GOT slot before anything relocated the program, as the miros loader
// did with memcpy. With -fno-plt, gcc calls copy_words (weak, so
// interposable) as `call qword ptr [rip+X]`: X is copy_words's GOT slot,
// which holds its link-time address until an R_X86_64_RELATIVE relocation
// adds the load base. Nothing applies it here (start.S enters start_c
// directly), so the call jumps to 0x10xx, a small unmapped address.
struct state {
	long words[20];
};

__attribute__((weak)) void *copy_words(void *dst, const void *src, unsigned long n) {
	long *d = dst;
	const long *s = src;
	for (unsigned long i = 0; i < n / 8; i++)
		d[i] = s[i];
	return dst;
}

static __attribute__((noinline)) void save_state(struct state *dst, const struct state *src) {
	copy_words(dst, src, sizeof *dst);
}

__attribute__((noreturn)) void start_c(long *sp) {
	struct state a = {{sp[0]}}, b;
	save_state(&b, &a);
	for (;;)
		__asm__ volatile("ud2");
}
