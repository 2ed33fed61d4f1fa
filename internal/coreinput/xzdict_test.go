package coreinput

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"io"
	"math/rand"
	"runtime"
	"strings"
	"testing"

	"github.com/ulikunitz/xz"
)

// xzWith compresses data with the dictionary dict declared.
func xzWith(t *testing.T, data []byte, dict int) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := xz.WriterConfig{DictCap: dict}.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// readXZ decompresses b as decompress does: checkXZ's patches applied.
func readXZ(t *testing.T, b []byte) ([]byte, []xzPatch) {
	t.Helper()
	patches, err := checkXZ(bytes.NewReader(b), maxXZDict)
	if err != nil {
		t.Fatal(err)
	}
	d, _, err := decompressor("xz", &patchReader{r: bytes.NewReader(b), patches: patches})
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(d)
	if err != nil {
		t.Fatalf("decoding with the patched header: %v", err)
	}
	return out, patches
}

// TestXZDictionaryFits: a block declaring more dictionary than it decodes
// to is read with a dictionary the size of its data, byte for byte the
// same, matches a whole block back included; the patched header is one
// the decoder checks (its CRC32 is right), and reads are cut anywhere.
func TestXZDictionaryFits(t *testing.T) {
	rnd := make([]byte, 1<<20)
	rand.New(rand.NewSource(1)).Read(rnd)
	data := append(bytes.Clone(rnd), rnd...) // the second half matches 1 MiB back
	b := xzWith(t, data, 64<<20)
	out, patches := readXZ(t, b)
	if !bytes.Equal(out, data) {
		t.Fatalf("decoded %d bytes, not the %d compressed", len(out), len(data))
	}
	if len(patches) != 1 {
		t.Fatalf("%d patches, want the block header's", len(patches))
	}
	br := bufio.NewReader(bytes.NewReader(patches[0].Data))
	blk, err := readXZBlockHeader(br)
	if err != nil || blk.dict < int64(len(data)) || blk.dict > 2*int64(len(data)) {
		t.Errorf("patched header declares %d bytes (%v), want at least the block's %d, and not twice", blk.dict, err, len(data))
	}
	// Read a byte, then 7, then 4093 at a time: a patch cut by reads.
	for _, cut := range []int{1, 7, 4093} {
		pr := &patchReader{r: bytes.NewReader(b), patches: patches}
		var got bytes.Buffer
		p := make([]byte, cut)
		for {
			n, err := pr.Read(p)
			got.Write(p[:n])
			if err != nil {
				break
			}
		}
		want := bytes.Clone(b)
		copy(want[patches[0].Off:], patches[0].Data)
		if !bytes.Equal(got.Bytes(), want) {
			t.Errorf("read %d at a time: the patched stream differs", cut)
		}
	}
	// A block that needs its whole declared dictionary keeps it.
	small := xzWith(t, data, 1<<20)
	if _, patches := readXZ(t, small); len(patches) != 0 {
		t.Errorf("a block declaring 1 MiB for 2 MiB of data was patched: %v", patches)
	}
}

// TestXZDictionaryMemory: opening a small core declaring a 256 MiB
// dictionary allocates what the core needs, not 256 MiB; before, twelve
// such files took 2.8 s and 1 GB in one process (scan --in-process).
func TestXZDictionaryMemory(t *testing.T) {
	data := bytes.Repeat([]byte("\x7fELF\x02\x01\x01core bytes "), 4096)
	b := xzWith(t, data, 4<<20)
	// Declare 256 MiB, as xz --lzma2=dict=256MiB does for any input.
	hlen := (int(b[12]) + 1) * 4
	h := b[12 : 12+hlen]
	i := bytes.Index(h, []byte{0x21, 0x01})
	if i < 0 {
		t.Fatalf("no LZMA2 filter flags in block header % x", h)
	}
	h[i+2] = 32 // 256 MiB
	binary.LittleEndian.PutUint32(h[hlen-4:], crc32.ChecksumIEEE(h[:hlen-4]))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	out, _ := readXZ(t, b)
	runtime.ReadMemStats(&after)
	if !bytes.Equal(out, data) {
		t.Fatal("decoded bytes differ")
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 32<<20 {
		t.Errorf("decoding %d bytes allocated %d MiB", len(data), n>>20)
	}
}

// TestXZDictionaryTooLarge: a block whose chunks decode to more than
// maxXZDict, with a dictionary as large declared, is refused; the walk
// trusts the chunks' sizes, and reads none of their data.
func TestXZDictionaryTooLarge(t *testing.T) {
	var s bytes.Buffer
	s.Write([]byte("\xfd7zXZ\x00\x00\x01"))
	binary.Write(&s, binary.LittleEndian, crc32.ChecksumIEEE([]byte{0, 1}))
	hdr := []byte{2, 0, 0x21, 0x01, 40, 0, 0, 0, 0, 0, 0, 0} // 12 bytes, 4 GiB dictionary
	binary.LittleEndian.PutUint32(hdr[8:], crc32.ChecksumIEEE(hdr[:8]))
	s.Write(hdr)
	for i := 0; i <= maxXZDict>>21; i++ {
		// An LZMA chunk of 2 MiB unpacked, 1 byte packed.
		c := byte(0x80)
		if i == 0 {
			c = 0xe0
		}
		s.Write([]byte{c | 0x1f, 0xff, 0xff, 0, 0})
		if c >= 0xc0 {
			s.WriteByte(0x5d)
		}
		s.WriteByte(0)
	}
	s.WriteByte(0)
	_, err := checkXZ(bytes.NewReader(s.Bytes()), maxXZDict)
	if err == nil || !strings.Contains(err.Error(), "dictionary, more than the 256 MiB allowed") {
		t.Errorf("checkXZ: %v, want the dictionary refused", err)
	}
}
