// A thread with a 256 KiB stack recurses in a function with a 20,000-byte
// local, built with gcc -O1 -fstack-clash-protection. Its prologue probes
// the frame page by page in a loop (push rbx; lea r11,[rsp-0x4000]; loop:
// sub rsp,0x1000; or qword ptr [rsp],0; cmp rsp,r11; jne loop; sub
// rsp,0xe20): 20,016 bytes with the return address.
#include <pthread.h>
#include <string.h>

__attribute__((noinline)) int big(int depth) {
	volatile char buf[20000];
	memset((char *)buf, depth, sizeof buf);
	return big(depth + 1) + buf[depth % sizeof buf];
}

static void *run(void *arg) {
	return (void *)(long)big((int)(long)arg);
}

int main(void) {
	pthread_t t;
	pthread_attr_t a;
	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, 256 * 1024);
	pthread_create(&t, &a, run, 0);
	pthread_join(t, 0);
	return 0;
}
