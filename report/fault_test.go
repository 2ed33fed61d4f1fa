package report

import (
	"slices"
	"testing"
)

func addrp(a Addr) *Addr { return &a }

// TestAccessExplain: each sentence an access fault's diagnosis can say,
// from a hand-built Access, word for word. A changed sentence fails here
// before it changes a golden report.
func TestAccessExplain(t *testing.T) {
	// at: a symbol and an offset into it.
	sym := func(a Access) *Access {
		a.Function, a.Offset, a.Symbol = "weight_of", 0x4, true
		return &a
	}
	const poison = "An x86-64 address must have bits 63 to 47 all equal (user space ends at 0x00007fffffffffff, the kernel starts at 0xffff800000000000); anything between is non-canonical. Using one raises a general-protection fault, not a page fault, which the kernel reports as SIGSEGV with si_code SI_KERNEL and no fault address: the address above was computed from the instruction and the registers."
	const gpNoAddr = "the kernel reports a general-protection fault as SIGSEGV with si_code SI_KERNEL and no fault address"
	gp := func(ptr uint64, op string) *Access {
		return sym(Access{Signo: SIGSEGV, Code: SI_KERNEL, Instruction: "mov rax, qword ptr [rax+0x10]", Operation: op,
			Operand: "[rax+0x10] with rax = 0x1", Address: addrp(0xdead000000000110), AddressSource: "instruction", Pointer: ptr})
	}
	tests := []struct {
		name    string
		kind    Kind
		acc     *Access
		summary string
		more    []string
	}{
		{"null dereference at 0", KindNullDereference,
			sym(Access{Signo: SIGSEGV, Code: SEGV_MAPERR, SignalAddr: 0, Operation: "read"}),
			"Thread 7 dereferenced a null pointer: weight_of+0x4 read from address 0x0.", nil},
		{"null dereference of a field, with the operand", KindNullDereference,
			sym(Access{Signo: SIGSEGV, Code: SEGV_MAPERR, SignalAddr: 0x10, Operation: "read",
				Instruction: "mov rax, qword ptr [rax+0x10]", Operand: "[rax+0x10] with rax = 0x0"}),
			"Thread 7 dereferenced a null pointer: weight_of+0x4 read from address 0x10 (null + 0x10: a field of a null struct pointer, or an index into a null array).",
			[]string{"The instruction was `mov rax, qword ptr [rax+0x10]`: a read of [rax+0x10] with rax = 0x0."}},
		{"null dereference of a field, base register null", KindNullDereference,
			sym(Access{Signo: SIGSEGV, Code: SEGV_MAPERR, SignalAddr: 0x10, Operation: "read", Base: "rax", Pointer: 0}),
			"Thread 7 dereferenced a null pointer: weight_of+0x4 read from address 0x10 (null + 0x10: a field of a null struct pointer, or an index into a null array).", nil},
		{"small pointer in the null page", KindNullDereference,
			sym(Access{Signo: SIGSEGV, Code: SEGV_MAPERR, SignalAddr: 0x1, Operation: "read",
				Instruction: "vpcmpb k0, ymm16, ymmword ptr [rdi], 0x0", Operand: "[rdi] with rdi = 0x1", Base: "rdi", Pointer: 0x1}),
			"Thread 7 dereferenced a pointer into the null page: weight_of+0x4 read from address 0x1 through rdi = 0x1, which is not null: a null pointer plus an offset added earlier, or a small integer used as a pointer.",
			[]string{"The instruction was `vpcmpb k0, ymm16, ymmword ptr [rdi], 0x0`: a read of [rdi] with rdi = 0x1."}},
		{"null write", KindNullDereference,
			sym(Access{Signo: SIGSEGV, Code: SEGV_MAPERR, SignalAddr: 0, Operation: "write"}),
			"Thread 7 dereferenced a null pointer: weight_of+0x4 wrote to address 0x0.", nil},
		{"write to read-only memory", KindWriteToReadonly,
			sym(Access{Signo: SIGSEGV, Code: SEGV_ACCERR, SignalAddr: 0x5000, Operation: "write", Mapping: "prog's .rodata [0x5000–0x6000 r--]"}),
			"Thread 7 wrote to read-only memory: weight_of+0x4 wrote 0x5000, in prog's .rodata [0x5000–0x6000 r--].", nil},
		{"PROT_NONE mapping", KindInvalidAccess,
			sym(Access{Signo: SIGSEGV, Code: SEGV_ACCERR, SignalAddr: 0x7000, Operation: "read", ProtNone: true, Mapping: "an anonymous mapping [0x7000–0x8000 ---]"}),
			"Thread 7 touched a PROT_NONE mapping: weight_of+0x4 read from 0x7000, in an anonymous mapping [0x7000–0x8000 ---].", nil},
		{"invalid address, without a symbol", KindInvalidAccess,
			&Access{Signo: SIGSEGV, Code: SEGV_MAPERR, Function: "prog+0x1139", Offset: 0x99, SignalAddr: 0x123456789, Operation: "read", Where: "in no mapping"},
			"Thread 7 read an invalid address: prog+0x1139 read from 0x123456789, in no mapping.", nil},
		{"invalid write", KindInvalidAccess,
			sym(Access{Signo: SIGSEGV, Code: SEGV_MAPERR, SignalAddr: 0x123456789, Operation: "write", Where: "in no mapping"}),
			"Thread 7 wrote to an invalid address: weight_of+0x4 wrote to 0x123456789, in no mapping.", nil},
		{"general protection, undecodable", KindInvalidAccess,
			sym(Access{Signo: SIGSEGV, Code: SI_KERNEL}),
			"Thread 7 raised a general-protection fault in weight_of+0x4 at an instruction that does not decode: a privileged or protected instruction.",
			[]string{gpNoAddr + "."}},
		{"general protection, no memory operand", KindInvalidAccess,
			sym(Access{Signo: SIGSEGV, Code: SI_KERNEL, Instruction: "hlt"}),
			"Thread 7 raised a general-protection fault in weight_of+0x4 at `hlt`: a privileged or protected instruction.",
			[]string{gpNoAddr + "."}},
		{"non-canonical, poison", KindNonCanonical, gp(0xdead000000000100, "read"),
			"Thread 7 read a non-canonical address: weight_of+0x4 read from 0xdead000000000110, computed from `mov rax, qword ptr [rax+0x10]` ([rax+0x10] with rax = 0x1).",
			[]string{poison, "The pointer is garbage rather than null: 0xdead000000000100 is 0xdead000000000000 plus 0x100, a poison value (the base of the Linux kernel's list poison pointers; programs copy it to mark unlinked, freed or uninitialized pointers), so the pointer was probably read from a freed or never-initialized object."}},
		{"non-canonical, text", KindNonCanonical, gp(0x4141414141414141, "write"),
			"Thread 7 wrote to a non-canonical address: weight_of+0x4 wrote to 0xdead000000000110, computed from `mov rax, qword ptr [rax+0x10]` ([rax+0x10] with rax = 0x1).",
			[]string{poison, "The pointer is garbage rather than null: 0x4141414141414141 is mostly printable ASCII bytes (\"AAAAAAAA\" as little-endian text), so a string or other data overwrote the pointer."}},
		{"non-canonical, other", KindNonCanonical, gp(0x8000000000000001, "read"),
			"Thread 7 read a non-canonical address: weight_of+0x4 read from 0xdead000000000110, computed from `mov rax, qword ptr [rax+0x10]` ([rax+0x10] with rax = 0x1).",
			[]string{poison, "The pointer is garbage rather than null: 0x8000000000000001 is not a value a pointer can hold: an uninitialized or overwritten pointer, or an integer used as one."}},
		{"misaligned SSE", KindMisaligned,
			sym(Access{Signo: SIGSEGV, Code: SI_KERNEL, Instruction: "movaps xmmword ptr [rdi], xmm0", Operand: "[rdi] with rdi = 0x5008",
				Address: addrp(0x5008), AddressSource: "instruction", Operation: "write"}),
			"Thread 7 made a misaligned SSE access in weight_of+0x4: `movaps xmmword ptr [rdi], xmm0` needs a 16-byte aligned operand and [rdi] with rdi = 0x5008 is 0x5008 (8 bytes past a 16-byte boundary).",
			[]string{"The CPU raised a general-protection fault; " + gpNoAddr + ". A misaligned stack (the psABI wants rsp+8 16-byte aligned at a function's entry) or a misaligned buffer cast to a vector type does this."}},
		{"general protection, canonical operand", KindInvalidAccess,
			sym(Access{Signo: SIGSEGV, Code: SI_KERNEL, Instruction: "mov eax, dword ptr fs:[rax]", Operand: "[rax] with rax = 0x5000",
				Address: addrp(0x5000), AddressSource: "instruction", Operation: "read"}),
			"Thread 7 raised a general-protection fault in weight_of+0x4: `mov eax, dword ptr fs:[rax]` ([rax] with rax = 0x5000, address 0x5000).",
			[]string{"The operand's address is canonical, so the fault was something else the CPU refuses in user mode (a segment or I/O access, a privileged instruction); " + gpNoAddr + "."}},
		{"misaligned, address computed", KindMisaligned,
			sym(Access{Signo: SIGBUS, Code: BUS_ADRALN, Size: 8, Instruction: "mov rax, qword ptr [rdi+0x1]", Operand: "[rdi+0x1] with rdi = 0x5010",
				Address: addrp(0x5011), AddressSource: "instruction"}),
			"Thread 7 made a misaligned 8-byte access at 0x5011 (1 byte past an 8-byte boundary) in weight_of+0x4, with alignment checking on (EFLAGS.AC).",
			[]string{"The instruction was `mov rax, qword ptr [rdi+0x1]`: [rdi+0x1] with rdi = 0x5010.",
				"The kernel reports an alignment-check fault without an address; the address above was computed from the instruction and the registers."}},
		{"misaligned by bytes", KindMisaligned,
			sym(Access{Signo: SIGBUS, Code: BUS_ADRALN, Size: 4, Instruction: "mov eax, dword ptr [rdi+0x2]", Operand: "[rdi+0x2] with rdi = 0x5010",
				Address: addrp(0x5012), AddressSource: "instruction"}),
			"Thread 7 made a misaligned 4-byte access at 0x5012 (2 bytes past an 4-byte boundary) in weight_of+0x4, with alignment checking on (EFLAGS.AC).",
			[]string{"The instruction was `mov eax, dword ptr [rdi+0x2]`: [rdi+0x2] with rdi = 0x5010.",
				"The kernel reports an alignment-check fault without an address; the address above was computed from the instruction and the registers."}},
		{"misaligned, no address", KindMisaligned,
			sym(Access{Signo: SIGBUS, Code: BUS_ADRALN}),
			"Thread 7 made a misaligned 0-byte access at an address the kernel does not report in weight_of+0x4, with alignment checking on (EFLAGS.AC).", nil},
		{"past the end of a mapped file", KindBusError,
			sym(Access{Signo: SIGBUS, Code: BUS_ADRERR, SignalAddr: 0x7000, Where: "in the mapped file /data.bin"}),
			"Thread 7 accessed 0x7000 in weight_of+0x4, past the end of the file mapped there (the file was truncated after it was mapped?): in the mapped file /data.bin.", nil},
		{"other bus error", KindBusError,
			sym(Access{Signo: SIGBUS, Code: BUS_MCEERR_AR, SignalAddr: 0x7000}),
			"Thread 7 got a bus error (BUS_MCEERR_AR) at 0x7000 in weight_of+0x4.", nil},
		{"ud2", KindIllegalInstruction,
			sym(Access{Signo: SIGILL, Code: ILL_ILLOPN, Instruction: "ud2", Trap: true}),
			"Thread 7 executed ud2 in weight_of+0x4: a deliberate trap (Rust's intrinsics::abort or unreachable_unchecked, C's __builtin_trap or __builtin_unreachable with -fsanitize=unreachable, a failed check compiled to a trap).", nil},
		{"instruction the CPU refused", KindIllegalInstruction,
			sym(Access{Signo: SIGILL, Code: ILL_ILLOPC, Instruction: "vpaddq zmm0, zmm1, zmm2"}),
			"Thread 7 executed an instruction this CPU refused (ILL_ILLOPC) in weight_of+0x4: `vpaddq zmm0, zmm1, zmm2`. Built for a newer CPU (-march, target-cpu)?", nil},
		{"undecodable bytes", KindIllegalInstruction,
			sym(Access{Signo: SIGILL, Code: ILL_ILLOPC}),
			"Thread 7 executed bytes that do not decode as an instruction in weight_of+0x4.", nil},
		{"divide error, register divisor", KindDivideError,
			sym(Access{Signo: SIGFPE, Code: FPE_INTDIV, Instruction: "idiv esi", Divisor: &Divisor{Register: "esi", Value: 0}}),
			"Thread 7 raised SIGFPE (integer divide by zero) in weight_of+0x4: `idiv esi` with divisor esi = 0.", nil},
		{"divide error, memory divisor", KindDivideError,
			sym(Access{Signo: SIGFPE, Code: FPE_INTDIV, Instruction: "div dword ptr [rdi]", Divisor: &Divisor{Memory: true}}),
			"Thread 7 raised SIGFPE (integer divide by zero) in weight_of+0x4: `div dword ptr [rdi]`.", nil},
		{"divide error, not a division", KindDivideError,
			sym(Access{Signo: SIGFPE, Code: FPE_INTOVF, Instruction: "into"}),
			"Thread 7 raised SIGFPE (integer overflow) in weight_of+0x4.", nil},
		{"caught by a handler", KindNullDereference,
			sym(Access{Signo: SIGSEGV, Code: SEGV_MAPERR, Operation: "read", Handler: "its SIGSEGV handler called abort()"}),
			"Thread 7 dereferenced a null pointer: weight_of+0x4 read from address 0x0.",
			[]string{"The process died of the fault only indirectly: its SIGSEGV handler called abort()."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			summary, more := tt.acc.Explain(tt.kind, 7)
			if summary != tt.summary {
				t.Errorf("summary\n got %s\nwant %s", summary, tt.summary)
			}
			if !slices.Equal(more, tt.more) {
				t.Errorf("explanation\n got %q\nwant %q", more, tt.more)
			}
		})
	}
}
