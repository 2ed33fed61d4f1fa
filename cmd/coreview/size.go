package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// byteSize is a size flag's value: a count of bytes, given plain (1073741824)
// or with a suffix as dd(1) reads them: K, M, G, T (and KiB…TiB) are powers
// of 1024, kB, MB, GB, TB powers of 1000.
type byteSize int64

var sizeSuffixes = []struct {
	suffix string
	mult   int64
}{
	// Longest first, so "KiB" is not read as "B" after "Ki".
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"kB", 1e3}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
	{"K", 1 << 10}, {"k", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"T", 1 << 40},
	{"B", 1},
}

func (s *byteSize) Set(v string) error {
	n, err := parseByteSize(v)
	if err != nil {
		return err
	}
	*s = byteSize(n)
	return nil
}

func (s *byteSize) Type() string { return "size" }

// String writes the size with the largest binary suffix that divides it,
// so help shows the default as 64G.
func (s *byteSize) String() string {
	n := int64(*s)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"T", 1 << 40}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}} {
		if n != 0 && n%u.mult == 0 {
			return strconv.FormatInt(n/u.mult, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}

// parseByteSize reads "1G", "512MiB", "10MB" or "4096".
func parseByteSize(v string) (int64, error) {
	num, mult := strings.TrimSpace(v), int64(1)
	for _, u := range sizeSuffixes {
		if strings.HasSuffix(num, u.suffix) {
			num, mult = strings.TrimSpace(strings.TrimSuffix(num, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseUint(num, 10, 63)
	if err != nil {
		return 0, fmt.Errorf("%q is not a size (bytes, or a number with K, M, G, T for powers of 1024, kB, MB, GB, TB for powers of 1000)", v)
	}
	if n > uint64(math.MaxInt64/mult) {
		return 0, fmt.Errorf("%q is too large", v)
	}
	return int64(n) * mult, nil
}
