/* libweights.so: the qsort comparator, built with DWARF 4 and zlib-compressed
 * debug sections. weight_of and compare_items are always inlined into
 * by_weight, so the crash is two inlined frames deep. */
#include "items.h"

static inline __attribute__((always_inline)) int weight_of(const struct item *it)
{
	return *it->weight; /* NULL for the poisoned item */
}

static inline __attribute__((always_inline)) int compare_items(const struct item *a, const struct item *b)
{
	int wa = weight_of(a);
	int wb = weight_of(b);
	return (wa > wb) - (wa < wb);
}

int by_weight(const void *a, const void *b)
{
	return compare_items(a, b);
}
