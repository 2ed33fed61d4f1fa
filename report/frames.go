package report

import (
	"fmt"
	"strings"
)

// abortMachinery are the functions of the abort path itself, skipped to
// find who aborted: the C library's abort, raise and failure reporters, and
// Rust std's panic runtime. Names are matched whole, so that a user crate
// that happens to be called panic_abort or rust_panic is not skipped.
var abortMachinery = map[string]bool{
	"raise": true, "abort": true, "gsignal": true, "pthread_kill": true, "__pthread_kill": true,
	"__pthread_kill_implementation": true, "__pthread_kill_internal": true, "__assert_fail": true,
	"__assert_fail_base": true, "__assert_perror_fail": true, "__libc_message": true, "__libc_message_impl": true,
	"malloc_printerr": true, "__fortify_fail": true, "__chk_fail": true, "__stack_chk_fail": true,
	"__stack_chk_fail_local": true,
	// Rust's panic runtime: legacy (unmangled #[no_mangle]) names, then
	// panic_abort's entry point by its crate path.
	"rust_panic": true, "rust_begin_unwind": true, "__rust_start_panic": true, "__rust_abort": true,
	"__rust_panic_cleanup": true, "__rust_drop_panic": true, "__rust_foreign_exception": true,
	"panic_abort::__rust_start_panic": true, "panic_abort::__rust_start_panic::abort": true,
	"panic_unwind::__rust_start_panic": true, "core::result::unwrap_failed": true,
	"core::option::unwrap_failed": true, "core::option::expect_failed": true,
	"std::process::abort": true, "std::sys::pal::unix::abort_internal": true, "std::sys::abort_internal": true,
	"std::sys::backtrace::__rust_end_short_backtrace": true,
	// The C++ runtime's way from a throw nothing catches, a noexcept
	// violation or a pure virtual call to std::terminate (libsupc++).
	"__cxa_throw": true, "__cxa_rethrow": true, "__cxa_pure_virtual": true, "__cxa_deleted_virtual": true,
	"__cxa_call_terminate": true, "__cxa_call_unexpected": true, "__gxx_personality_v0": true,
	"_Unwind_RaiseException": true, "_Unwind_Resume": true,
}

// abortMachineryPrefixes are namespaces that hold only panic and abort
// machinery: std's and core's panicking modules, and __rustc::, where
// rustc 1.9x puts the runtime's internal symbols (__rustc::rust_panic,
// __rustc::__rust_start_panic, __rustc::rust_begin_unwind,
// __rustc::__rust_abort). std::rt:: is the runtime around main.
var abortMachineryPrefixes = []string{
	"__GI_", "std::panicking::", "<std::panicking::", "core::panicking::", "__rustc::", "std::rt::",
	"std::sys::backtrace::__rust_end_short_backtrace::<", "core::result::Result<", "core::option::Option<",
	"<core::result::Result<", "<core::option::Option<",
}

// cxxTerminatePrefixes are the demangled names (with their parameters) of
// std::terminate and the handlers it calls before abort(), in libstdc++
// (libsupc++ eh_terminate.cc, vterminate.cc) and libc++abi
// (cxa_handlers.cpp).
var cxxTerminatePrefixes = []string{
	"std::terminate(", "__cxxabiv1::__terminate(", "__gnu_cxx::__verbose_terminate_handler(", "std::__terminate(",
	"std::__1::terminate(", "demangling_terminate_handler(",
}

