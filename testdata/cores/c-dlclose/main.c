// Keeps a function pointer into a plugin after dlclose unmapped it, then
// calls it: the PC lands where the plugin's text used to be.
#include <dlfcn.h>
#include <stdio.h>

typedef int (*transform_fn)(int);
static transform_fn saved;

__attribute__((noinline)) int call_plugin(int x) { return saved(x) + 1; }

int main(int argc, char **argv) {
	(void)argv;
	void *h = dlopen("./libplugin.so", RTLD_NOW);
	if (!h) {
		fprintf(stderr, "%s\n", dlerror());
		return 1;
	}
	saved = (transform_fn)dlsym(h, "plugin_transform");
	dlclose(h);
	return call_plugin(argc);
}
