// A failed internal check compiled to a trap instruction (ud2).
__attribute__((noinline)) int checked_div(int a, int b) {
	if (b == 0)
		__builtin_trap();
	return a / b;
}

int main(int argc, char **argv) {
	(void)argv;
	return checked_div(10, argc - 1);
}
