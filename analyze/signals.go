package analyze

import "fmt"

var signalNames = map[int]string{
	1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT",
	7: "SIGBUS", 8: "SIGFPE", 9: "SIGKILL", 10: "SIGUSR1", 11: "SIGSEGV", 12: "SIGUSR2",
	13: "SIGPIPE", 14: "SIGALRM", 15: "SIGTERM", 16: "SIGSTKFLT", 17: "SIGCHLD",
	18: "SIGCONT", 19: "SIGSTOP", 20: "SIGTSTP", 21: "SIGTTIN", 22: "SIGTTOU",
	23: "SIGURG", 24: "SIGXCPU", 25: "SIGXFSZ", 26: "SIGVTALRM", 27: "SIGPROF",
	28: "SIGWINCH", 29: "SIGIO", 30: "SIGPWR", 31: "SIGSYS",
}

// SignalName returns the name of signal n ("SIGSEGV").
func SignalName(n int) string {
	if s, ok := signalNames[n]; ok {
		return s
	}
	return fmt.Sprintf("signal %d", n)
}

// si_code values common to all signals (include/uapi/asm-generic/siginfo.h).
var commonCodes = map[int]string{
	0: "SI_USER", -1: "SI_QUEUE", -2: "SI_TIMER", -3: "SI_MESGQ", -4: "SI_ASYNCIO",
	-5: "SI_SIGIO", -6: "SI_TKILL", 0x80: "SI_KERNEL",
}

var faultCodes = map[int]map[int]string{
	11: {1: "SEGV_MAPERR", 2: "SEGV_ACCERR", 3: "SEGV_BNDERR", 4: "SEGV_PKUERR"},
	7:  {1: "BUS_ADRALN", 2: "BUS_ADRERR", 3: "BUS_OBJERR", 4: "BUS_MCEERR_AR", 5: "BUS_MCEERR_AO"},
	4:  {1: "ILL_ILLOPC", 2: "ILL_ILLOPN", 3: "ILL_ILLADR", 4: "ILL_ILLTRP", 5: "ILL_PRVOPC", 6: "ILL_PRVREG", 7: "ILL_COPROC", 8: "ILL_BADSTK"},
	8:  {1: "FPE_INTDIV", 2: "FPE_INTOVF", 3: "FPE_FLTDIV", 4: "FPE_FLTOVF", 5: "FPE_FLTUND", 6: "FPE_FLTRES", 7: "FPE_FLTINV", 8: "FPE_FLTSUB"},
	5:  {1: "TRAP_BRKPT", 2: "TRAP_TRACE", 3: "TRAP_BRANCH", 4: "TRAP_HWBKPT"},
}

var codeMeanings = map[string]string{
	"SEGV_MAPERR": "address not mapped", "SEGV_ACCERR": "invalid permissions for mapped object",
	"BUS_ADRALN": "invalid address alignment", "BUS_ADRERR": "nonexistent physical address",
	"BUS_OBJERR": "object-specific hardware error", "ILL_ILLOPC": "illegal opcode",
	"FPE_INTDIV": "integer divide by zero", "FPE_INTOVF": "integer overflow",
	"SI_USER": "sent by kill", "SI_TKILL": "sent by tkill/tgkill (raise, abort)",
	"SI_KERNEL": "sent by the kernel",
}

// CodeName returns the name of si_code for signal signo ("SEGV_MAPERR").
func CodeName(signo, code int) string {
	if code > 0 && code != 0x80 {
		if m, ok := faultCodes[signo]; ok {
			if s, ok := m[code]; ok {
				return s
			}
		}
	}
	if s, ok := commonCodes[code]; ok {
		return s
	}
	return fmt.Sprintf("code %d", code)
}

// CodeMeaning explains an si_code name in words, or returns "".
func CodeMeaning(name string) string { return codeMeanings[name] }
