#include <string.h>
__attribute__((noinline)) int plug_crash(const char *s) { return (int)strlen(s) + 1; }
