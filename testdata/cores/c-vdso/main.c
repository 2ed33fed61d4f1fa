// A fault inside the vDSO: clock_gettime is given a bad timespec pointer,
// and the vDSO's clock_gettime faults writing the time to it. The caller,
// read_clock (nocfi.c), is built without unwind tables but with a frame
// pointer, so the unwinder has to fall back on the frame-pointer chain
// for it.
int read_clock(void *ts);

int main(int argc, char **argv) {
	(void)argv;
	return read_clock((void *)(long)(0x10 * argc)) + argc;
}
