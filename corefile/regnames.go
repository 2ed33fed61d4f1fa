package corefile

// Register is one general register by the name gdb gives it.
type Register struct {
	Name  string
	Value uint64
}

// Named returns the registers in the order and with the names of gdb's
// `info registers` on x86-64 (gdb/features/i386/64bit-core.xml and
// 64bit-linux.xml), except that the flags register is "rflags" where gdb
// says "eflags": the 64-bit register's architectural name. The segment
// selectors and the FS and GS bases are the kernel's user_regs_struct
// fields; orig_rax, which gdb shows only with `info all-registers` on
// some versions, is left out.
func (r *Regs) Named() []Register {
	return []Register{
		{"rax", r.Rax}, {"rbx", r.Rbx}, {"rcx", r.Rcx}, {"rdx", r.Rdx},
		{"rsi", r.Rsi}, {"rdi", r.Rdi}, {"rbp", r.Rbp}, {"rsp", r.Rsp},
		{"r8", r.R8}, {"r9", r.R9}, {"r10", r.R10}, {"r11", r.R11},
		{"r12", r.R12}, {"r13", r.R13}, {"r14", r.R14}, {"r15", r.R15},
		{"rip", r.Rip}, {"rflags", r.Eflags},
		{"cs", r.Cs}, {"ss", r.Ss}, {"ds", r.Ds}, {"es", r.Es}, {"fs", r.Fs}, {"gs", r.Gs},
		{"fs_base", r.FsBase}, {"gs_base", r.GsBase},
	}
}
