// Reads a field of a struct through a null pointer: last.next is NULL, so
// n->next->weight reads address 0x10, the offset of weight.
#include <stddef.h>

struct node {
	long key, value, weight;
	struct node *next;
};

__attribute__((noinline)) long weight_of(struct node *n) { return n->next->weight; }

int main(int argc, char **argv) {
	(void)argv;
	struct node last = {1, 2, 3, NULL};
	return (int)weight_of(argc > 5 ? NULL : &last);
}
