package report

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestAppendStringMatchesEncodingJSON: appendString, whose fast path
// checks eight bytes at a time, writes every string as encoding/json does
// with HTML escaping off. The strings put each byte that needs attention
// at every position of a word, and random bytes of every kind.
func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	want := func(s string) string {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		return strings.TrimSuffix(buf.String(), "\n")
	}
	var cases []string
	specials := []string{"\x00", "\x1f", "\n", "\t", "\"", "\\", "\x7f", " ", "\x80", "\xff", "é", "\u2028", "\u2029", "<&>", "\x19", "\x21", "\x5b", "\x5d"}
	for _, sp := range specials {
		for pre := 0; pre < 20; pre++ {
			for post := 0; post < 10; post += 3 {
				cases = append(cases, strings.Repeat("a", pre)+sp+strings.Repeat("z", post))
			}
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 5000 {
		b := make([]byte, r.IntN(40))
		for i := range b {
			switch r.IntN(4) {
			case 0:
				b[i] = byte(r.IntN(256))
			case 1:
				b[i] = byte(0x20 + r.IntN(0x5f))
			default:
				b[i] = "az09_:<>/.\"\\"[r.IntN(12)]
			}
		}
		cases = append(cases, string(b))
	}
	for _, s := range cases {
		if got, w := string(appendString(nil, s)), want(s); got != w {
			t.Fatalf("appendString(%q) = %s, encoding/json writes %s", s, got, w)
		}
	}
}
