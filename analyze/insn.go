package analyze

import (
	"fmt"
	"strings"

	"golang.org/x/arch/x86/x86asm"

	"github.com/coreview/coreview/internal/x86"
	"github.com/coreview/coreview/stackmap"
)

// decodeAt decodes the instruction at pc.
func (s *Session) decodeAt(pc uint64) (x86asm.Inst, bool) {
	var b [16]byte
	n, _ := s.Mem.ReadAt(b[:], pc)
	if n == 0 {
		return x86asm.Inst{}, false
	}
	inst, err := x86.Decode(b[:n])
	return inst, err == nil
}

// callBefore finds the call instruction that ends at return address ra,
// by the one rule the unwinder uses too (x86.CallBefore): the instruction,
// and the address it starts at.
func (s *Session) callBefore(ra uint64) (x86asm.Inst, uint64, bool) {
	c, ok := x86.CallBefore(s.Mem, ra)
	return c.Inst, c.Addr, ok
}

// dwarfReg maps x86asm's 64-bit registers to DWARF numbers.
var dwarfReg = map[x86asm.Reg]int{
	x86asm.RAX: 0, x86asm.RDX: 1, x86asm.RCX: 2, x86asm.RBX: 3, x86asm.RSI: 4, x86asm.RDI: 5,
	x86asm.RBP: 6, x86asm.RSP: 7, x86asm.R8: 8, x86asm.R9: 9, x86asm.R10: 10, x86asm.R11: 11,
	x86asm.R12: 12, x86asm.R13: 13, x86asm.R14: 14, x86asm.R15: 15,
}

// regValue returns a register's value in regs: 64-bit registers whole,
// 32-bit ones as their low half.
func regValue(regs *stackmap.Regs, r x86asm.Reg) (uint64, bool) {
	if r >= x86asm.EAX && r <= x86asm.R15L {
		v, ok := regValue(regs, regFamily(r))
		return v & 0xffffffff, ok
	}
	n, ok := dwarfReg[r]
	if !ok {
		return 0, false
	}
	return regs.Get(n)
}

// memOperand returns the memory operand of inst, if any.
func memOperand(inst x86asm.Inst) (x86asm.Mem, bool) {
	for _, a := range inst.Args {
		if m, ok := a.(x86asm.Mem); ok {
			return m, true
		}
	}
	return x86asm.Mem{}, false
}

// effectiveAddr computes a memory operand's address from the registers the
// instruction ran with; next is the address of the following instruction
// (for rip-relative operands). It also returns the operand in words:
// "[rax+0x18] with rax = 0x55…".
func effectiveAddr(m x86asm.Mem, regs *stackmap.Regs, next uint64) (uint64, string, bool) {
	if m.Segment != 0 {
		return 0, "", false // fs:/gs: relative (TLS): base not in the registers
	}
	var addr uint64
	var parts []string
	switch {
	case m.Base == x86asm.RIP:
		addr = next
	case m.Base != 0:
		v, ok := regValue(regs, m.Base)
		if !ok {
			return 0, "", false
		}
		addr = v
		parts = append(parts, fmt.Sprintf("%s = %#x", regName(m.Base), v))
	}
	if m.Index != 0 {
		v, ok := regValue(regs, m.Index)
		if !ok {
			return 0, "", false
		}
		addr += v * uint64(m.Scale)
		parts = append(parts, fmt.Sprintf("%s = %#x", regName(m.Index), v))
	}
	// x86asm leaves a 32-bit displacement unextended ([rbp-0x204] has
	// Disp 0xfffffdfc); the CPU sign-extends it to 64 bits. Only an
	// absolute moffs64 operand (no base, no index) holds a full 64-bit
	// displacement.
	disp := m.Disp
	if m.Base != 0 || m.Index != 0 {
		disp = int64(int32(disp))
	}
	addr += uint64(disp)
	desc := ""
	for i, p := range parts {
		if i > 0 {
			desc += ", "
		}
		desc += p
	}
	return addr, desc, true
}

