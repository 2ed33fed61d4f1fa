package render

import (
	"time"

	"github.com/coreview/coreview/report"
)

// handBuilt is a report no core produced: two threads (the crashed one
// second in the list, with a six-deep recursion, an inlined call and a
// frame found by scanning), a stack-overflow diagnosis with a hint, a
// module that does not match, systemd's record and a warning.
func handBuilt() *report.Report {
	addr := report.Addr(0x7ffd1000fff8)
	rec := func(i int) report.Frame {
		return report.Frame{Index: i, PC: report.Addr(0x401126), SP: report.Addr(0x7ffd10010000 + 0x30*i), Function: "descend", Offset: 0x16,
			Module: "prog", Method: report.MethodCFI}
	}
	crashed := report.Thread{TID: 42, Crashed: true, EndReason: "end of stack", Frames: report.FrameList{
		{Index: 0, PC: 0x401120, Function: "descend", Offset: 0x10, Module: "prog", Method: report.MethodContext, File: "/src/prog.c", Line: 7},
		rec(1), rec(2), rec(3), rec(4), rec(5),
		{Index: 6, PC: 0x401200, Function: "main", Offset: 0x20, Module: "prog", Method: report.MethodCFI, Unreliable: true,
			Inlined: []report.Frame{{Index: 6, PC: 0x401200, Function: "helper", Method: report.MethodInline, Inline: true,
				File: "/rustc/0123456789abcdef0123456789abcdef01234567/library/core/src/ops.rs", Line: 3}}},
		{Index: 7, PC: 0x7f0000029d90, Module: "libc.so.6", ModuleOffset: 0x29d90, Method: report.MethodScan},
	}}
	other := report.Thread{TID: 43, EndReason: "unreadable memory", EndDetail: "read 0x10 failed", Frames: report.FrameList{
		{Index: 0, PC: 0x7f0000091000, Function: "futex_wait", Offset: 0x4, Module: "libc.so.6", Method: report.MethodContext},
	}}
	return &report.Report{
		Schema: report.Schema, Core: "/tmp/core.prog.1000.abc.42.1700000000000000.zst",
		Stored: &report.Stored{Compression: "zstd", Systemd: &report.Systemd{Comm: "prog", UID: 1000, PID: 42,
			Time: time.Unix(1700000000, 0), FromName: true}},
		Process: report.Process{PID: 42, Exe: "/usr/bin/prog", Args: []string{"prog", "-n", "<5>"}},
		Signal: &report.Signal{Number: report.SIGSEGV, Name: "SIGSEGV", Code: report.SEGV_MAPERR, CodeName: "SEGV_MAPERR",
			Address: &addr, Thread: 42, Where: "in the guard page below thread 42's stack"},
		Modules: []report.Module{{Path: "/usr/bin/prog", File: "/build/prog", BuildID: "aa", CoreBuildID: "bb", Status: report.StatusMismatch},
			{Path: "/lib/libc.so.6", File: "/lib/libc.so.6", BuildID: "cc", Status: report.StatusOK}},
		Mappings: []report.Mapping{
			{Start: 0x400000, End: 0x401000, Perms: "r--", File: "/usr/bin/prog", Role: report.RoleRodata, Dumped: true},
			{Start: 0x401000, End: 0x402000, Perms: "r-x", File: "/usr/bin/prog", Offset: 0x1000, Role: report.RoleText},
			{Start: 0x7ffd0ff00000, End: 0x7ffd10000000, Perms: "---", Role: report.RoleGuard, Owner: 42},
			{Start: 0x7ffd10000000, End: 0x7ffd10800000, Perms: "rw-", Role: report.RoleStack, Owner: 42, Dumped: true},
		},
		Threads: []report.Thread{other, crashed},
		Diagnosis: []report.Diagnosis{{Kind: report.KindStackOverflow, Thread: 42, Summary: "Thread 42 ran out of stack.",
			Explanation:   []string{"descend recursed 5 times."},
			StackOverflow: &report.StackOverflow{Hints: []string{"Bound the recursion_depth."}}}},
		Signature: "SIGSEGV stack-overflow: descend ← main", SignatureHash: "0123456789abcdef",
		Warnings: []string{"module /usr/bin/prog: no .eh_frame"},
	}
}
