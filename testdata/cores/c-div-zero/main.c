// Integer division by zero raises #DE, delivered as SIGFPE/FPE_INTDIV.
__attribute__((noinline)) int average(int total, int count) { return total / count; }

int main(int argc, char **argv) {
	(void)argv;
	return average(100, argc - 1);
}
