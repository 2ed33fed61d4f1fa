package symbolize

import (
	"errors"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Rust's v0 symbol mangling (RFC 2603), decoded as rustc-demangle's v0.rs
// prints it in its alternate form ({:#}): crate disambiguators and the type
// suffixes of constants are left out.
//
// ianlancetaylor/demangle reads a run of decimal digits as one number, so
// an empty identifier ("0") followed by another ("0") reads as a single
// "00": _RINvCs1234_3std3fooNCNCNvCs1_1a1b00uE loses its last generic
// argument. The grammar says a length that starts with 0 is 0 (v0.rs
// Parser::ident), which is what this decoder does.
//
//	<symbol-name> = "_R" <path> [<instantiating-crate>]
//	<path> = "C" <identifier>                    // crate root
//	       | "M" <impl-path> <type>              // <T> (inherent impl)
//	       | "X" <impl-path> <type> <path>       // <T as Trait> (trait impl)
//	       | "Y" <type> <path>                   // <T as Trait> (trait definition)
//	       | "N" <namespace> <path> <identifier> // ...::ident
//	       | "I" <path> {<generic-arg>} "E"      // ...<T, U>
//	       | <backref>

var errRustV0 = errors.New("invalid v0 symbol")

// rustV0MaxDepth bounds the recursion through paths, types and constants,
// as v0.rs's MAX_DEPTH does; rustV0MaxOut bounds the output that backrefs
// can multiply.
const (
	rustV0MaxDepth = 500
	rustV0MaxOut   = 1 << 16
)

// demangleRustV0 demangles a v0 symbol (after any "." suffix is removed).
func demangleRustV0(s string) (string, bool) {
	var inner string
	switch {
	case strings.HasPrefix(s, "_R"):
		inner = s[2:]
	case strings.HasPrefix(s, "__R"):
		inner = s[3:]
	default:
		return "", false
	}
	if inner == "" || inner[0] < 'A' || inner[0] > 'Z' {
		return "", false
	}
	for i := 0; i < len(inner); i++ {
		if inner[i] >= 0x80 {
			return "", false
		}
	}
	p := &v0Parser{sym: inner}
	if p.path(true) != nil {
		return "", false
	}
	if p.next < len(p.sym) {
		// The instantiating crate is not printed.
		p.skip++
		err := p.path(false)
		p.skip--
		if err != nil {
			return "", false
		}
	}
	if p.next != len(p.sym) {
		return "", false
	}
	return p.out.String(), true
}

type v0Parser struct {
	sym   string
	next  int
	depth int
	// skip > 0 parses without printing (impl paths, instantiating crate).
	skip int
	// lifetimes is the number of lifetimes bound by enclosing binders.
	lifetimes uint64
	out       strings.Builder
}

func (p *v0Parser) print(s string) error {
	if p.skip > 0 {
		return nil
	}
	if p.out.Len()+len(s) > rustV0MaxOut {
		return errRustV0
	}
	p.out.WriteString(s)
	return nil
}

func (p *v0Parser) eat(c byte) bool {
	if p.next < len(p.sym) && p.sym[p.next] == c {
		p.next++
		return true
	}
	return false
}

func (p *v0Parser) nextByte() (byte, error) {
	if p.next >= len(p.sym) {
		return 0, errRustV0
	}
	c := p.sym[p.next]
	p.next++
	return c, nil
}

func (p *v0Parser) push() error {
	p.depth++
	if p.depth > rustV0MaxDepth {
		return errRustV0
	}
	return nil
}

func (p *v0Parser) pop() { p.depth-- }

// integer62 reads <base-62-number> = {<0-9a-zA-Z>} "_", where "_" is 0 and
// a number n before the "_" is n+1.
func (p *v0Parser) integer62() (uint64, error) {
	if p.eat('_') {
		return 0, nil
	}
	var x uint64
	for !p.eat('_') {
		c, err := p.nextByte()
		if err != nil {
			return 0, err
		}
		var d uint64
		switch {
		case '0' <= c && c <= '9':
			d = uint64(c - '0')
		case 'a' <= c && c <= 'z':
			d = 10 + uint64(c-'a')
		case 'A' <= c && c <= 'Z':
			d = 36 + uint64(c-'A')
		default:
			return 0, errRustV0
		}
		if x > (^uint64(0)-d)/62 {
			return 0, errRustV0
		}
		x = x*62 + d
	}
	if x == ^uint64(0) {
		return 0, errRustV0
	}
	return x + 1, nil
}

// optInteger62 reads [tag <base-62-number>]: 0 when absent, else n+1.
func (p *v0Parser) optInteger62(tag byte) (uint64, error) {
	if !p.eat(tag) {
		return 0, nil
	}
	n, err := p.integer62()
	if err != nil || n == ^uint64(0) {
		return 0, errRustV0
	}
	return n + 1, nil
}

// ident reads <identifier> = ["u"] <decimal-number> ["_"] <bytes>; a
// length that starts with 0 is 0.
func (p *v0Parser) ident() (string, error) {
	puny := p.eat('u')
	if p.next >= len(p.sym) || !isDigit(p.sym[p.next]) {
		return "", errRustV0
	}
	n := int(p.sym[p.next] - '0')
	p.next++
	if n != 0 {
		for p.next < len(p.sym) && isDigit(p.sym[p.next]) {
			n = n*10 + int(p.sym[p.next]-'0')
			p.next++
			if n > len(p.sym) {
				return "", errRustV0
			}
		}
	}
	p.eat('_')
	if n > len(p.sym)-p.next {
		return "", errRustV0
	}
	id := p.sym[p.next : p.next+n]
	p.next += n
	if !puny {
		return id, nil
	}
	ascii, code := "", id
	if i := strings.LastIndexByte(id, '_'); i >= 0 {
		ascii, code = id[:i], id[i+1:]
	}
	if code == "" {
		return "", errRustV0
	}
	if s, ok := punycodeDecode(ascii, code); ok {
		return s, nil
	}
	if ascii != "" {
		return "punycode{" + ascii + "-" + code + "}", nil
	}
	return "punycode{" + code + "}", nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// punycodeDecode decodes RFC 3492 punycode with the basic code points
// given apart, as v0 identifiers carry them.
func punycodeDecode(ascii, code string) (string, bool) {
	const (
		base, tmin, tmax, skew, damp = 36, 1, 26, 38, 700
	)
	out := []rune(ascii)
	n, bias, i := rune(128), 72, 0
	adapt := func(delta, numPoints int, first bool) int {
		if first {
			delta /= damp
		} else {
			delta /= 2
		}
		delta += delta / numPoints
		k := 0
		for delta > ((base-tmin)*tmax)/2 {
			delta /= base - tmin
			k += base
		}
		return k + (base-tmin+1)*delta/(delta+skew)
	}
	for pos := 0; pos < len(code); {
		old, w := i, 1
		for k := base; ; k += base {
			if pos >= len(code) {
				return "", false
			}
			c := code[pos]
			pos++
			var d int
			switch {
			case 'a' <= c && c <= 'z':
				d = int(c - 'a')
			case '0' <= c && c <= '9':
				d = 26 + int(c-'0')
			default:
				return "", false
			}
			if d > (1<<30-i)/w {
				return "", false
			}
			i += d * w
			t := k - bias
			if t < tmin {
				t = tmin
			} else if t > tmax {
				t = tmax
			}
			if d < t {
				break
			}
			if w > (1<<30)/(base-t) {
				return "", false
			}
			w *= base - t
		}
		bias = adapt(i-old, len(out)+1, old == 0)
		n += rune(i / (len(out) + 1))
		i %= len(out) + 1
		if !utf8.ValidRune(n) || len(out) > 1000 {
			return "", false
		}
		out = append(out, 0)
		copy(out[i+1:], out[i:])
		out[i] = n
		i++
	}
	return string(out), true
}

// backref reads <backref> = "B" <base-62-number> (the "B" already read)
// and runs f at that earlier position, then continues after the backref.
func (p *v0Parser) backref(f func() error) error {
	start := p.next - 1
	i, err := p.integer62()
	if err != nil || i >= uint64(start) {
		return errRustV0
	}
	if err := p.push(); err != nil {
		return err
	}
	defer p.pop()
	saved := p.next
	p.next = int(i)
	err = f()
	p.next = saved
	return err
}

func (p *v0Parser) path(inValue bool) error {
	if err := p.push(); err != nil {
		return err
	}
	defer p.pop()
	tag, err := p.nextByte()
	if err != nil {
		return err
	}
	switch tag {
	case 'C':
		if _, err := p.optInteger62('s'); err != nil {
			return err
		}
		name, err := p.ident()
		if err != nil {
			return err
		}
		return p.print(name)
	case 'N':
		ns, err := p.nextByte()
		if err != nil {
			return err
		}
		if err := p.path(inValue); err != nil {
			return err
		}
		dis, err := p.optInteger62('s')
		if err != nil {
			return err
		}
		name, err := p.ident()
		if err != nil {
			return err
		}
		switch {
		case 'A' <= ns && ns <= 'Z':
			kind := string(ns)
			switch ns {
			case 'C':
				kind = "closure"
			case 'S':
				kind = "shim"
			}
			if name != "" {
				kind += ":" + name
			}
			return p.print("::{" + kind + "#" + strconv.FormatUint(dis, 10) + "}")
		case 'a' <= ns && ns <= 'z':
			if name != "" {
				return p.print("::" + name)
			}
			return nil
		}
		return errRustV0
	case 'M', 'X', 'Y':
		if tag != 'Y' {
			if _, err := p.optInteger62('s'); err != nil {
				return err
			}
			p.skip++
			err := p.path(false)
			p.skip--
			if err != nil {
				return err
			}
		}
		if err := p.print("<"); err != nil {
			return err
		}
		if err := p.typ(); err != nil {
			return err
		}
		if tag != 'M' {
			if err := p.print(" as "); err != nil {
				return err
			}
			if err := p.path(false); err != nil {
				return err
			}
		}
		return p.print(">")
	case 'I':
		if err := p.path(inValue); err != nil {
			return err
		}
		if inValue {
			if err := p.print("::"); err != nil {
				return err
			}
		}
		if err := p.print("<"); err != nil {
			return err
		}
		if err := p.list(p.genericArg, ", "); err != nil {
			return err
		}
		return p.print(">")
	case 'B':
		return p.backref(func() error { return p.path(inValue) })
	}
	return errRustV0
}

// list prints items separated by sep up to the closing "E" and returns
// how many there were.
func (p *v0Parser) listN(f func() error, sep string) (int, error) {
	n := 0
	for !p.eat('E') {
		if n > 0 {
			if err := p.print(sep); err != nil {
				return n, err
			}
		}
		if err := f(); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

func (p *v0Parser) list(f func() error, sep string) error {
	_, err := p.listN(f, sep)
	return err
}

func (p *v0Parser) genericArg() error {
	switch {
	case p.eat('L'):
		lt, err := p.integer62()
		if err != nil {
			return err
		}
		return p.lifetime(lt)
	case p.eat('K'):
		return p.constant()
	}
	return p.typ()
}

// lifetime prints a lifetime index: 0 is '_, i counts binders outwards
// from the innermost, named 'a, 'b… from the outermost one.
func (p *v0Parser) lifetime(lt uint64) error {
	if lt == 0 {
		return p.print("'_")
	}
	if lt > p.lifetimes {
		return errRustV0
	}
	depth := p.lifetimes - lt
	if depth < 26 {
		return p.print("'" + string(rune('a'+depth)))
	}
	return p.print("'_" + strconv.FormatUint(depth, 10))
}

// binder reads [<binder>] = "G" <base-62-number> and prints "for<'a, …> "
// around f.
func (p *v0Parser) binder(f func() error) error {
	n, err := p.optInteger62('G')
	if err != nil {
		return err
	}
	if n > uint64(len(p.sym)) {
		return errRustV0
	}
	if n > 0 {
		if err := p.print("for<"); err != nil {
			return err
		}
		for i := uint64(0); i < n; i++ {
			if i > 0 {
				if err := p.print(", "); err != nil {
					return err
				}
			}
			p.lifetimes++
			if err := p.lifetime(1); err != nil {
				return err
			}
		}
		if err := p.print("> "); err != nil {
			return err
		}
	}
	err = f()
	p.lifetimes -= n
	return err
}

var rustBasicTypes = map[byte]string{
	'a': "i8", 'b': "bool", 'c': "char", 'd': "f64", 'e': "str", 'f': "f32",
	'h': "u8", 'i': "isize", 'j': "usize", 'l': "i32", 'm': "u32", 'n': "i128",
	'o': "u128", 's': "i16", 't': "u16", 'u': "()", 'v': "...", 'x': "i64",
	'y': "u64", 'z': "!", 'p': "_",
}

func (p *v0Parser) typ() error {
	if err := p.push(); err != nil {
		return err
	}
	defer p.pop()
	tag, err := p.nextByte()
	if err != nil {
		return err
	}
	if t, ok := rustBasicTypes[tag]; ok {
		return p.print(t)
	}
	switch tag {
	case 'R', 'Q':
		if err := p.print("&"); err != nil {
			return err
		}
		if p.eat('L') {
			lt, err := p.integer62()
			if err != nil {
				return err
			}
			if lt != 0 {
				if err := p.lifetime(lt); err != nil {
					return err
				}
				if err := p.print(" "); err != nil {
					return err
				}
			}
		}
		if tag == 'Q' {
			if err := p.print("mut "); err != nil {
				return err
			}
		}
		return p.typ()
	case 'P', 'O':
		s := "*const "
		if tag == 'O' {
			s = "*mut "
		}
		if err := p.print(s); err != nil {
			return err
		}
		return p.typ()
	case 'A', 'S':
		if err := p.print("["); err != nil {
			return err
		}
		if err := p.typ(); err != nil {
			return err
		}
		if tag == 'A' {
			if err := p.print("; "); err != nil {
				return err
			}
			if err := p.constant(); err != nil {
				return err
			}
		}
		return p.print("]")
	case 'T':
		if err := p.print("("); err != nil {
			return err
		}
		n, err := p.listN(p.typ, ", ")
		if err != nil {
			return err
		}
		if n == 1 {
			if err := p.print(","); err != nil {
				return err
			}
		}
		return p.print(")")
	case 'F':
		return p.binder(p.fnSig)
	case 'D':
		if err := p.print("dyn "); err != nil {
			return err
		}
		if err := p.binder(func() error { return p.list(p.dynTrait, " + ") }); err != nil {
			return err
		}
		if !p.eat('L') {
			return errRustV0
		}
		lt, err := p.integer62()
		if err != nil {
			return err
		}
		if lt != 0 {
			if err := p.print(" + "); err != nil {
				return err
			}
			return p.lifetime(lt)
		}
		return nil
	case 'B':
		return p.backref(p.typ)
	}
	p.next--
	return p.path(false)
}

// fnSig reads <fn-sig> = ["U"] ["K" <abi>] {<type>} "E" <type>.
func (p *v0Parser) fnSig() error {
	unsafe := p.eat('U')
	abi := ""
	if p.eat('K') {
		if p.eat('C') {
			abi = "C"
		} else {
			id, err := p.ident()
			if err != nil || id == "" {
				return errRustV0
			}
			abi = strings.ReplaceAll(id, "_", "-")
		}
	}
	if unsafe {
		if err := p.print("unsafe "); err != nil {
			return err
		}
	}
	if abi != "" {
		if err := p.print(`extern "` + abi + `" `); err != nil {
			return err
		}
	}
	if err := p.print("fn("); err != nil {
		return err
	}
	if err := p.list(p.typ, ", "); err != nil {
		return err
	}
	if err := p.print(")"); err != nil {
		return err
	}
	if p.eat('u') {
		return nil
	}
	if err := p.print(" -> "); err != nil {
		return err
	}
	return p.typ()
}

// dynTrait reads <dyn-trait> = <path> {"p" <identifier> <type>}, the
// associated type bindings printed inside the path's generic arguments.
func (p *v0Parser) dynTrait() error {
	open, err := p.pathMaybeOpenGenerics()
	if err != nil {
		return err
	}
	for p.eat('p') {
		sep := ", "
		if !open {
			sep, open = "<", true
		}
		if err := p.print(sep); err != nil {
			return err
		}
		name, err := p.ident()
		if err != nil {
			return err
		}
		if err := p.print(name + " = "); err != nil {
			return err
		}
		if err := p.typ(); err != nil {
			return err
		}
	}
	if open {
		return p.print(">")
	}
	return nil
}

func (p *v0Parser) pathMaybeOpenGenerics() (bool, error) {
	switch {
	case p.eat('B'):
		var open bool
		err := p.backref(func() error {
			var err error
			open, err = p.pathMaybeOpenGenerics()
			return err
		})
		return open, err
	case p.eat('I'):
		if err := p.path(false); err != nil {
			return false, err
		}
		if err := p.print("<"); err != nil {
			return false, err
		}
		return true, p.list(p.genericArg, ", ")
	}
	return false, p.path(false)
}

// constant reads <const>: a placeholder "p", an integer, bool or char
// constant as <type> ["n"] {<hex-digit>} "_", or a backref. Other
// constants (str, references, arrays, tuples, ADTs) are not decoded.
func (p *v0Parser) constant() error {
	if err := p.push(); err != nil {
		return err
	}
	defer p.pop()
	tag, err := p.nextByte()
	if err != nil {
		return err
	}
	switch tag {
	case 'p':
		return p.print("_")
	case 'B':
		return p.backref(p.constant)
	case 'a', 's', 'l', 'x', 'n', 'i':
		if p.eat('n') {
			if err := p.print("-"); err != nil {
				return err
			}
		}
		fallthrough
	case 'h', 't', 'm', 'y', 'o', 'j':
		hex, err := p.hexNibbles()
		if err != nil {
			return err
		}
		if v, ok := parseHexUint(hex); ok {
			return p.print(strconv.FormatUint(v, 10))
		}
		return p.print("0x" + hex)
	case 'b':
		hex, err := p.hexNibbles()
		if err != nil {
			return err
		}
		switch v, ok := parseHexUint(hex); {
		case ok && v == 0:
			return p.print("false")
		case ok && v == 1:
			return p.print("true")
		}
		return errRustV0
	case 'c':
		hex, err := p.hexNibbles()
		if err != nil {
			return err
		}
		v, ok := parseHexUint(hex)
		if !ok || v > unicode.MaxRune || !utf8.ValidRune(rune(v)) {
			return errRustV0
		}
		return p.print(quoteRustChar(rune(v)))
	}
	return errRustV0
}

func (p *v0Parser) hexNibbles() (string, error) {
	start := p.next
	for {
		c, err := p.nextByte()
		if err != nil {
			return "", err
		}
		if c == '_' {
			return p.sym[start : p.next-1], nil
		}
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return "", errRustV0
		}
	}
}

// parseHexUint parses hex digits without leading zeros (v0 writes 0 as
// no digits at all) into a uint64.
func parseHexUint(hex string) (uint64, bool) {
	hex = strings.TrimLeft(hex, "0")
	if len(hex) > 16 {
		return 0, false
	}
	if hex == "" {
		return 0, true
	}
	v, err := strconv.ParseUint(hex, 16, 64)
	return v, err == nil
}

// quoteRustChar writes a char constant as Rust's Debug does for the
// common cases.
func quoteRustChar(r rune) string {
	switch r {
	case '\t':
		return `'\t'`
	case '\r':
		return `'\r'`
	case '\n':
		return `'\n'`
	case '\\':
		return `'\\'`
	case '\'':
		return `'\''`
	}
	if unicode.IsPrint(r) {
		return "'" + string(r) + "'"
	}
	return `'\u{` + strconv.FormatInt(int64(r), 16) + `}'`
}
