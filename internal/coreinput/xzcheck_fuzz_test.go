package coreinput

import (
	"bytes"
	"io"
	"testing"
)

// FuzzXZ walks, sniffs and decodes mutated xz streams: a real one, one
// whose block declares a 4 GiB dictionary, and one cut short. The walk,
// the sniff and the decoding must end without a panic or an allocation the
// input sized (the sniff's dictionary is fixed; the walk skips by the
// sizes the chunks claim; the decoder's dictionary is what they decode to).
func FuzzXZ(f *testing.F) {
	var buf bytes.Buffer
	w, _ := NewWriter("xz", &buf)
	w.Write(bytes.Repeat([]byte("\x7fELF\x02\x01\x01core bytes "), 512))
	w.Close()
	good := buf.Bytes()
	f.Add(good)
	f.Add(good[:len(good)/2])
	huge := bytes.Clone(good)
	hlen := (int(huge[12]) + 1) * 4
	if i := bytes.Index(huge[12:12+hlen], []byte{0x21, 0x01}); i >= 0 {
		huge[12+i+2] = 40
	}
	f.Add(huge)
	f.Fuzz(func(t *testing.T, data []byte) {
		checkXZ(bytes.NewReader(data), maxXZDict)
		sniffXZ(bytes.NewReader(data), 64)
		// Decoded with the dictionaries checkXZ rewrote (at most 1 MiB
		// here, to keep the fuzzing fast): no match may reach past them.
		patches, err := checkXZ(bytes.NewReader(data), 1<<20)
		if err != nil {
			return
		}
		d, _, err := decompressor("xz", &patchReader{r: bytes.NewReader(data), patches: patches})
		if err == nil {
			io.CopyN(io.Discard, d, 16<<20)
		}
	})
}
