// A freestanding static-pie (no C library) that makes a virtual call
// before anything relocated the program, as the miros loader did through a
// Rust trait object. struct stratagem_vtable is laid out like a Rust
// vtable (drop_in_place, size, align, then the methods), so run is at
// +0x18. The table's function pointers are link-time addresses until
// R_X86_64_RELATIVE relocations add the load base; nothing applies them
// here (start.S enters start_c directly), so `call qword ptr [rax+0x18]`
// jumps to run_relocate's link-time address.
struct object_data {
	long base;
};

struct stratagem_vtable {
	void (*drop_in_place)(void *self);
	unsigned long size, align;
	long (*run)(const void *self, struct object_data *data);
};

struct stratagem {
	const void *self;
	const struct stratagem_vtable *vtable;
};

static void drop_relocate(void *self) { (void)self; }

static long run_relocate(const void *self, struct object_data *data) {
	(void)self;
	return data->base;
}

static const struct stratagem_vtable relocate_vtable = {drop_relocate, 0, 1, run_relocate};
static const char relocate;

__attribute__((noinline)) long run_pipeline(const struct stratagem *stratagems, int n, struct object_data *data) {
	long sum = 0;
	for (int i = 0; i < n; i++)
		sum += stratagems[i].vtable->run(stratagems[i].self, data);
	return sum;
}

__attribute__((noreturn)) void start_c(long *sp) {
	struct object_data data = {sp[0]};
	struct stratagem pipeline[1] = {{&relocate, &relocate_vtable}};
	run_pipeline(pipeline, 1, &data);
	for (;;)
		__asm__ volatile("ud2");
}
