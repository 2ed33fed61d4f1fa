package report

import (
	"fmt"
	"sort"
)

// Signal numbers on x86-64 Linux (arch/x86/include/uapi/asm/signal.h).
const (
	SIGHUP    = 1
	SIGINT    = 2
	SIGQUIT   = 3
	SIGILL    = 4
	SIGTRAP   = 5
	SIGABRT   = 6
	SIGBUS    = 7
	SIGFPE    = 8
	SIGKILL   = 9
	SIGUSR1   = 10
	SIGSEGV   = 11
	SIGUSR2   = 12
	SIGPIPE   = 13
	SIGALRM   = 14
	SIGTERM   = 15
	SIGSTKFLT = 16
	SIGCHLD   = 17
	SIGCONT   = 18
	SIGSTOP   = 19
	SIGTSTP   = 20
	SIGTTIN   = 21
	SIGTTOU   = 22
	SIGURG    = 23
	SIGXCPU   = 24
	SIGXFSZ   = 25
	SIGVTALRM = 26
	SIGPROF   = 27
	SIGWINCH  = 28
	SIGIO     = 29
	SIGPWR    = 30
	SIGSYS    = 31
)

// si_code values (include/uapi/asm-generic/siginfo.h): those common to all
// signals, then each fault signal's own.
const (
	SI_USER    = 0
	SI_QUEUE   = -1
	SI_TIMER   = -2
	SI_MESGQ   = -3
	SI_ASYNCIO = -4
	SI_SIGIO   = -5
	SI_TKILL   = -6
	SI_KERNEL  = 0x80

	SEGV_MAPERR = 1
	SEGV_ACCERR = 2
	SEGV_BNDERR = 3
	SEGV_PKUERR = 4

	BUS_ADRALN    = 1
	BUS_ADRERR    = 2
	BUS_OBJERR    = 3
	BUS_MCEERR_AR = 4
	BUS_MCEERR_AO = 5

	ILL_ILLOPC = 1
	ILL_ILLOPN = 2
	ILL_ILLADR = 3
	ILL_ILLTRP = 4
	ILL_PRVOPC = 5
	ILL_PRVREG = 6
	ILL_COPROC = 7
	ILL_BADSTK = 8

	FPE_INTDIV = 1
	FPE_INTOVF = 2
	FPE_FLTDIV = 3
	FPE_FLTOVF = 4
	FPE_FLTUND = 5
	FPE_FLTRES = 6
	FPE_FLTINV = 7
	FPE_FLTSUB = 8

	TRAP_BRKPT  = 1
	TRAP_TRACE  = 2
	TRAP_BRANCH = 3
	TRAP_HWBKPT = 4
)

var signalNames = map[int]string{
	SIGHUP: "SIGHUP", SIGINT: "SIGINT", SIGQUIT: "SIGQUIT", SIGILL: "SIGILL", SIGTRAP: "SIGTRAP", SIGABRT: "SIGABRT",
	SIGBUS: "SIGBUS", SIGFPE: "SIGFPE", SIGKILL: "SIGKILL", SIGUSR1: "SIGUSR1", SIGSEGV: "SIGSEGV", SIGUSR2: "SIGUSR2",
	SIGPIPE: "SIGPIPE", SIGALRM: "SIGALRM", SIGTERM: "SIGTERM", SIGSTKFLT: "SIGSTKFLT", SIGCHLD: "SIGCHLD",
	SIGCONT: "SIGCONT", SIGSTOP: "SIGSTOP", SIGTSTP: "SIGTSTP", SIGTTIN: "SIGTTIN", SIGTTOU: "SIGTTOU",
	SIGURG: "SIGURG", SIGXCPU: "SIGXCPU", SIGXFSZ: "SIGXFSZ", SIGVTALRM: "SIGVTALRM", SIGPROF: "SIGPROF",
	SIGWINCH: "SIGWINCH", SIGIO: "SIGIO", SIGPWR: "SIGPWR", SIGSYS: "SIGSYS",
}

// SignalName returns the name of signal n ("SIGSEGV").
func SignalName(n int) string {
	if s, ok := signalNames[n]; ok {
		return s
	}
	return fmt.Sprintf("signal %d", n)
}

