package x86

import (
	"testing"

	"golang.org/x/arch/x86/x86asm"
)

// regFile is a Regs by DWARF number (psABI figure 3.36).
type regFile map[int]uint64

func (r regFile) Get(n int) (uint64, bool) {
	v, ok := r[n]
	return v, ok
}

// DWARF numbers of the registers the tests set.
const (
	dwRAX = 0
	dwRCX = 2
	dwRBX = 3
	dwRBP = 6
)

// testRegs holds values whose high halves differ from their low ones, so
// that a 32-bit register read as its 64-bit one shows.
var testRegs = regFile{
	dwRAX: 0x555500001000,
	dwRCX: 0x100000003,
	dwRBX: 0xdeadbeef00002000,
	dwRBP: 0x7ffd00001000,
}

// unchecked marks a test's words as not compared.
const unchecked = "(unchecked)"

// TestEffectiveAddr: each memory-operand form computes the address the CPU
// would and names the registers it read. The bytes are decoded, with
// objdump -M intel's reading beside them.
func TestEffectiveAddr(t *testing.T) {
	const pc = 0x401000
	tests := []struct {
		name  string
		code  string // hex
		regs  regFile
		ok    bool
		addr  uint64
		words string // OperandWords; unchecked for none
	}{
		// mov rax, QWORD PTR [rax+0x18]
		{"base+disp8", "488b4018", testRegs, true, 0x555500001000 + 0x18,
			"[rax+0x18] with rax = 0x555500001000"},
		// mov rax, QWORD PTR [rax-0x8]: a negative disp8
		{"base-disp8", "488b40f8", testRegs, true, 0x555500001000 - 8,
			"[rax-0x8] with rax = 0x555500001000"},
		// mov rax, QWORD PTR [rax+rcx*8+0x10]
		{"base+index*scale+disp", "488b44c810", testRegs, true, 0x555500001000 + 0x100000003*8 + 0x10,
			"[rax+8*rcx+0x10] with rax = 0x555500001000, rcx = 0x100000003"},
		// mov rax, QWORD PTR [rip+0x10]: counted from the next
		// instruction, pc+7.
		{"rip-relative", "488b0510000000", testRegs, true, pc + 7 + 0x10,
			"[rip+0x10]"},
		// mov rax, QWORD PTR [rbp-0x204]: disp32 0xfffffdfc,
		// sign-extended.
		{"sign-extended disp32", "488b85fcfdffff", testRegs, true, 0x7ffd00001000 - 0x204,
			"[rbp-0x204] with rbp = 0x7ffd00001000"},
		// movabs rax, ds:0x1122334455667788: a 64-bit absolute
		// address, not sign-extended from its low 32 bits.
		// Its words are not checked: x86asm writes an operand without
		// registers as "[+0x1122334455667788]", which this refactor
		// keeps.
		{"moffs64", "48a18877665544332211", testRegs, true, 0x1122334455667788, unchecked},
		// mov eax, DWORD PTR [ebx+ecx*4-0x4]: 32-bit registers are
		// the low halves of rbx and rcx.
		{"32-bit registers", "678b448bfc", testRegs, true, 0x2000 + 3*4 - 4,
			"[ebx+4*ecx-0x4] with ebx = 0x2000, ecx = 0x3"},
		// mov rax, QWORD PTR fs:0x28: the fs base (TLS) is not in
		// the registers.
		{"fs-relative refused", "64488b042528000000", testRegs, false, 0, ""},
		// mov rax, QWORD PTR [rax+0x18] without rax.
		{"base unknown", "488b4018", regFile{dwRCX: 1}, false, 0, ""},
		// mov rax, QWORD PTR [rax+rcx*8+0x10] without rcx.
		{"index unknown", "488b44c810", regFile{dwRAX: 1}, false, 0, ""},
		// mov eax, 1: no memory operand.
		{"no memory operand", "b801000000", testRegs, false, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inst, err := Decode(mustHex(tt.code))
			if err != nil {
				t.Fatal(err)
			}
			addr, _, words, ok := OperandWords(inst, tt.regs, pc)
			if ok != tt.ok || addr != tt.addr || words != tt.words && tt.words != unchecked {
				t.Errorf("OperandWords(%s) = %#x, %q, %v; want %#x, %q, %v", Intel(inst, pc), addr, words, ok, tt.addr, tt.words, tt.ok)
			}
			m, hasMem := MemOperand(inst)
			if !hasMem {
				return
			}
			ea, _, ok := EffectiveAddr(m, tt.regs, pc+uint64(inst.Len))
			if ok != tt.ok || ea != tt.addr {
				t.Errorf("EffectiveAddr = %#x, %v; want %#x, %v", ea, ok, tt.addr, tt.ok)
			}
		})
	}
}

// TestEffectiveAddrWraps: the sum wraps modulo 2^64, as the CPU's does.
func TestEffectiveAddrWraps(t *testing.T) {
	m := x86asm.Mem{Base: x86asm.RAX, Disp: 0x10}
	ea, desc, ok := EffectiveAddr(m, regFile{dwRAX: 0xfffffffffffffff8}, 0)
	if !ok || ea != 8 || desc != "rax = 0xfffffffffffffff8" {
		t.Errorf("EffectiveAddr = %#x, %q, %v; want 0x8", ea, desc, ok)
	}
}

