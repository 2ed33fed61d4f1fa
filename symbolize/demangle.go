package symbolize

import (
	"strconv"
	"strings"

	"github.com/ianlancetaylor/demangle"
)

// Demangle returns the readable form of a C++ or Rust (legacy _ZN…17h<hash>E
// and v0 _R…) symbol name; Rust hashes and crate disambiguators are left
// out, as rustfilt prints them. A name that is not mangled, or that fails to
// demangle, is returned unchanged. A suffix such as "@plt" or a symbol
// version ("@GLIBC_2.2.5") is kept. Names of the compiler's clones print as
// gdb prints them: C++ "f() [clone .cold]", C "parse[cold]" (see
// gccCloneName). Demangle never panics.
func Demangle(name string) (out string) {
	defer func() {
		if recover() != nil {
			out = name
		}
	}()
	base, suffix := name, ""
	if i := strings.IndexByte(name, '@'); i > 0 {
		base, suffix = name[:i], name[i:]
	}
	// LLVM appends ".llvm.<digits>" to promoted local symbols; demangle the
	// rest and drop it, as rustfilt does.
	if i := strings.Index(base, ".llvm."); i > 0 {
		base = base[:i]
	}
	if s, ok := demangleRustLegacy(base); ok {
		return s + suffix
	}
	if strings.HasPrefix(base, "_R") || strings.HasPrefix(base, "__R") {
		// A "." suffix (".cold" of a split function, ".0") is dropped,
		// as gdb and c++filt (libiberty) drop it from v0 names, so that
		// frames name the function as gdb does.
		v0 := base
		if i := strings.IndexByte(base, '.'); i > 0 {
			v0 = base[:i]
		}
		if s, ok := demangleRustV0(v0); ok {
			return s + suffix
		}
	}
	if !strings.HasPrefix(base, "_Z") && !strings.HasPrefix(base, "_R") && !strings.HasPrefix(base, "__Z") {
		if s, ok := gccCloneName(base); ok {
			return s + suffix
		}
		return name
	}
	return demangle.Filter(base) + suffix
}

// demangleRustLegacy demangles Rust's legacy mangling, which is the Itanium
// C++ nested-name form _ZN <len><ident>... 17h<16 hex digits> E, with
// identifiers escaped ($LT$ for <, .. for ::, $u7b$ for {). It follows
// rustc-demangle's legacy.rs; a name without the hash element is not
// treated as Rust (that is how libiberty tells the two apart).
func demangleRustLegacy(s string) (string, bool) {
	switch {
	case strings.HasPrefix(s, "_ZN"):
		s = s[3:]
	case strings.HasPrefix(s, "__ZN"):
		s = s[4:]
	default:
		return "", false
	}
	if !strings.HasSuffix(s, "E") {
		return "", false
	}
	s = s[:len(s)-1]
	var elems []string
	for len(s) > 0 {
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		n, err := strconv.Atoi(s[:i])
		if i == 0 || err != nil || n <= 0 || n > len(s)-i {
			return "", false
		}
		elems = append(elems, s[i:i+n])
		s = s[i+n:]
	}
	if len(elems) < 2 || !isRustHash(elems[len(elems)-1]) {
		return "", false
	}
	elems = elems[:len(elems)-1]
	var b strings.Builder
	for i, e := range elems {
		if i > 0 {
			b.WriteString("::")
		}
		if !unescapeRustIdent(&b, e) {
			return "", false
		}
	}
	return b.String(), true
}

func isRustHash(s string) bool {
	if len(s) != 17 || s[0] != 'h' {
		return false
	}
	for _, c := range s[1:] {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

var rustEscapes = map[string]string{
	"SP": "@", "BP": "*", "RF": "&", "LT": "<", "GT": ">", "LP": "(", "RP": ")", "C": ",",
}

// unescapeRustIdent writes one legacy identifier with its escapes undone.
func unescapeRustIdent(b *strings.Builder, rest string) bool {
	if strings.HasPrefix(rest, "_$") {
		rest = rest[1:]
	}
	for len(rest) > 0 {
		switch {
		case strings.HasPrefix(rest, ".."):
			b.WriteString("::")
			rest = rest[2:]
		case rest[0] == '.':
			b.WriteByte('.')
			rest = rest[1:]
		case rest[0] == '$':
			end := strings.IndexByte(rest[1:], '$')
			if end < 0 {
				return false
			}
			esc := rest[1 : 1+end]
			if r, ok := rustEscapes[esc]; ok {
				b.WriteString(r)
			} else if len(esc) > 1 && esc[0] == 'u' {
				v, err := strconv.ParseUint(esc[1:], 16, 32)
				if err != nil {
					return false
				}
				b.WriteRune(rune(v))
			} else {
				return false
			}
			rest = rest[end+2:]
		default:
			i := strings.IndexAny(rest, "$.")
			if i < 0 {
				i = len(rest)
			}
			b.WriteString(rest[:i])
			rest = rest[i:]
		}
	}
	return true
}

// gccCloneName names a C function clone as gdb does. GCC names the parts
// and copies it makes of a function with suffixes: "parse.cold" (the
// unlikely part, in .text.unlikely), "f.part.0", "f.isra.0",
// "f.constprop.0", "f.lto_priv.0". gdb's minimal symbols run such names
// through its Ada decoder (they are all lowercase, so they look like GNAT
// names), which turns a final ".cold" into "[cold]" and drops a final
// ".<digits>": gdb 13's `info symbol` and backtraces print
// "parse[cold]", "f.part", "f.constprop[cold]" for
// "f.constprop.0.cold". Names with capitals or a leading underscore are
// not GNAT-like, and gdb leaves them alone; so does this.
func gccCloneName(s string) (string, bool) {
	if s == "" || !strings.Contains(s, ".") || !('a' <= s[0] && s[0] <= 'z') {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '.') {
			return "", false
		}
	}
	out, cold := s, false
	if strings.HasSuffix(out, ".cold") {
		out, cold = strings.TrimSuffix(out, ".cold"), true
	}
	if i := strings.LastIndexByte(out, '.'); i > 0 && i < len(out)-1 && strings.Trim(out[i+1:], "0123456789") == "" {
		out = out[:i]
	}
	if cold {
		out += "[cold]"
	}
	return out, out != s
}
