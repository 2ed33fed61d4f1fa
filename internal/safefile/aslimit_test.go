package safefile_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/coreview/coreview/internal/safefile"
	"github.com/coreview/coreview/internal/testfixture"
)

// TestLimitAddressSpaceLeavesRoomForMaps: under a limit barely above what
// the process uses, a 4 GiB file still maps (its size is added to the
// limit) and the limit goes back down when it is unmapped. Run in a child:
// the limit is the process's.
func TestLimitAddressSpaceLeavesRoomForMaps(t *testing.T) {
	if !testfixture.InChild(t) {
		testfixture.RunInChild(t, 0)
		return
	}
	path := filepath.Join(t.TempDir(), "big")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.Truncate(4 << 30) // sparse
	base := vmSize(t) + 256<<20
	if err := safefile.LimitAddressSpace(base); err != nil {
		t.Fatal(err)
	}
	m, err := safefile.Map(f)
	if err != nil {
		t.Fatalf("mapping 4 GiB under the limit: %v", err)
	}
	if got := curAS(t); got != base+4<<30 {
		t.Errorf("limit while mapped %d, want %d", got, base+4<<30)
	}
	m.Close()
	if got := curAS(t); got != base {
		t.Errorf("limit after unmapping %d, want %d", got, base)
	}
}

func curAS(t *testing.T) uint64 {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_AS, &lim); err != nil {
		t.Fatal(err)
	}
	return lim.Cur
}

func vmSize(t *testing.T) uint64 {
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmSize:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	t.Fatal("no VmSize")
	return 0
}
