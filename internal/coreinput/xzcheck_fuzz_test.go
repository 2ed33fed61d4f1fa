package coreinput

import (
	"bytes"
	"testing"
)

// FuzzXZ walks and sniffs mutated xz streams: a real one, one whose block
// declares a 4 GiB dictionary, and one cut short. The walk and the sniff
// must end without a panic or an allocation the input sized (the sniff's
// dictionary is fixed; the walk skips by the sizes the chunks claim).
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
	})
}
