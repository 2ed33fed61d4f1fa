package scan

// sarifRule is a SARIF reportingDescriptor's words for one diagnosis kind:
// GitHub code scanning shows shortDescription beside each alert, the
// fullDescription at the top of one, and help (text, or Markdown when
// given) as its documentation; each is required there.
type sarifRule struct {
	short, full, help string
}

// noDiagnosis is the rule of a crash that no diagnosis explains: only its
// signal and stack are known.
const noDiagnosis = "crash"

// sarifRules are the rules, one per diagnosis kind (report.DiagnosisKinds)
// and one for a crash without a diagnosis. The words say what the
// diagnosis means for any core, as the README's table does.
var sarifRules = map[string]sarifRule{
	"stack-overflow": {"A thread ran out of stack",
		"The fault, or the stack pointer, lies in a stack's guard page, in the gap below the main stack, or just below a stack: the thread used all of its stack.",
		"The crashed thread's stack grew into its guard. coreview's report names the stack (thread, main, stacker segment, sigaltstack), its size, the frame that did not fit and the bytes left, and the recursion that filled it. Fix the recursion, or give the thread a bigger stack (ulimit -s, pthread_attr_setstacksize, std::thread::Builder::stack_size, RUST_MIN_STACK)."},
	"stack-segments": {"A thread's frames run on more than one stack mapping",
		"Something (psm, as used by stacker) switched the stack pointer onto a separately allocated segment; the frames run on several mappings.",
		"The report lists the segments with their guards, the frames on each, and where the stack addresses jump. It explains stack addresses that are not monotonic; on its own it is not the cause of the crash."},
	"unrelocated-pointer": {"A pointer was used without its load address added",
		"The program counter or the fault address is a module's link-time address: the loader did not relocate a pointer (DT_RELR ignored by an old libc, a hook run before relocation).",
		"A position-independent module is linked as if loaded at 0, and the loader must add its load address to every pointer it stores. The report names the module, the symbol the pointer should have reached, the slot it came from with its relocation, and how many of the module's relocations were applied. musl before 1.2.4 and glibc before 2.36 ignore DT_RELR: link with -z pack-relative-relocs only for newer C libraries."},
	"early-init": {"The process crashed before main",
		"The crashed thread never reached main: the crash is in the loader, the C library's start-up, or a constructor.",
		"The report shows the start-up path and the executable's link facts (static, static-pie, interpreter, DT_RELR, TLS): check that the C library the program runs with is the one it was built for."},
	"null-call": {"A call through a null function pointer",
		"The program counter is in the first 64 KiB: a call or jump through a null function pointer (or one with a small offset).",
		"The report shows the call site, the decoded call instruction, and the slot the target was loaded from (a vtable entry, a GOT slot, a struct field) with its ELF section and relocation."},
	"bad-pc": {"A jump to unmapped code",
		"The program counter lies in no mapping: code that was unloaded (dlclose), a stale or corrupt function pointer, or an unrelocated pointer.",
		"The report shows the call site, the decoded call instruction and the slot the target was loaded from, with its value."},
	"exec-non-exec": {"A jump into memory without execute permission",
		"The program counter lies in a mapping without execute permission: data called as code, a corrupt return address or function pointer.",
		"The report shows the mapping the target is in, the call site, and the slot the target was loaded from."},
	"null-dereference": {"A read or write through a null pointer",
		"The faulting instruction accessed an address in the first 64 KiB: a null pointer, or a field of a null structure.",
		"The report shows the decoded instruction, its memory operand with the register values, and the function and source line."},
	"write-to-readonly": {"A write to read-only memory",
		"The faulting instruction wrote to a mapping without write permission: a string literal, a constant, or code.",
		"The report shows the decoded instruction, its memory operand, and the mapping the address lies in."},
	"invalid-access": {"An access to unmapped memory",
		"The faulting instruction read or wrote an address that no mapping holds: a dangling, corrupt or uninitialized pointer.",
		"The report shows the decoded instruction, its memory operand with the register values, and where the address lies relative to the nearest mappings."},
	"non-canonical-address": {"An access to a non-canonical address",
		"The faulting instruction used an address whose bits 63 to 47 are not all equal (a general-protection fault), such as allocator poison (0xdead…) or a corrupt pointer.",
		"The kernel reports no address for a general-protection fault; coreview computes it from the instruction's operand and registers."},
	"bus-error": {"A bus error",
		"SIGBUS: an access to a file mapping past the end of its file, or to memory the hardware cannot reach.",
		"The report shows the decoded instruction and the mapping the address lies in; a file truncated while it was mapped is the common cause."},
	"misaligned": {"A misaligned access",
		"An instruction that needs an aligned operand (SSE movaps, alignment check) got a misaligned address.",
		"The report shows the instruction and the address it computed from its operand; a stack misaligned by a hand-written call or a packed structure are common causes."},
	"illegal-instruction": {"An illegal instruction",
		"SIGILL: the CPU could not execute the instruction, such as ud2 (a trap the compiler placed, as Rust's and Clang's) or an instruction this CPU lacks.",
		"The report shows the instruction; ud2 marks code the compiler proved unreachable, or an explicit trap (Rust's intrinsics::abort, __builtin_trap)."},
	"divide-error": {"A division by zero or overflow",
		"SIGFPE from a div or idiv: a divisor of zero, or a quotient that does not fit (INT_MIN / -1).",
		"The report shows the division instruction and its operands."},
	"abort": {"The process aborted",
		"SIGABRT: the program called abort, through a failed assertion, a Rust panic that cannot unwind, std's stack-overflow handler, malloc's heap-corruption check, fortify or the stack protector.",
		"The report says who aborted (the assertion with its file and line, the panic, the heap check) and the message glibc recorded in __abort_msg when there is one."},
	"killed": {"Another process killed this one",
		"A signal sent by kill, tgkill or sigqueue (SI_USER, SI_TKILL, SI_QUEUE), not a fault: another process, or the process itself, ended it.",
		"The report names the sender (its pid in the dead process's PID namespace, and its uid) and where the thread was when the signal arrived. Look at who sent it: a watchdog, a supervisor's timeout, the OOM killer's helper, an administrator."},
	noDiagnosis: {"A crash no diagnosis explains",
		"The process was killed by a signal, and none of coreview's diagnoses applies: only the signal and the stack are known.",
		"The report shows every thread's stack and the signal's details; look at the crashed thread's first frames."},
}
