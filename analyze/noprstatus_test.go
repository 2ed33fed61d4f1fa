package analyze

import (
	"bytes"
	"encoding/binary"
	"os"
	"strings"
	"testing"

	"github.com/coreview/coreview/corefile"
	"github.com/coreview/coreview/internal/testfixture"
	"github.com/coreview/coreview/render"
)

// withoutPRSTATUS renames every NT_PRSTATUS note of a raw core to an
// unknown note type, as a core cut from its threads' notes would read.
func withoutPRSTATUS(t *testing.T, raw []byte) []byte {
	t.Helper()
	out := bytes.Clone(raw)
	le := binary.LittleEndian
	phoff, phnum := le.Uint64(out[32:]), int(le.Uint16(out[56:]))
	renamed := 0
	for i := range phnum {
		ph := out[phoff+uint64(i)*56:]
		if le.Uint32(ph) != 4 { // PT_NOTE
			continue
		}
		off, size := le.Uint64(ph[8:]), le.Uint64(ph[32:])
		notes := out[off : off+size]
		for len(notes) >= 12 {
			namesz, descsz := int(le.Uint32(notes)), int(le.Uint32(notes[4:]))
			if le.Uint32(notes[8:]) == corefile.NT_PRSTATUS {
				le.PutUint32(notes[8:], 0x7e57)
				renamed++
			}
			n := 12 + (namesz+3)&^3 + (descsz+3)&^3
			if n > len(notes) {
				break
			}
			notes = notes[n:]
		}
	}
	if renamed == 0 {
		t.Fatal("no NT_PRSTATUS note found")
	}
	return out
}

// TestNoPRSTATUS: a core without thread notes gives a partial report (no
// threads, the rest of what the core says), never an internal error; the
// fixtures cover each diagnosis that looks at the crashed thread.
func TestNoPRSTATUS(t *testing.T) {
	for _, name := range []string{"c-null-deref", "c-null-call", "c-vtable-unrelocated", "c-hook-unrelocated", "c-abort", "rust-thread-overflow", "stacker-segment", "musl-relr"} {
		t.Run(name, func(t *testing.T) {
			f := testfixture.Get(t, name)
			raw, err := os.ReadFile(f.RawCore(t))
			if err != nil {
				t.Fatal(err)
			}
			img := withoutPRSTATUS(t, raw)
			c, err := corefile.NewFile(bytes.NewReader(img), int64(len(img)))
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Threads) != 0 {
				t.Fatalf("%d threads left", len(c.Threads))
			}
			s := NewSession(name+"-no-prstatus", c, options(f))
			defer s.Close()
			r := s.Report()
			for _, w := range r.Warnings {
				if strings.Contains(w, "internal error") {
					t.Errorf("warning %q", w)
				}
			}
			if len(r.Mappings) == 0 {
				t.Errorf("partial report lost the mappings")
			}
			var buf bytes.Buffer
			if err := render.Text(&buf, r, render.TextOptions{}); err != nil {
				t.Errorf("text: %v", err)
			}
			if testing.Verbose() {
				t.Logf("%s", buf.String())
			}
			if err := render.Markdown(&buf, r, render.MarkdownOptions{}); err != nil {
				t.Errorf("markdown: %v", err)
			}
			if err := r.WriteJSON(&buf); err != nil {
				t.Errorf("json: %v", err)
			}
		})
	}
}