// operandWords evaluates inst's memory operand with regs (pc is inst's
// address): its address, the operand, and the operand in words,
// "[rax+0x18] with rax = 0x0".
func operandWords(inst x86asm.Inst, regs *stackmap.Regs, pc uint64) (uint64, x86asm.Mem, string, bool) {
	m, ok := memOperand(inst)
	if !ok {
		return 0, m, "", false
	}
	ea, desc, ok := effectiveAddr(m, regs, pc+uint64(inst.Len))
	if !ok {
		return 0, m, "", false
	}
	return ea, m, withRegs(memString(m), desc), true
}

// withRegs appends the registers an operand used: "[rax+0x18] with rax = 0x0".
func withRegs(operand, desc string) string {
	if desc == "" {
		return operand
	}
	return operand + " with " + desc
}

func regName(r x86asm.Reg) string {
	if r >= x86asm.EAX && r <= x86asm.R15L {
		return strings.ToLower(r.String())
	}
	return map[x86asm.Reg]string{
		x86asm.RAX: "rax", x86asm.RBX: "rbx", x86asm.RCX: "rcx", x86asm.RDX: "rdx", x86asm.RSI: "rsi",
		x86asm.RDI: "rdi", x86asm.RBP: "rbp", x86asm.RSP: "rsp", x86asm.R8: "r8", x86asm.R9: "r9",
		x86asm.R10: "r10", x86asm.R11: "r11", x86asm.R12: "r12", x86asm.R13: "r13", x86asm.R14: "r14",
		x86asm.R15: "r15", x86asm.RIP: "rip",
	}[r]
}

// intel prints an instruction in Intel syntax, as objdump -M intel does.
func intel(inst x86asm.Inst, pc uint64) string {
	return x86asm.IntelSyntax(inst, pc, nil)
}

// Listing sizes at the crash: mdb's ::dis and gdb's x/i show a screenful;
// this is enough to see the instruction and what set up its operands.
const (
	insnsBefore = 8
	insnsAfter  = 4
)

// crashListing disassembles the crashed thread's code around its PC. When
// the PC is not code (a call through a null or wild pointer), it lists the
// caller around the call that went there instead; callSite is then true.
func (a *analysis) crashListing() (lines []x86.Line, callSite bool) {
	ct := a.crashed()
	if ct == nil || len(ct.stack.Frames) == 0 {
		return nil, false
	}
	st := ct.stack
	pc := st.Frames[0].PC
	if !a.s.Mem.Executable(pc) {
		if len(st.Frames) < 2 || st.Frames[1].Method != stackmap.MethodCall {
			return nil, false
		}
		_, at, ok := a.s.callBefore(st.Frames[1].PC)
		if !ok {
			return nil, false
		}
		pc, callSite = at, true
	}
	start, ok := a.s.code.FuncStart(pc)
	if !ok {
		// No symbol (a stripped module): the FDE's start is a function's
		// first instruction too.
		cfi, bias, found := a.s.code.CFI(pc)
		if !found {
			return nil, false
		}
		fi, found := cfi.FrameInfo(pc - bias)
		if !found {
			return nil, false
		}
		start = fi.Begin + bias
	}
	lines, ok = x86.Listing(a.s.Mem, start, pc, insnsBefore, insnsAfter, a.s.codeSymbol)
	if !ok {
		return nil, false
	}
	return lines, callSite
}

// codeSymbol names the function holding a code address, for branch
// targets in listings.
func (s *Session) codeSymbol(addr uint64) (string, uint64, bool) {
	m := s.Modules.Module(addr)
	if m == nil {
		return "", 0, false
	}
	sym, ok := m.Lookup(m.FileAddr(addr))
	if !ok {
		return "", 0, false
	}
	return s.demangle(sym.Name), sym.Addr + m.Bias, true
}
