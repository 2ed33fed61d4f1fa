package report

// StackOverflow is the detail of a "stack-overflow" diagnosis: a thread ran
// out of stack and touched the guard page (or the gap) below it.
type StackOverflow struct {
	Stack        StackExtent     `json:"stack"`
	FaultAddress Addr            `json:"fault_address"`
	SP           Addr            `json:"sp"`
	Frame        FrameNeed       `json:"frame"`
	Remaining    int64           `json:"remaining"`
	Depth        int             `json:"depth"`
	Recursion    []RecursionRun  `json:"recursion"`
	TopConsumers []FunctionBytes `json:"top_consumers"`
	Hints        []string        `json:"hints"`
	// Handler names what turned the fault into the signal that killed
	// the process, when it was not the fault itself (Rust std's
	// stack-overflow handler, which aborts).
	Handler string `json:"handler,omitempty"`
	// Segment is what the frames say about a stack segment (kind
	// "segment"): where the thread switched onto it and how big it is.
	Segment *SegmentExtent `json:"segment,omitempty"`
	// Stacker is what stacker believed about the thread's stack: its
	// STACK_LIMIT thread-local, when the executable links stacker and its
	// TLS block can be located.
	Stacker *StackerLimit `json:"stacker,omitempty"`
}

// StackerLimit is the value of stacker's STACK_LIMIT thread-local
// (Cell<Option<usize>>) for the overflowing thread.
type StackerLimit struct {
	// State is the thread-local's: "alive" (read or set), "uninitialized"
	// (no stacker call ran on the thread) or "destroyed".
	State string `json:"state"`
	// Limit is the lowest usable stack address stacker believed in; null
	// for None (it could not see the stack's limit) or when not alive.
	Limit *Addr `json:"limit"`
	// Address is where the thread-local is (fs_base minus the
	// executable's TLS block offset plus the symbol's).
	Address Addr `json:"address"`
}

// StackExtent is the stack that overflowed and the guard below it.
type StackExtent struct {
	Kind       StackKind `json:"kind"`
	Start      Addr      `json:"start"`
	End        Addr      `json:"end"`
	GuardStart Addr      `json:"guard_start"`
	GuardEnd   Addr      `json:"guard_end"`
	// Gap is set when there is no guard mapping, only unmapped space
	// below the stack (the main stack's stack_guard_gap).
	Gap bool `json:"gap,omitempty"`
}

// SegmentExtent is what a thread's frames say about the stack segment it
// overflowed: where the stack pointer was switched onto it and so where
// the segment really ends, which the mapping does not say when the kernel
// merged it with a neighbour.
type SegmentExtent struct {
	// SwitchFrame is the frame where the stack pointer moved onto the
	// segment (rust_psm_on_stack), and SwitchFunction its function.
	SwitchFrame    int    `json:"switch_frame"`
	SwitchFunction string `json:"switch_function"`
	// Stacker is set when the switch is psm's (stacker::grow,
	// stacker::maybe_grow).
	Stacker bool `json:"stacker"`
	// Top is the segment's top as the switch shows it: the highest SP or
	// CFA of the frames on the segment, rounded up to a page.
	Top Addr `json:"top"`
	// Pages is the segment with its guard as stacker maps it: (Top −
	// the guard's end) / 4096 + 2 (the guard page, and one page stacker
	// adds above the requested size).
	Pages int `json:"pages,omitempty"`
	// Requested is (Pages − 2) × 4096: the size stacker was asked for,
	// rounded up to pages.
	Requested uint64 `json:"requested,omitempty"`
	// MappingExtra is how many bytes the RW mapping holding the segment
	// extends beyond stacker's Pages − 1 RW pages: the kernel merged it
	// with the anonymous RW mapping next to it.
	MappingExtra uint64 `json:"mapping_extra,omitempty"`
}

// StackSegments is the detail of a "stack-segments" diagnosis: a thread's
// frames run on more than one mapping, because something (psm, used by
// stacker) switched the stack pointer to a freshly allocated segment.
type StackSegments struct {
	Segments []Segment `json:"segments"`
	Switches []Switch  `json:"switches"`
}

