package analyze

import (
	"errors"
	"fmt"
	"strings"

	"github.com/coreview/coreview/corefile"
)

// MaxDump caps the bytes one memory dump reads.
const MaxDump = 1 << 20

// MemoryDump is memory as gdb's x or mdb's ::dump show it, for a core: 16
// bytes a line, each line annotated with what it lies in.
type MemoryDump struct {
	Address Addr         `json:"address"`
	Length  int          `json:"length"`
	Lines   []MemoryLine `json:"lines"`
}

// MemoryLine is up to 16 bytes of a dump.
type MemoryLine struct {
	Address Addr `json:"address"`
	// Hex is the bytes in hex, space-separated; "??" for a byte that
	// could not be read (never shown as a zero).
	Hex string `json:"hex"`
	// ASCII is the printable bytes, "." for others, " " for unreadable.
	ASCII string `json:"ascii"`
	// Unreadable says why bytes of the line could not be read ("not
	// dumped", "no mapping"…); empty when all were.
	Unreadable string `json:"unreadable,omitempty"`
	// Where is the line's mapping and role in words, as whatis says it.
	Where string `json:"where"`
	// Pointers are the 8-byte aligned words of the line that point into
	// code, with the function they point into.
	Pointers []MemoryPointer `json:"pointers,omitempty"`
}

// MemoryPointer is a word in a dump that points into code.
type MemoryPointer struct {
	Address Addr   `json:"address"` // where the word is
	Value   Addr   `json:"value"`
	Symbol  string `json:"symbol"` // "function+0x12" or "module+0x1234"
}

// ReadMemory dumps length bytes at addr (at most MaxDump), using the roles
// the latest Report worked out.
func (s *Session) ReadMemory(addr uint64, length int) MemoryDump {
	length = max(0, min(length, MaxDump))
	if addr+uint64(length) < addr {
		length = int(^uint64(0) - addr)
	}
	d := MemoryDump{Address: Addr(addr), Length: length}
	mm := s.last.mm
	for off := 0; off < length; off += 16 {
		at := addr + uint64(off)
		n := min(16, length-off)
		var buf [16]byte
		ok := make([]bool, n)
		why := ""
		for i := 0; i < n; {
			k, err := s.Mem.ReadAt(buf[i:n], at+uint64(i))
			for j := i; j < i+k; j++ {
				ok[j] = true
			}
			i += k
			if err != nil {
				if why == "" {
					why = readFailure(err)
				}
				i++ // skip the unreadable byte, try the rest
			}
		}
		l := MemoryLine{Address: Addr(at), Unreadable: why}
		var hex, ascii strings.Builder
		for i := 0; i < n; i++ {
			if i > 0 {
				hex.WriteByte(' ')
			}
			switch {
			case !ok[i]:
				hex.WriteString("??")
				ascii.WriteByte(' ')
			default:
				fmt.Fprintf(&hex, "%02x", buf[i])
				if c := buf[i]; c >= 0x20 && c < 0x7f {
					ascii.WriteByte(c)
				} else {
					ascii.WriteByte('.')
				}
			}
		}
		l.Hex, l.ASCII = hex.String(), ascii.String()
		l.Where = mm.describe(at)
		for i := int((8 - at%8) % 8); i+8 <= n; i += 8 {
			if !allTrue(ok[i : i+8]) {
				continue
			}
			v := le64(buf[i : i+8])
			if !s.Mem.Executable(v) {
				continue
			}
			l.Pointers = append(l.Pointers, MemoryPointer{Address: Addr(at + uint64(i)), Value: Addr(v), Symbol: s.codeName(v)})
		}
		d.Lines = append(d.Lines, l)
	}
	return d
}

func allTrue(b []bool) bool {
	for _, v := range b {
		if !v {
			return false
		}
	}
	return true
}

// readFailure says why a read failed, in the corefile's words.
func readFailure(err error) string {
	var me *corefile.MemoryError
	if errors.As(err, &me) {
		return me.Reason.String()
	}
	return err.Error()
}

// codeName names a code address: "function+0x12", else "module+0x1234".
func (s *Session) codeName(pc uint64) string {
	m := s.Modules.Module(pc)
	if m == nil {
		return fmt.Sprintf("%#x", pc)
	}
	fr := Frame{PC: Addr(pc)}
	s.symbolizeFrame(&fr, m, pc)
	if fr.Function != "" {
		return fmt.Sprintf("%s+%#x", fr.Function, fr.Offset)
	}
	return fmt.Sprintf("%s+%#x", m.Name(), m.FileAddr(pc))
}
