// Follows a list pointer that was poisoned when its node was unlinked (as
// the Linux kernel's list_del does with 0xdead000000000100): the read of
// [rax+0x10] uses the non-canonical address 0xdead000000000110. The CPU
// raises a general-protection fault, which the kernel reports as SIGSEGV
// with si_code SI_KERNEL and si_addr 0: no fault address at all.
#include <stdint.h>

#define LIST_POISON ((struct node *)(uintptr_t)0xdead000000000100ULL)

struct node {
	struct node *next, *prev;
	long value;
};

__attribute__((noinline)) void unlink_node(struct node *n) {
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->next = LIST_POISON;
	n->prev = LIST_POISON;
}

__attribute__((noinline)) long next_value(struct node *n) { return n->next->value; }

int main(void) {
	struct node a, b, c;
	a.next = &b, b.next = &c, c.next = &a;
	a.prev = &c, b.prev = &a, c.prev = &b;
	a.value = 1, b.value = 2, c.value = 3;
	unlink_node(&b);
	return (int)next_value(&b); // b was unlinked: its next is poison
}