// SignalNames lists the signal names coreview knows ("SIGABRT"…), sorted.
func SignalNames() []string {
	out := make([]string, 0, len(signalNames))
	for _, s := range signalNames {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

var commonCodes = map[int]string{
	SI_USER: "SI_USER", SI_QUEUE: "SI_QUEUE", SI_TIMER: "SI_TIMER", SI_MESGQ: "SI_MESGQ", SI_ASYNCIO: "SI_ASYNCIO",
	SI_SIGIO: "SI_SIGIO", SI_TKILL: "SI_TKILL", SI_KERNEL: "SI_KERNEL",
}

var faultCodes = map[int]map[int]string{
	SIGSEGV: {SEGV_MAPERR: "SEGV_MAPERR", SEGV_ACCERR: "SEGV_ACCERR", SEGV_BNDERR: "SEGV_BNDERR", SEGV_PKUERR: "SEGV_PKUERR"},
	SIGBUS:  {BUS_ADRALN: "BUS_ADRALN", BUS_ADRERR: "BUS_ADRERR", BUS_OBJERR: "BUS_OBJERR", BUS_MCEERR_AR: "BUS_MCEERR_AR", BUS_MCEERR_AO: "BUS_MCEERR_AO"},
	SIGILL: {ILL_ILLOPC: "ILL_ILLOPC", ILL_ILLOPN: "ILL_ILLOPN", ILL_ILLADR: "ILL_ILLADR", ILL_ILLTRP: "ILL_ILLTRP",
		ILL_PRVOPC: "ILL_PRVOPC", ILL_PRVREG: "ILL_PRVREG", ILL_COPROC: "ILL_COPROC", ILL_BADSTK: "ILL_BADSTK"},
	SIGFPE: {FPE_INTDIV: "FPE_INTDIV", FPE_INTOVF: "FPE_INTOVF", FPE_FLTDIV: "FPE_FLTDIV", FPE_FLTOVF: "FPE_FLTOVF",
		FPE_FLTUND: "FPE_FLTUND", FPE_FLTRES: "FPE_FLTRES", FPE_FLTINV: "FPE_FLTINV", FPE_FLTSUB: "FPE_FLTSUB"},
	SIGTRAP: {TRAP_BRKPT: "TRAP_BRKPT", TRAP_TRACE: "TRAP_TRACE", TRAP_BRANCH: "TRAP_BRANCH", TRAP_HWBKPT: "TRAP_HWBKPT"},
}

var codeMeanings = map[string]string{
	"SEGV_MAPERR": "address not mapped", "SEGV_ACCERR": "invalid permissions for mapped object",
	"BUS_ADRALN": "invalid address alignment", "BUS_ADRERR": "nonexistent physical address",
	"BUS_OBJERR": "object-specific hardware error", "ILL_ILLOPC": "illegal opcode",
	"FPE_INTDIV": "integer divide by zero", "FPE_INTOVF": "integer overflow",
	"SI_USER": "sent by kill", "SI_TKILL": "sent by tkill/tgkill",
	"SI_QUEUE":  "sent by sigqueue",
	"SI_KERNEL": "sent by the kernel",
}

// CodeName returns the name of si_code for signal signo ("SEGV_MAPERR").
func CodeName(signo, code int) string {
	if code > 0 && code != SI_KERNEL {
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

// CodeMeaningFrom explains si_code in words, as CodeMeaning does, and for
// a signal a process sent (SI_USER, SI_TKILL, SI_QUEUE) also says whether
// the process sent it to itself or another process did: si_pid is the
// sender, pid the dumped process (0 when the core does not say). raise,
// abort and pthread_kill send SI_TKILL to their own process, and so does
// a watchdog's tgkill from another one; only the sender tells them apart.
func CodeMeaningFrom(name string, senderPID, pid int) string {
	m := codeMeanings[name]
	if m == "" {
		return ""
	}
	switch name {
	case "SI_USER", "SI_TKILL", "SI_QUEUE":
	default:
		return m
	}
	switch {
	case pid == 0 || senderPID == 0:
		// The process's pid is unknown, or the sender's is hidden (a
		// sender outside the process's pid namespace reads as 0).
		return m
	case senderPID == pid && name == "SI_TKILL":
		return m + " from the process itself (raise, abort, pthread_kill)"
	case senderPID == pid:
		return m + " from the process itself"
	default:
		return m + " from another process"
	}
}
