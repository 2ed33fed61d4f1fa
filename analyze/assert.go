package analyze

import (
	"regexp"
	"strconv"

	"golang.org/x/arch/x86/x86asm"

	"github.com/coreview/coreview/report"
)

// assertion reads what a failed assert() reported: the expression, file,
// line and function that the caller passed to __assert_fail(assertion,
// file, line, function) in rdi, rsi, edx and rcx (psABI 3.2.3). The
// registers are long overwritten when the core is written, but compilers
// load these constants right before the call (`lea rdi, [rip+X]`, `mov
// edx, 6`), so they are read back from the caller's code and the strings
// from memory. When an argument was computed at run time it is left out;
// glibc's __abort_msg text, when present, fills what the code does not
// give.
func (a *analysis) assertion(info *report.AbortInfo, frames []report.Frame) {
	for i, f := range frames {
		if (f.Function != "__assert_fail" && f.Function != "__GI___assert_fail") || i+1 >= len(frames) {
			continue
		}
		caller := frames[i+1]
		inst, at, ok := a.s.callBefore(uint64(caller.PC))
		if !ok || inst.Op != x86asm.CALL {
			break
		}
		funcStart, _ := a.s.code.FuncStart(at)
		insts := a.s.straightLineBefore(at, funcStart)
		str := func(r x86asm.Reg) string {
			if v, ok := constantArg(insts, r); ok {
				if s, err := a.s.Mem.ReadCString(v, 4096); err == nil {
					return s
				}
			}
			return ""
		}
		info.Assertion, info.File, info.Function = str(x86asm.RDI), str(x86asm.RSI), str(x86asm.RCX)
		if v, ok := constantArg(insts, x86asm.RDX); ok {
			info.Line = int(v)
		}
		break
	}
	if m := assertMsg.FindStringSubmatch(info.Message); m != nil {
		if info.File == "" {
			info.File = m[1]
		}
		if info.Line == 0 {
			info.Line, _ = strconv.Atoi(m[2])
		}
		if info.Function == "" {
			info.Function = m[3]
		}
		if info.Assertion == "" {
			info.Assertion = m[4]
		}
	}
}

// assertMsg matches glibc's assertion message, "%s%s%s:%u: %s%sAssertion
// `%s' failed." (assert/assert.c): program, file, line, function,
// expression.
var assertMsg = regexp.MustCompile("(?s)^(?:[^:]*: )?(.+?):(\\d+): (?:(.+?): )?Assertion `(.*)' failed\\.")

// constantArg finds the constant the straight-line code insts last put in
// register r: a rip-relative lea (an address) or a mov of an immediate.
func constantArg(insts []decodedInst, r x86asm.Reg) (uint64, bool) {
	for i := len(insts) - 1; i >= 0; i-- {
		in := insts[i]
		if !writesReg(in.inst, r) {
			continue
		}
		switch in.inst.Op {
		case x86asm.LEA:
			if m, ok := in.inst.Args[1].(x86asm.Mem); ok && m.Base == x86asm.RIP && m.Index == 0 {
				return in.at + uint64(in.inst.Len) + uint64(m.Disp), true
			}
		case x86asm.MOV:
			if v, ok := in.inst.Args[1].(x86asm.Imm); ok {
				return uint64(v), true
			}
		}
		return 0, false
	}
	return 0, false
}