func TestWithRegs(t *testing.T) {
	if got := WithRegs("[rip+0x10]", ""); got != "[rip+0x10]" {
		t.Errorf("no registers: %q", got)
	}
	if got := WithRegs("[rax]", "rax = 0x0"); got != "[rax] with rax = 0x0" {
		t.Errorf("with rax: %q", got)
	}
}

func TestRegValue(t *testing.T) {
	tests := []struct {
		r    x86asm.Reg
		want uint64
		ok   bool
	}{
		{x86asm.RBX, 0xdeadbeef00002000, true},
		{x86asm.EBX, 0x2000, true},
		{x86asm.ECX, 3, true},
		{x86asm.RDX, 0, false}, // not in the register file
		{x86asm.RIP, 0, false}, // not a general register
		{x86asm.BX, 0, false},  // 16-bit registers are not read
	}
	for _, tt := range tests {
		if v, ok := RegValue(testRegs, tt.r); v != tt.want || ok != tt.ok {
			t.Errorf("RegValue(%v) = %#x, %v; want %#x, %v", tt.r, v, ok, tt.want, tt.ok)
		}
	}
}

func TestRegName(t *testing.T) {
	for r, want := range map[x86asm.Reg]string{
		x86asm.RAX: "rax", x86asm.R15: "r15", x86asm.RIP: "rip", x86asm.EAX: "eax", x86asm.R9L: "r9l", x86asm.AL: "",
	} {
		if got := RegName(r); got != want {
			t.Errorf("RegName(%v) = %q, want %q", r, got, want)
		}
	}
}

func TestRegFamily(t *testing.T) {
	tests := []struct{ in, want x86asm.Reg }{
		{x86asm.RAX, x86asm.RAX}, {x86asm.EAX, x86asm.RAX}, {x86asm.AX, x86asm.RAX}, {x86asm.AL, x86asm.RAX},
		{x86asm.AH, x86asm.RAX}, {x86asm.BH, x86asm.RBX}, {x86asm.SIB, x86asm.RSI}, {x86asm.R9L, x86asm.R9},
		{x86asm.R15B, x86asm.R15}, {x86asm.R11W, x86asm.R11}, {x86asm.RIP, 0},
	}
	for _, tt := range tests {
		if got := RegFamily(tt.in); got != tt.want {
			t.Errorf("RegFamily(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestCanonical(t *testing.T) {
	tests := []struct {
		addr uint64
		want bool
	}{
		{0, true},
		{0x00007fffffffffff, true},
		{0x0000800000000000, false},
		{0xdead000000000110, false},
		{0xffff7fffffffffff, false},
		{0xffff800000000000, true},
		{0xffffffffffffffff, true},
		{0x4141414141414141, false},
	}
	for _, tt := range tests {
		if got := Canonical(tt.addr); got != tt.want {
			t.Errorf("Canonical(%#x) = %v, want %v", tt.addr, got, tt.want)
		}
	}
}

// TestWritesMemory: a store is the instruction's destination; compares,
// tests and prefetches only read their memory operand.
func TestWritesMemory(t *testing.T) {
	tests := []struct {
		code string
		want bool
	}{
		{"488907", true},     // mov QWORD PTR [rdi], rax
		{"488b07", false},    // mov rax, QWORD PTR [rdi]
		{"483907", false},    // cmp QWORD PTR [rdi], rax
		{"0f1807", false},    // prefetchnta BYTE PTR [rdi]
		{"0f2907", true},     // movaps XMMWORD PTR [rdi], xmm0
		{"50", true},         // push rax: writes below rsp
		{"e800000000", true}, // call: pushes the return address
		{"4801c0", false},    // add rax, rax
	}
	for _, tt := range tests {
		inst, err := Decode(mustHex(tt.code))
		if err != nil {
			t.Fatal(err)
		}
		if got := WritesMemory(inst); got != tt.want {
			t.Errorf("WritesMemory(%s) = %v, want %v", Intel(inst, 0), got, tt.want)
		}
	}
}

// TestWritesReg: the destination register's family is written, and a
// call clobbers the caller-saved registers (psABI 3.2.1) but not the
// callee-saved ones.
func TestWritesReg(t *testing.T) {
	tests := []struct {
		code string
		r    x86asm.Reg
		want bool
	}{
		{"8b07", x86asm.RAX, true},        // mov eax, DWORD PTR [rdi]: eax is rax's
		{"488907", x86asm.RAX, false},     // mov QWORD PTR [rdi], rax: reads rax
		{"4839c3", x86asm.RBX, false},     // cmp rbx, rax
		{"e800000000", x86asm.RCX, true},  // call: rcx is caller-saved
		{"e800000000", x86asm.RBX, false}, // call: rbx is callee-saved
		{"4887d8", x86asm.RBX, true},      // xchg rax, rbx: both written
		{"4887d8", x86asm.RAX, true},
		{"88e0", x86asm.RAX, true}, // mov al, ah
	}
	for _, tt := range tests {
		inst, err := Decode(mustHex(tt.code))
		if err != nil {
			t.Fatal(err)
		}
		if got := WritesReg(inst, tt.r); got != tt.want {
			t.Errorf("WritesReg(%s, %v) = %v, want %v", Intel(inst, 0), tt.r, got, tt.want)
		}
	}
}
