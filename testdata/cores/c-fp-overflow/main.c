// A thread with a 256 KiB stack recurses in a function built with frame
// pointers (gcc -O1 -fno-omit-frame-pointer). Its prologue is push rbp;
// mov rbp,rsp; push rbx; sub rsp,0x518: the CFI moves the CFA to rbp after
// the mov, so it shows only 16 bytes of the 1,328-byte frame, and the rest
// is in the prologue.
#include <pthread.h>
#include <string.h>

__attribute__((noinline)) int recurse(int depth) {
	volatile char buf[1296];
	memset((char *)buf, depth, sizeof buf);
	return recurse(depth + 1) + buf[depth % sizeof buf];
}

static void *run(void *arg) {
	return (void *)(long)recurse((int)(long)arg);
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