// Segment is a run of consecutive frames on one mapping.
type Segment struct {
	Start      Addr   `json:"start"`
	End        Addr   `json:"end"`
	GuardStart Addr   `json:"guard_start,omitempty"`
	GuardEnd   Addr   `json:"guard_end,omitempty"`
	Role       Role   `json:"role"`
	FirstFrame int    `json:"first_frame"`
	LastFrame  int    `json:"last_frame"`
	BytesUsed  uint64 `json:"bytes_used"`
}

// Switch is the frame where the stack pointer moved to another mapping:
// the outermost frame of the inner segment's caller side.
type Switch struct {
	Frame    int    `json:"frame"`
	Function string `json:"function"`
	// Direction is where the callee's stack lies relative to the
	// caller's: "down" (lower addresses, as for any call) or "up" (the
	// new segment lies above the old stack, so stack addresses go up at
	// the call, as in the Oxide rustc core).
	Direction string `json:"direction"`
	// Stacker is set when the switch is stacker's (psm's or stacker's
	// functions around it), for the explanation; not in the JSON of
	// coreview.report/v1 yet.
	Stacker bool `json:"-"`
}

// ControlFlow is the detail of the diagnoses about a PC that makes no
// sense: null-call, bad-pc, unrelocated-pointer.
type ControlFlow struct {
	PC    Addr   `json:"pc"`
	Where string `json:"where"`
	// Caller is the frame that made the call, found from the return
	// address at [rsp].
	Caller *FrameRef `json:"caller,omitempty"`
	// Call is the call instruction before the return address.
	Call     string `json:"call_instruction,omitempty"`
	CallSite Addr   `json:"call_site,omitempty"`
	// Slot is the memory the call loaded its target from, for an indirect
	// call through memory (a vtable or GOT slot, a struct field).
	Slot *Slot `json:"slot,omitempty"`
	// Register is the register an indirect call through a register used.
	Register string `json:"register,omitempty"`
	// LoadedBy is the instruction that loaded that register, found on the
	// straight-line path before the call: `mov rax, qword ptr [rip+X]`.
	LoadedBy string `json:"loaded_by,omitempty"`
	// Target names the mapping the PC is in, in words ("the heap
	// [0x…–0x… rw-]"), and TargetPerms its permissions, for an
	// exec-non-exec's summary; not in the JSON of coreview.report/v1.
	Target      string `json:"-"`
	TargetPerms string `json:"-"`
}

// FrameRef names a frame.
type FrameRef struct {
	Index    int    `json:"index"`
	PC       Addr   `json:"pc"`
	Function string `json:"function"`
	Module   string `json:"module"`
}

// Slot is a word of memory a pointer was loaded from.
type Slot struct {
	Address Addr   `json:"address"`
	Value   Addr   `json:"value"`
	Where   string `json:"where"`
	// Operand is the memory operand with the registers it used.
	Operand string `json:"operand"`
	// Object is the data symbol holding the slot (a vtable, a struct).
	Object string `json:"object,omitempty"`
	// Section is the ELF section of the module that holds the slot:
	// .got, .data, .bss, .data.rel.ro, .init_array.
	Section string `json:"section,omitempty"`
	// Module is that module's path.
	Module string `json:"module,omitempty"`
	// Relocation is the dynamic relocation that should have written it.
	Relocation *Relocation `json:"relocation,omitempty"`
}

// Relocation describes a dynamic relocation of a module.
type Relocation struct {
	Module  string `json:"module"`
	Type    string `json:"type"`
	Symbol  string `json:"symbol,omitempty"`
	Addend  int64  `json:"addend,omitempty"`
	Section string `json:"section"`
}

