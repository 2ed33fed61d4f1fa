#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv) {
	if (argc < 2) return 2;
	void *h1 = dlopen(argv[1], RTLD_NOW);
	void *h2 = dlmopen(LM_ID_NEWLM, argv[1], RTLD_NOW);
	if (!h1 || !h2) { fprintf(stderr, "%s\n", dlerror()); return 1; }
	int (*f1)(const char *) = (int (*)(const char *))dlsym(h1, "plug_crash");
	int (*f2)(const char *) = (int (*)(const char *))dlsym(h2, "plug_crash");
	fprintf(stderr, "plug_crash at %p and %p\n", (void *)f1, (void *)f2);
	const char *volatile s = argc > 5 ? "x" : NULL;
	return f1("one") + f2(s);
}
