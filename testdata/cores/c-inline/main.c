/* c-inline: a qsort comparator dereferences a NULL weight. The program is
 * built with -O2 -g (DWARF 5), its library with DWARF 4 and compressed debug
 * sections; the frames between them are glibc's qsort, whose file:line and
 * inlined frames come from Debian's libc6-dbg. */
#include <stdio.h>
#include <stdlib.h>
#include "items.h"

static int weights[8] = {5, 3, 8, 1, 9, 2, 7, 4};

__attribute__((noinline)) void sort_items(struct item *items, size_t n)
{
	qsort(items, n, sizeof *items, by_weight);
}

static inline __attribute__((always_inline)) void sort_twice(struct item *items, size_t n)
{
	sort_items(items, n);
	sort_items(items, n);
}

int main(int argc, char **argv)
{
	struct item items[8];
	for (int i = 0; i < 8; i++) {
		items[i].key = i;
		items[i].weight = &weights[i];
	}
	items[argc % 8].weight = NULL; /* the poisoned item */
	sort_twice(items, 8);
	printf("%d\n", items[0].key);
	return 0;
}