// Access is the detail of the diagnoses about a bad data access or a
// faulting instruction: null-dereference, write-to-readonly,
// exec-non-exec, invalid-access, bus-error, misaligned,
// illegal-instruction, divide-error.
type Access struct {
	PC          Addr   `json:"pc"`
	Function    string `json:"function"`
	Instruction string `json:"instruction,omitempty"`
	// Operation is "read", "write" or "execute".
	Operation string `json:"operation,omitempty"`
	Address   *Addr  `json:"address,omitempty"`
	// AddressSource says where Address came from: "kernel" (si_addr) or
	// "instruction" (computed from the decoded memory operand and the
	// registers, when the kernel gives no address).
	AddressSource string `json:"address_source,omitempty"`
	// Operand is the memory operand with the registers it used:
	// "[rax+0x18] with rax = 0x0".
	Operand string `json:"operand,omitempty"`
	Where   string `json:"where,omitempty"`

	// The fields below are facts for the sentences (Explain), not in the
	// JSON of coreview.report/v1.

	// Signo and Code are the fault's signal and si_code, and SignalAddr
	// its si_addr as the kernel gave it (meaningless for SI_KERNEL and
	// BUS_ADRALN, which carry none).
	Signo      int  `json:"-"`
	Code       int  `json:"-"`
	SignalAddr Addr `json:"-"`
	// Offset is PC's offset into Function, when Symbol says Function is
	// a symbol's name ("main+0x1a"); otherwise Function already names
	// the PC (module+offset, or the address).
	Offset uint64 `json:"-"`
	Symbol bool   `json:"-"`
	// Mapping is the mapping holding the address, in words ("the heap
	// [0x…–0x… rw-]"), for the summaries that name it: a write to
	// read-only memory, an access to a PROT_NONE mapping.
	Mapping string `json:"-"`
	// ProtNone is set when the address is in a mapping with no
	// permissions that is not a guard page, and the kernel reported an
	// access error there (SEGV_ACCERR).
	ProtNone bool `json:"-"`
	// Size is the size in bytes of the instruction's memory access
	// (x86asm's MemBytes); 0 when unknown.
	Size int `json:"-"`
	// Trap is set when the instruction is ud2, a deliberate trap.
	Trap bool `json:"-"`
	// Divisor is a div or idiv's divisor, for a divide error; nil when
	// the instruction is not one or its divisor register is unknown.
	Divisor *Divisor `json:"-"`
	// Pointer is, for a general-protection fault with a computed
	// address, the pointer the operand used: its base register, or the
	// address itself when the operand has no base. For a page fault it is
	// the base register's value when Base names it.
	Pointer uint64 `json:"-"`
	// Base names the page fault's base register ("rdi"), whose value is
	// Pointer; "" when the operand has none or it was not decoded.
	Base string `json:"-"`
	// Handler names what turned the fault into the signal that killed
	// the process, when a handler caught it and the process died of
	// what the handler did next (an abort, a re-raise).
	Handler string `json:"-"`
}

// Divisor is the divisor of a div or idiv: a register and the value it
// held, or Memory when the divisor is a memory operand.
type Divisor struct {
	// Register is the divisor register's name ("esi") and Value what it
	// held, as a signed number.
	Register string
	Value    int64
	// Memory is set when the divisor is a memory operand, whose value
	// is not read.
	Memory bool
}

