package report

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Schema names the version of the JSON report.
const Schema = "coreview.report/v1.2"

// Addr is a runtime address; it marshals as a "0x…" string.
type Addr uint64

// MarshalJSON writes the address as a hex string.
func (a Addr) MarshalJSON() ([]byte, error) {
	return []byte(`"` + fmt.Sprintf("%#x", uint64(a)) + `"`), nil
}

// UnmarshalJSON reads a "0x…" string.
func (a *Addr) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := strconv.ParseUint(s, 0, 64)
	*a = Addr(v)
	return err
}

// Report is everything coreview knows about one core. Field names are the
// coreview.report/v1 contract: a minor version adds fields or values
// (v1.2: the frame method "goroutine"), and v1.1 renamed early-init's
// constructor to initializer, the one rename;
// readers check the major version, the part before the minor's dot.
type Report struct {
	Schema    string      `json:"schema"`
	Core      string      `json:"core"`
	Stored    *Stored     `json:"stored,omitempty"`
	Process   Process     `json:"process"`
	Signal    *Signal     `json:"signal"`
	Modules   []Module    `json:"modules"`
	System    *System     `json:"system,omitempty"`
	Mappings  []Mapping   `json:"mappings"`
	Threads   []Thread    `json:"threads"`
	Diagnosis []Diagnosis `json:"diagnosis"`
	// Inputs are the buffers of text the crashed thread was reading, most
	// referenced first (at most three).
	Inputs []Input `json:"inputs,omitempty"`
	// Signature identifies the crash across runs and rebuilds, for
	// deduplication; see Report.ComputeSignature.
	Signature     string   `json:"signature"`
	SignatureHash string   `json:"signature_hash"`
	Warnings      []string `json:"warnings"`
	// Snapshot is set for a core of a process that was not dying: no
	// thread was handling a signal (pr_cursig 0), as in a core gdb's
	// gcore wrote of a running process. It has no crash diagnosis and
	// no crash signal.
	Snapshot bool `json:"snapshot,omitempty"`
	// SignatureStart is the index of the crashed thread's frame the
	// signature starts at: the faulting frame, which the analysis finds
	// (past a signal frame when a handler turned a fault into another
	// signal, frame 0 otherwise).
	SignatureStart int `json:"-"`
}

// Stored is how the core was stored: its compression and what
// systemd-coredump recorded in its file name and extended attributes.
type Stored struct {
	Compression string   `json:"compression,omitempty"`
	Systemd     *Systemd `json:"systemd,omitempty"`
}

// Systemd is what systemd-coredump records about a core outside the core
// itself: in its file name, core.<comm>.<uid>.<boot id>.<pid>.<usec>[.zst],
// and in extended attributes (user.coredump.*). FromName and FromXattr say
// which of the two it was read from.
type Systemd struct {
	Comm      string    `json:"comm,omitempty"`
	UID       int       `json:"uid,omitempty"`
	BootID    string    `json:"boot_id,omitempty"`
	PID       int       `json:"pid,omitempty"`
	Time      time.Time `json:"time,omitzero"`
	Exe       string    `json:"exe,omitempty"`
	Signal    int       `json:"signal,omitempty"`
	Hostname  string    `json:"hostname,omitempty"`
	FromName  bool      `json:"from_name,omitempty"`
	FromXattr bool      `json:"from_xattr,omitempty"`
}

// Process describes the crashed process.
type Process struct {
	PID     int      `json:"pid"`
	Exe     string   `json:"exe"`
	Args    []string `json:"args"`
	Command string   `json:"command,omitempty"`
	// Env is the environment: by default only the variables that change
	// how programs crash, load or size their stacks (redact.CrashVar),
	// all of it with --env.
	Env []string `json:"env,omitempty"`
	// EnvOmitted counts the variables Env leaves out.
	EnvOmitted int `json:"env_omitted,omitempty"`
	// Redacted says that credentials in Args and Command were masked
	// ("***"); --env shows them.
	Redacted bool `json:"redacted,omitempty"`
}

// Signal describes the signal that killed the process.
type Signal struct {
	Number   int    `json:"number"`
	Name     string `json:"name"`
	Code     int    `json:"code"`
	CodeName string `json:"code_name"`
	Address  *Addr  `json:"address"`
	Thread   int    `json:"thread"`
	// Where says what the fault address lies in, in words.
	Where string `json:"where,omitempty"`
	// SenderPID is the process that sent the signal, for kill/tgkill.
	SenderPID int `json:"sender_pid,omitempty"`
}

// Module is a loaded ELF object.
type Module struct {
	Path        string       `json:"path"`
	File        string       `json:"file,omitempty"`
	Base        Addr         `json:"base"`
	End         Addr         `json:"end"`
	BuildID     string       `json:"build_id"`
	CoreBuildID string       `json:"core_build_id,omitempty"`
	Status      ModuleStatus `json:"status"`
	// StatusDetail says why the status is unchecked or mismatch.
	StatusDetail string `json:"status_detail,omitempty"`
	// DebugFile is the module's separate debug file (its DWARF and full
	// symbol table), and DebugVia how it was found: "build-id",
	// "debuglink" or "debuginfod".
	DebugFile string `json:"debug_file,omitempty"`
	DebugVia  string `json:"debug_via,omitempty"`
	// Compilers are what the module's .comment section records: the
	// compilers and linker that built it.
	Compilers []string `json:"compilers,omitempty"`
}

