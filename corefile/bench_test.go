package corefile_test

import (
	"testing"

	"github.com/go-delve/delve/pkg/proc/core"

	"github.com/coreview/coreview/corefile"
	"github.com/coreview/coreview/internal/testfixture"
)

// segmentReader reads one dumped mapping for delve's SplicedMemory.
type segmentReader struct {
	mem *corefile.Memory
}

func (s segmentReader) ReadMemory(buf []byte, addr uint64) (int, error) {
	return s.mem.ReadAt(buf, addr)
}

// BenchmarkMemoryRead compares corefile.Memory (binary search over sorted
// mappings) with delve's core.SplicedMemory (a linear scan of its regions)
// on the 61-thread fixture: 8-byte reads spread over every dumped mapping,
// as an unwinder makes them.
func BenchmarkMemoryRead(b *testing.B) {
	f := testfixture.Get(b, "c-threads")
	c, err := corefile.Open(f.RawCore(b))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	mem := c.Memory(nil)
	var addrs []uint64
	for _, m := range c.Mappings {
		if m.FileSize >= 8 {
			addrs = append(addrs, m.Start, m.Start+m.FileSize/2, m.Start+m.FileSize-8)
		}
	}
	var buf [8]byte
	b.Run("corefile.Memory", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := mem.ReadAt(buf[:], addrs[i%len(addrs)]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("delve.SplicedMemory", func(b *testing.B) {
		var sm core.SplicedMemory
		for _, m := range c.Mappings {
			if m.FileSize > 0 {
				sm.Add(segmentReader{mem}, m.Start, m.FileSize)
			}
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := sm.ReadMemory(buf[:], addrs[i%len(addrs)]); err != nil {
				b.Fatal(err)
			}
		}
	})
}
