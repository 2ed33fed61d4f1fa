package analyze

import (
	"encoding/binary"

	"golang.org/x/arch/x86/x86asm"

	"github.com/coreview/coreview/internal/x86"
	"github.com/coreview/coreview/stackmap"
)

// A handler installed without SA_SIGINFO gets no siginfo: the kernel
// copies it into the rt_sigframe only for SA_SIGINFO (x64_setup_rt_frame in
// arch/x86/kernel/signal_64.c), so the slot after the ucontext holds
// whatever the stack held before. The sigcontext is always written, and
// setup_sigcontext puts in it the thread's last hardware fault: trapno (the
// x86 exception vector), err (its error code) and cr2 (the faulting linear
// address of a page fault). Those are the thread's last fault, not
// necessarily this signal's: a thread that took and survived a fault long
// ago still carries its trapno and cr2. So a page fault read from there is
// believed only when the interrupted instruction, decoded and evaluated with
// the interrupted registers, accesses the address in cr2.

// Offsets in struct sigcontext_64 (arch/x86/include/uapi/asm/sigcontext.h):
// r8…r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags (8 bytes
// each), cs, gs, fs, ss (2 bytes each), then err, trapno, oldmask, cr2.
const (
	ucMcontext = 40 // offsetof(struct ucontext, uc_mcontext)
	scErr      = 152
	scTrapno   = 160
	scCR2      = 176

	trapPF = 14 // #PF, page fault
	// pfProt is bit 0 of a page fault's error code: set when the page was
	// present and the access violated its protection (SEGV_ACCERR), clear
	// when it was not present (SEGV_MAPERR).
	pfProt  = 1
	segvMap = 1 // SEGV_MAPERR
	segvAcc = 2 // SEGV_ACCERR
	sigsegv = 11
)

// hardwareFault is a page fault the sigcontext of a signal frame records.
type hardwareFault struct {
	Signo, Code int
	Addr        uint64
}

// sigcontextFault returns the page fault the signal frame with stack
// pointer sp (its trampoline frame's) records in its sigcontext, when the
// interrupted instruction at regs' PC accesses cr2 (see above).
func (s *Session) sigcontextFault(sp uint64, regs stackmap.Regs) (hardwareFault, bool) {
	var b [scCR2 + 8]byte
	if _, err := s.Mem.ReadAt(b[:], sp+ucMcontext); err != nil {
		return hardwareFault{}, false
	}
	le := binary.LittleEndian
	errCode, trapno, cr2 := le.Uint64(b[scErr:]), le.Uint64(b[scTrapno:]), le.Uint64(b[scCR2:])
	if trapno != trapPF || !s.accesses(regs, cr2) {
		return hardwareFault{}, false
	}
	code := segvMap
	if errCode&pfProt != 0 {
		code = segvAcc
	}
	return hardwareFault{Signo: sigsegv, Code: code, Addr: cr2}, true
}

// accesses reports whether the instruction at regs' PC, run with regs,
// touches addr: its memory operand's bytes hold it (string instructions
// read [rsi] and write [rdi]); a push or call writes the 8 bytes below
// rsp.
func (s *Session) accesses(regs stackmap.Regs, addr uint64) bool {
	pc, ok := regs.Get(stackmap.RIP)
	if !ok {
		return false
	}
	inst, ok := s.decodeAt(pc)
	if !ok {
		return false
	}
	size := uint64(max(inst.MemBytes, 1))
	within := func(ea uint64) bool { return addr >= ea && addr-ea < size }
	rsp, _ := x86.RegValue(&regs, x86asm.RSP)
	switch {
	case inst.Op == x86asm.PUSH || inst.Op == x86asm.CALL:
		if within(rsp-8) || rsp-8 <= addr && addr < rsp {
			return true
		}
	case x86.IsStringOp(inst.Op):
		rsi, _ := x86.RegValue(&regs, x86asm.RSI)
		rdi, _ := x86.RegValue(&regs, x86asm.RDI)
		return within(rsi) || within(rdi)
	}
	// An access that crosses into an unmapped page faults at that
	// page's first byte, which is still inside the operand.
	ea, _, _, ok := x86.OperandWords(inst, &regs, pc)
	return ok && within(ea)
}

// faultFromSignalFrame returns the fault behind a signal handler: the
// siginfo of the frame when it holds a fault signal (SA_SIGINFO handlers),
// otherwise the page fault of its sigcontext.
func (s *Session) faultFromSignalFrame(sp uint64) (signo, code int, addr uint64, regs stackmap.Regs, ok bool) {
	si, err := stackmap.ReadSignalFrame(s.Mem, sp)
	if err != nil {
		return 0, 0, 0, regs, false
	}
	// si_code > 0: raised by the kernel for the thread's own instruction.
	if (si.Signo == sigsegv || si.Signo == 7) && si.Code > 0 {
		return si.Signo, si.Code, si.Addr, si.Regs, true
	}
	if hf, ok := s.sigcontextFault(sp, si.Regs); ok {
		return hf.Signo, hf.Code, hf.Addr, si.Regs, true
	}
	return 0, 0, 0, si.Regs, false
}