// System is what the core says about the system the process ran on.
type System struct {
	// LibC is the C library and its version ("glibc 2.36 (Debian GLIBC
	// 2.36-9+deb12u14)", "musl").
	LibC string `json:"libc,omitempty"`
	// Kernel is the kernel's version from the vDSO's LINUX_VERSION_CODE
	// note ("6.1.158"); KernelBuildSalt its build-salt note, which
	// distributions often, not always, set to the release string.
	Kernel          string `json:"kernel,omitempty"`
	KernelBuildSalt string `json:"kernel_build_salt,omitempty"`
}

// Mapping is one memory mapping of the process.
type Mapping struct {
	Start  Addr   `json:"start"`
	End    Addr   `json:"end"`
	Perms  string `json:"perms"`
	File   string `json:"file"`
	Offset Addr   `json:"offset"`
	Role   Role   `json:"role"`
	Owner  int    `json:"owner,omitempty"` // thread id for stacks and guards
	Dumped bool   `json:"dumped"`          // the kernel dumped its bytes into the core
	// TruncatedAt is set when the core file was cut inside the mapping's
	// dumped bytes: from this address on they are lost.
	TruncatedAt *Addr `json:"truncated_at,omitempty"`
}

// Thread is one thread and its stack.
type Thread struct {
	TID       int       `json:"tid"`
	Crashed   bool      `json:"crashed"`
	Name      string    `json:"name,omitempty"`
	EndReason string    `json:"end_reason"`
	EndDetail string    `json:"end_detail,omitempty"`
	Frames    FrameList `json:"frames"`
	// FramesOmitted counts the frames past Options.MaxFrames that the walk
	// found but Frames leaves out; EndReason is still the walk's.
	FramesOmitted int `json:"frames_omitted,omitempty"`
	// Registers are frame 0's registers, as the core's NT_PRSTATUS holds
	// them.
	Registers Registers `json:"registers,omitempty"`
	// Disassembly is the code at the crash, for the crashed thread: about
	// 8 instructions before the PC and 4 after, decoded from the
	// function's start; DisassemblyAt says whether it is at the PC
	// ("pc") or, for a PC that is not code, at the caller's call
	// ("call-site").
	Disassembly   []Instruction `json:"disassembly,omitempty"`
	DisassemblyAt string        `json:"disassembly_at,omitempty"`
}

// CrashedThread returns the thread that dumped core (the first marked
// Crashed), or nil when the report has none.
func (r *Report) CrashedThread() *Thread {
	for i := range r.Threads {
		if r.Threads[i].Crashed {
			return &r.Threads[i]
		}
	}
	return nil
}

// TotalFrames is the number of frames the walk found, listed or not.
func (t *Thread) TotalFrames() int { return len(t.Frames) + t.FramesOmitted }

// Frame is one stack frame.
type Frame struct {
	Index int  `json:"index"`
	PC    Addr `json:"pc"`
	SP    Addr `json:"sp"`
	CFA   Addr `json:"cfa"`
	// Function is the demangled name (or the raw one with --raw-symbols);
	// empty when unknown.
	Function string `json:"function"`
	// Symbol is the symbol as it appears in the ELF file (mangled).
	Symbol string `json:"symbol"`
	// Offset is PC minus the symbol's start.
	Offset       uint64 `json:"offset"`
	Module       string `json:"module"`
	ModuleOffset Addr   `json:"module_offset"`
	Method       Method `json:"method"`
	Signal       bool   `json:"signal,omitempty"` // <signal handler called>
	Unreliable   bool   `json:"unreliable,omitempty"`
	// File, Line and Column are the source position from DWARF, when
	// the module (or its separate debug file) has it.
	File   string `json:"file,omitempty"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
	// Inline marks a frame of a function inlined into the physical frame
	// that follows it: same index, pc, sp and cfa; its own function and
	// source position.
	Inline bool `json:"inlined,omitempty"`
	// Inlined holds the calls inlined at this frame's pc, innermost first.
	// In JSON they precede the frame in the thread's list, marked
	// "inlined": true, as gdb and eu-stack -i list them; diagnoses and
	// the signature look at physical frames only.
	Inlined []Frame `json:"-"`
}

// Diagnosis is one explanation of the crash. Kind selects which of the
// embedded detail structs is set; their fields appear at the top level of
// the JSON object.
type Diagnosis struct {
	Kind    Kind   `json:"kind"`
	Thread  int    `json:"thread,omitempty"`
	Summary string `json:"summary"`
	// Explanation holds further sentences, each a line of text output.
	Explanation []string `json:"explanation,omitempty"`
	*StackOverflow
	*StackSegments
	*ControlFlow
	*Access
	*AbortInfo
	*Unrelocated
	*EarlyInit
	*Killed
}
