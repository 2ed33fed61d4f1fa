package stackmap

import (
	"encoding/binary"
	"fmt"
)

// restoreRT is the code of the x86-64 signal return trampoline, glibc's and
// musl's __restore_rt: mov $0xf,%rax (rt_sigreturn); syscall. gdb
// recognizes signal frames by these bytes too (amd64_linux_sigtramp_p).
var restoreRT = []byte{0x48, 0xc7, 0xc0, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05}

// Layout of the kernel's rt_sigframe on x86-64 (arch/x86/include/asm/
// sigframe.h) as seen at the trampoline, after the handler's ret popped
// pretcode: rsp points at struct ucontext { uc_flags, uc_link, uc_stack
// (24 bytes), uc_mcontext, uc_sigmask }, followed by the siginfo.
const (
	ucMcontext     = 40                      // offsetof(struct ucontext, uc_mcontext)
	ucSize         = 40 + sigcontextSize + 8 // sizeof(struct ucontext)
	sigcontextSize = 256
)

// sigcontext field order (struct sigcontext_64): r8..r15, rdi, rsi, rbp,
// rbx, rdx, rax, rcx, rsp, rip, eflags, ...
var sigcontextRegOrder = [...]int{8, 9, 10, 11, 12, 13, 14, 15, RDI, RSI, RBP, RBX, RDX, RAX, RCX, RSP, RIP}

// sigcontextRegs reads the interrupted registers from the ucontext at sp.
func sigcontextRegs(mem Memory, sp uint64) (Regs, error) {
	var buf [len(sigcontextRegOrder) * 8]byte
	var regs Regs
	if _, err := mem.ReadAt(buf[:], sp+ucMcontext); err != nil {
		return regs, fmt.Errorf("signal frame at %#x: %w", sp, err)
	}
	for i, n := range sigcontextRegOrder {
		regs.Set(n, binary.LittleEndian.Uint64(buf[8*i:]))
	}
	return regs, nil
}

// SignalInfo is what a signal frame records about the signal it delivered.
type SignalInfo struct {
	Signo, Code int
	Addr        uint64 // si_addr
	Regs        Regs   // the interrupted context
}

// ReadSignalFrame reads the siginfo and interrupted registers of the signal
// frame whose trampoline frame has stack pointer sp: the kernel places the
// siginfo right after the ucontext (struct rt_sigframe).
func ReadSignalFrame(mem Memory, sp uint64) (*SignalInfo, error) {
	regs, err := sigcontextRegs(mem, sp)
	if err != nil {
		return nil, err
	}
	var si [24]byte
	if _, err := mem.ReadAt(si[:], sp+ucSize); err != nil {
		return nil, fmt.Errorf("siginfo of signal frame at %#x: %w", sp, err)
	}
	le := binary.LittleEndian
	return &SignalInfo{
		Signo: int(int32(le.Uint32(si[0:]))),
		Code:  int(int32(le.Uint32(si[8:]))),
		Addr:  le.Uint64(si[16:]),
		Regs:  regs,
	}, nil
}