// AbortInfo is the detail of an "abort" diagnosis: who called abort and
// what message the C library recorded.
type AbortInfo struct {
	// Cause is "rust-panic", "rust-stack-overflow", "rust-abort" (a direct
	// std::process::abort), "assertion", "heap-corruption", "fortify",
	// "stack-protector", "abort-call" (abort() is on the stack), "raise"
	// (the thread raised SIGABRT itself, without abort), "signal" (SIGABRT
	// with neither on the stack), or the Go runtime's "go-fatal-signal",
	// "go-fatal-panic", "go-fatal-error", "go-signal", or C++'s
	// std::terminate: "cxx-exception" (after a throw nothing caught),
	// "cxx-noexcept" (an exception reached a noexcept function),
	// "cxx-pure-virtual", "cxx-terminate" (called directly).
	Cause string `json:"cause"`
	// Caller is the function that started the abort: the panicking
	// function, the one that failed an assertion, the one that called
	// abort.
	Caller *FrameRef `json:"caller,omitempty"`
	// Message is glibc's __abort_msg: the text assert, malloc_printerr
	// and __fortify_fail printed before aborting.
	Message string `json:"message,omitempty"`
	// Assertion, File, Line and Function are what a failed assert()
	// passed to __assert_fail, read from the caller's code or, failing
	// that, from Message.
	Assertion string `json:"assertion,omitempty"`
	File      string `json:"file,omitempty"`
	Line      int    `json:"line,omitempty"`
	Function  string `json:"function,omitempty"`
	// Panic is the Rust panic that aborted: its location and message.
	Panic *Panic `json:"panic,omitempty"`
	// Exception is the C++ exception that reached std::terminate.
	Exception *CxxException `json:"exception,omitempty"`

	// The fields below are facts for the sentences (Explain), not in the
	// JSON of coreview.report/v1.

	// OverflowAbove is set when a stack-overflow diagnosis of the same
	// crash comes first, which the summary then refers to.
	OverflowAbove bool `json:"-"`
	// PanicVia is the Rust runtime function that aborted a panic that
	// could not unwind: "panic_in_cleanup" (a panic while unwinding
	// another), "panic_cannot_unwind" (a panic reached a function that
	// cannot unwind), "panic_nounwind" (a check that cannot unwind);
	// "" for a plain panic = "abort".
	PanicVia string `json:"-"`
	// Via is the C++ runtime function under std::terminate that says
	// why it ran (__cxa_throw, __gxx_personality_v0,
	// __cxa_call_terminate, __cxa_pure_virtual…).
	Via string `json:"-"`
	// Raiser is the function a "raise" thread raised SIGABRT with
	// (raise, pthread_kill, kill…).
	Raiser string `json:"-"`
	// StackCut is set for a "signal" cause when the walk ended before
	// it showed who sent the signal: abort() or a raise may lie past
	// the end.
	StackCut bool `json:"-"`
	// SelfSent is the si_code (SI_TKILL, SI_USER…) when the process's
	// own pid sent the signal; "" when it did not or that is not known.
	SelfSent string `json:"-"`
	// GoPanic is the runtime function runtime.sigpanic called for a
	// "go-fatal-signal" (runtime.panicmem for a nil or bad pointer).
	GoPanic string `json:"-"`
	// GoCrash is set when runtime.crash is on the stack: the runtime
	// raised SIGABRT to dump core, as GOTRACEBACK=crash asks.
	GoCrash bool `json:"-"`
	// SystemStack is set when runtime.systemstack is on the stack: the
	// thread runs on the Go runtime's system stack, and a fatal error
	// without a caller there failed in a goroutine on another stack.
	SystemStack bool `json:"-"`
	// GoStackOverflow is set when runtime.newstack threw: growing a
	// goroutine's stack would take it past the runtime's maximum
	// ("fatal error: stack overflow").
	GoStackOverflow bool `json:"-"`
	// GoStackSize is the size of the stack newstack was growing (the
	// m's curg's) and GoMaxStack runtime.maxstacksize, 0 when the core
	// does not say.
	GoStackSize, GoMaxStack uint64 `json:"-"`
}

// Unrelocated is the detail of an "unrelocated-pointer" diagnosis: a
// pointer the crash used is a module's link-time address, which the loader
// should have turned into a runtime address by adding the load base.
type Unrelocated struct {
	Pointer Addr   `json:"pointer"`
	Used    string `json:"used"` // pc, fault address, call slot
	Module  string `json:"module"`
	Base    Addr   `json:"base"`
	// Resolves is pointer+base: where the pointer should have pointed.
	Resolves Addr   `json:"resolves"`
	Symbol   string `json:"symbol,omitempty"`
	Section  string `json:"section,omitempty"`
	Slot     *Slot  `json:"slot,omitempty"`
	// Relocations says how many of the module's relative relocations
	// were applied in memory.
	Relocations RelocCheck `json:"relocations"`
	Link        LinkInfo   `json:"link"`
}

// RelocCheck counts relative relocations whose word in memory was (or was
// not) relocated: a relocated word holds its link-time value plus the
// base, an unrelocated one still holds the value in the file.
type RelocCheck struct {
	RELR          int `json:"relr"`
	RELRApplied   int `json:"relr_applied"`
	Relative      int `json:"rela_relative"`
	RelativeApply int `json:"rela_relative_applied"`
}

