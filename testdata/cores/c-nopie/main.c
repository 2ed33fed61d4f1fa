// A non-PIE (ET_EXEC) program: linked at 0x400000 and mapped there, so its
// load bias is 0. qsort calls back into it, and the comparison function
// dereferences a null pointer, with glibc's frames between it and main.
#include <stdlib.h>

struct item {
	int *key;
};

__attribute__((noinline)) static int compare(const void *a, const void *b) {
	const struct item *x = a, *y = b;
	return *x->key - *y->key;
}

int main(int argc, char **argv) {
	(void)argv;
	static int one = 1, two = 2;
	struct item items[4] = {{&two}, {&one}, {0}, {&one}};
	qsort(items, 4, sizeof items[0], compare);
	return items[0].key == &one ? argc : 0;
}
