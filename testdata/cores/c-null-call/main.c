// A call through a null function pointer stored in a struct: the PC
// becomes 0 and the caller is only found from the return address at [rsp].
#include <stdlib.h>

struct ops {
	int (*transform)(int);
	int (*finish)(int);
};

__attribute__((noinline)) int apply(struct ops *o, int x) { return o->transform(x) + 1; }

__attribute__((noinline)) int run(int x) {
	struct ops *o = calloc(1, sizeof *o); // transform left null
	return apply(o, x) * 2;
}

int main(int argc, char **argv) {
	(void)argv;
	return run(argc);
}
