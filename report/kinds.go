package report

// Kind names a diagnosis; it selects which detail of a Diagnosis is set.
type Kind string

// EndOfStack is Thread.EndReason for a walk that reached the outermost
// frame (stackmap.EndOfStack).
const EndOfStack = "end of stack"

// The diagnosis kinds, in the order of the README's table (the schema's
// enum holds the same list).
const (
	KindStackOverflow      Kind = "stack-overflow"
	KindStackSegments      Kind = "stack-segments"
	KindUnrelocated        Kind = "unrelocated-pointer"
	KindEarlyInit          Kind = "early-init"
	KindNullCall           Kind = "null-call"
	KindBadPC              Kind = "bad-pc"
	KindExecNonExec        Kind = "exec-non-exec"
	KindNullDereference    Kind = "null-dereference"
	KindWriteToReadonly    Kind = "write-to-readonly"
	KindInvalidAccess      Kind = "invalid-access"
	KindNonCanonical       Kind = "non-canonical-address"
	KindBusError           Kind = "bus-error"
	KindMisaligned         Kind = "misaligned"
	KindIllegalInstruction Kind = "illegal-instruction"
	KindDivideError        Kind = "divide-error"
	KindAbort              Kind = "abort"
	// KindKilled is a signal another process sent (kill, tgkill,
	// sigqueue): the program did nothing wrong at that moment.
	KindKilled Kind = "killed"
)

// Kinds lists every diagnosis kind a report can carry, in the order of
// the README's table.
var Kinds = []Kind{
	KindStackOverflow, KindStackSegments, KindUnrelocated, KindEarlyInit,
	KindNullCall, KindBadPC, KindExecNonExec,
	KindNullDereference, KindWriteToReadonly, KindInvalidAccess, KindNonCanonical, KindBusError, KindMisaligned,
	KindIllegalInstruction, KindDivideError, KindAbort, KindKilled,
}

// StackKind says what kind of stack overflowed.
type StackKind string

// The stack kinds of StackExtent.
const (
	StackThread      StackKind = "thread"      // a thread's stack (pthread, std::thread)
	StackMain        StackKind = "main"        // the main thread's growable stack
	StackSegment     StackKind = "segment"     // a stack the thread switched to (stacker, a coroutine)
	StackSigaltstack StackKind = "sigaltstack" // the alternate signal stack
)

// Role says what a mapping holds.
type Role string

// Mapping roles.
const (
	RoleText         Role = "text"
	RoleRodata       Role = "rodata"
	RoleData         Role = "data"
	RoleBSS          Role = "bss"
	RoleHeap         Role = "heap"
	RoleStack        Role = "stack"
	RoleMainStack    Role = "main-stack"
	RoleStackSegment Role = "stack-segment"
	// RoleStackUnguarded is a mapping a thread's frames run on after a
	// stack switch, like a stack segment, but with no PROT_NONE page
	// below it (a coroutine stack allocated by hand, a stack in the
	// heap): running off it writes into whatever lies below.
	RoleStackUnguarded Role = "stack-unguarded"
	RoleSigaltstack    Role = "sigaltstack"
	RoleGuard          Role = "guard"
	RoleProtNone       Role = "prot-none"
	RoleVDSO           Role = "vdso"
	RoleVVAR           Role = "vvar"
	RoleVsyscall       Role = "vsyscall"
	RoleAnon           Role = "anon"
	RoleFile           Role = "file"
)

// Method says how the unwinder found a frame.
type Method string

// Frame methods: the unwinder's (stackmap.Method, same spelling),
// "inline" for a frame of a function inlined into a physical one and
// "tailcall" for one rebuilt from DWARF call sites.
const (
	MethodContext Method = "context" // the thread's registers (frame 0)
	MethodCFI     Method = "cfi"     // call frame information
	MethodSignal  Method = "signal"  // the context saved by a signal frame
	MethodCall    Method = "call"    // return address at [rsp]: frame 0 jumped to bad code, or is a frameless leaf
	MethodFP      Method = "fp"      // frame-pointer chain
	MethodScan    Method = "scan"    // stack scanning for a return address
	// MethodGoroutine is the first frame of a Go goroutine's stack, from
	// the registers its g.sched saved when runtime.systemstack switched
	// the thread to the g0 stack the frames below it are on.
	MethodGoroutine Method = "goroutine"
	MethodInline    Method = "inline" // inlined into the physical frame that follows
	// MethodTailCall is a function that left the stack by a tail call,
	// rebuilt from DWARF call sites as gdb does; like an inlined frame it
	// precedes the physical frame it is listed with.
	MethodTailCall Method = "tailcall"
)

// ModuleStatus says whether a module's file was found and matches the core.
type ModuleStatus string

// Module statuses (symbolize.Status, same spelling).
const (
	StatusOK        ModuleStatus = "ok"        // file found and checked against the core: it is the one mapped
	StatusUnchecked ModuleStatus = "unchecked" // file found, but the core holds too little to check it (see StatusDetail)
	StatusMismatch  ModuleStatus = "mismatch"  // file found but not the one the process mapped
	StatusMissing   ModuleStatus = "missing"   // no file found: frames show module+offset only
	StatusMemory    ModuleStatus = "memory"    // read from the core's memory (the vDSO)
)