// IsCXXTerminate reports whether name is std::terminate or a terminate
// handler on its way to abort().
func IsCXXTerminate(name string) bool {
	for _, p := range cxxTerminatePrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// IsAbortMachinery reports whether name is a function of the abort path
// itself (abort, raise, assertion and panic machinery), which the signature
// and the abort diagnosis skip to find who aborted.
func IsAbortMachinery(name string) bool {
	// A compiler-split part of the machinery is machinery too
	// (__assert_fail_base.cold, abort[cold]).
	name = stripClone(name)
	if name == "" || abortMachinery[name] || IsCXXTerminate(name) {
		return true
	}
	for _, p := range abortMachineryPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// goMachinery are the Go runtime's functions on the way from a fault or a
// panic to the process's death: skipped, like abort's, to find the code
// that failed and for the crash signature.
var goMachinery = map[string]bool{
	"runtime.raise": true, "runtime.raiseproc": true, "runtime.tgkill": true, "runtime.dieFromSignal": true,
	"runtime.crash": true, "runtime.fatalpanic": true, "runtime.fatalthrow": true, "runtime.throw": true,
	"runtime.gopanic": true, "runtime.sigpanic": true, "runtime.sigtramp": true, "runtime.sigtrampgo": true,
	"runtime.sigfwdgo": true, "runtime.sighandler": true, "runtime.abort": true, "runtime.systemstack": true, "runtime.systemstack_switch": true,
	"runtime.mcall": true, "runtime.startpanic_m": true, "runtime.sigreturn__sigaction": true,
	"runtime.morestack": true, "runtime.newstack": true,
}

// goMachineryPrefixes are families of runtime panic helpers: panicmem,
// panicmemAddr, panicdivide, panicIndex, goPanicIndex, panicdottypeE...
var goMachineryPrefixes = []string{"runtime.panic", "runtime.goPanic", "runtime.fatal"}

// goEntry are the Go runtime's frames around every goroutine, like the C
// start-up code around main.
var goEntry = map[string]bool{"runtime.main": true, "runtime.goexit": true, "runtime.rt0_go": true, "runtime.mstart": true}

// GoFunc strips the ABI suffix the Go linker gives assembly functions
// (runtime.raise.abi0).
func GoFunc(name string) string {
	return strings.TrimSuffix(strings.TrimSuffix(name, ".abi0"), ".abiinternal")
}

// IsGoMachinery reports whether name is a function of the Go runtime's
// way from a fault or a panic to the process's death (runtime.sigpanic,
// gopanic, fatalpanic, crash, dieFromSignal, raise, its signal handler),
// which the signature and the abort diagnosis skip like abort's.
func IsGoMachinery(name string) bool {
	name = GoFunc(name)
	if goMachinery[name] {
		return true
	}
	for _, p := range goMachineryPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// IsGoEntry reports whether name is a frame the Go runtime puts around
// every goroutine (runtime.main, runtime.goexit).
func IsGoEntry(name string) bool { return goEntry[GoFunc(name)] }

// startup names functions of the C libraries' and loaders' start-up paths.
var startup = map[string]bool{
	"_start": true, "_start_c": true, "_dl_start": true, "_dl_start_final": true, "_dl_start_user": true,
	"_dl_relocate_static_pie": true, "__libc_start_main": true, "__libc_start_main_impl": true,
	"__libc_start_call_main": true, "__init_libc": true, "static_init_tls": true, "__copy_tls": true,
	"__libc_setup_tls": true, "__libc_init_first": true, "__libc_csu_init": true, "call_init": true,
	"_dl_init": true, "libc_start_init": true, "__libc_start_init": true, "_init": true, "__dls2": true,
	"__dls2b": true, "__dls3": true, "_dlstart_c": true, "_dl_sysdep_start": true, "dl_main": true,
	"__init_tls": true, "__init_ssp": true, "_dl_relocate_object": true, "__libc_early_init": true,
}

// IsStartup reports whether name is a function of a C library's or
// loader's start-up path (_start, __libc_start_main, _dl_init, …).
func IsStartup(name string) bool { return startup[name] }

// Name is the frame's function, or its module and offset when no symbol
// covers it ("libc.so+0x1d8ec"), or its PC outside any module.
func (f Frame) Name() string {
	if f.Function != "" {
		return f.Function
	}
	if f.Module != "" {
		return fmt.Sprintf("%s+%#x", f.Module, uint64(f.ModuleOffset))
	}
	return fmt.Sprintf("%#x", uint64(f.PC))
}

func nameOr(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}
