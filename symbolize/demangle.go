package symbolize

import (
	"strings"

	"github.com/ianlancetaylor/demangle"
)

// Demangle returns the readable form of a C++ or Rust (legacy _ZN…17h<hash>E
// and v0 _R…) symbol name; Rust hashes and crate disambiguators are left
// out, as gdb and rustfilt print them. A name that is not mangled, or that
// fails to demangle, is returned unchanged. A suffix such as "@plt" or a
// symbol version ("@GLIBC_2.2.5") is kept.
func Demangle(name string) string {
	base, suffix := name, ""
	if i := strings.IndexByte(name, '@'); i > 0 {
		base, suffix = name[:i], name[i:]
	}
	if !strings.HasPrefix(base, "_Z") && !strings.HasPrefix(base, "_R") && !strings.HasPrefix(base, "__Z") {
		return name
	}
	// LLVM appends ".llvm.<digits>" to promoted local symbols; demangle the
	// rest and keep nothing of it, as rustfilt does.
	if i := strings.Index(base, ".llvm."); i > 0 {
		base = base[:i]
	}
	return demangle.Filter(base, demangle.NoClones) + suffix
}
