package corefile

// Regs are the general registers of a thread, in the order of the kernel's
// struct user_regs_struct (arch/x86/include/asm/user_64.h), which is what
// NT_PRSTATUS's pr_reg holds.
type Regs struct {
	R15, R14, R13, R12, Rbp, Rbx, R11, R10 uint64
	R9, R8, Rax, Rcx, Rdx, Rsi, Rdi        uint64
	OrigRax, Rip, Cs, Eflags, Rsp, Ss      uint64
	FsBase, GsBase, Ds, Es, Fs, Gs         uint64
}

// numRegs is the number of 8-byte slots in user_regs_struct (ELF_NGREG).
const numRegs = 27

// DWARF returns the register's value by its DWARF number from the x86-64
// psABI (Figure 3.36: 0 rax, 1 rdx, 2 rcx, 3 rbx, 4 rsi, 5 rdi, 6 rbp, 7 rsp,
// 8-15 r8-r15, 16 return address/rip). ok is false for other numbers.
func (r *Regs) DWARF(n int) (v uint64, ok bool) {
	switch n {
	case 0:
		return r.Rax, true
	case 1:
		return r.Rdx, true
	case 2:
		return r.Rcx, true
	case 3:
		return r.Rbx, true
	case 4:
		return r.Rsi, true
	case 5:
		return r.Rdi, true
	case 6:
		return r.Rbp, true
	case 7:
		return r.Rsp, true
	case 8:
		return r.R8, true
	case 9:
		return r.R9, true
	case 10:
		return r.R10, true
	case 11:
		return r.R11, true
	case 12:
		return r.R12, true
	case 13:
		return r.R13, true
	case 14:
		return r.R14, true
	case 15:
		return r.R15, true
	case 16:
		return r.Rip, true
	}
	return 0, false
}

// Thread is one NT_PRSTATUS note: a thread of the process at the time of the
// dump.
type Thread struct {
	TID    int   // pr_pid: the thread's id (what gdb calls LWP)
	Signal int   // pr_cursig: the signal the thread was handling, or 0
	Regs   Regs  // pr_reg
	Index  int   // position among the NT_PRSTATUS notes, from 0
	Off    int64 // offset of the note's descriptor in the core file
}

// PC returns the thread's instruction pointer.
func (t *Thread) PC() uint64 { return t.Regs.Rip }

// SP returns the thread's stack pointer.
func (t *Thread) SP() uint64 { return t.Regs.Rsp }