// LinkInfo is how a module was linked.
type LinkInfo struct {
	Type        string `json:"type"`
	Interpreter string `json:"interpreter,omitempty"`
	RELR        bool   `json:"relr"`
	TLS         bool   `json:"tls"`
	TLSSize     uint64 `json:"tls_size,omitempty"`
	Libc        string `json:"libc,omitempty"`
}

// EarlyInit is the detail of an "early-init" diagnosis: the crashed thread
// never reached main.
type EarlyInit struct {
	// Path is the start-up frames, outermost first.
	Path []string `json:"path"`
	// Initializer is set when the crash was in a constructor
	// (.init_array, __attribute__((constructor)), a static initializer).
	// Its JSON name was "constructor" before coreview.report/v1.1:
	// JavaScript reads that key as Object.prototype.constructor.
	Initializer string   `json:"initializer,omitempty"`
	Link        LinkInfo `json:"link"`
}

// FrameNeed is the faulting function and the stack frame it needed.
type FrameNeed struct {
	Function string `json:"function"`
	Size     int64  `json:"size"`
	PC       Addr   `json:"pc"`
	// How says where Size comes from: "prologue+cfi" (both agree),
	// "cfi" (the CFA stays rsp-based, so the CFI's largest offset is
	// exact; the prologue decoder stopped early or the body pushes more),
	// "prologue" (the CFA moved to rbp, so only the decoded prologue has
	// the whole frame; the CFI confirms the part before), "lower-bound"
	// (neither saw the whole frame: the larger of the two).
	How string `json:"how"`
	// CFISize is the largest CFA offset from rsp anywhere in the
	// function's FDE.
	CFISize int64 `json:"cfi_size"`
	// CFILowerBound is set when the CFA rule leaves rsp (a frame pointer):
	// CFISize then stops at the allocation made before that.
	CFILowerBound bool `json:"cfi_lower_bound,omitempty"`
	// PrologueSize is what the entry code allocates.
	PrologueSize int64 `json:"prologue_size"`
	// PrologueIncomplete is set when the decoder stopped inside the
	// prologue, at an instruction it does not follow that moves rsp.
	PrologueIncomplete bool `json:"prologue_incomplete,omitempty"`
	// Prologue lists the instructions that allocate the frame.
	Prologue string `json:"prologue,omitempty"`
}

// FunctionBytes is stack use by one function, over all its frames.
type FunctionBytes struct {
	Function string `json:"function"`
	Frames   int    `json:"frames"`
	Bytes    uint64 `json:"bytes"`
}

// RecursionRun is one function repeated in consecutive frames.
type RecursionRun struct {
	Function string `json:"function"`
	Frames   int    `json:"frames"`
	Bytes    uint64 `json:"bytes"`
	// Each is the run's bytes per complete frame: what the function's
	// frames take, without the faulting frame, which had not finished
	// allocating itself.
	Each uint64 `json:"each"`
	// First and Last are the frame numbers the run spans; always
	// present, as a run often starts at frame 0.
	First int `json:"first"`
	Last  int `json:"last"`
}

// End returns the end of the segment's RW part as stacker mapped it: the
// mapping's end, or less when the kernel merged the mapping with the one
// above.
func (sg *SegmentExtent) End(st StackExtent) uint64 {
	if sg == nil || sg.MappingExtra == 0 {
		return uint64(st.End)
	}
	return uint64(st.End) - sg.MappingExtra
}

// Killed is the detail of a "killed" diagnosis: another process sent the
// signal, with kill(2), tgkill(2) or sigqueue(3).
type Killed struct {
	// SenderPID and SenderUID are si_pid and si_uid: the sending
	// process, as the dead process's PID namespace numbers it (0 when
	// it lies outside that namespace), and its real user id.
	SenderPID int    `json:"sender_pid"`
	SenderUID uint32 `json:"sender_uid"`
	// How is the si_code: SI_USER (kill), SI_TKILL (tgkill, tkill) or
	// SI_QUEUE (sigqueue).
	How string `json:"how"`
	// In is where the thread was when the signal arrived: its first
	// frame outside the C library, or its innermost one.
	In *FrameRef `json:"in,omitempty"`
	// Signo is the signal sent, for the sentences (Explain); not in
	// the JSON of coreview.report/v1, which has it in the report's
	// signal.
	Signo int `json:"-"`
}
