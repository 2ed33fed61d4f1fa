// Writes through a pointer to a string literal, which lives in .rodata.
__attribute__((noinline)) void shout(char *s) { s[0] = 'H'; }

int main(void) {
	shout((char *)"hello");
	return 0;
}
