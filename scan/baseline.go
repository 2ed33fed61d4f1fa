package scan

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"

	"github.com/coreview/coreview/internal/safefile"
)

// Baseline states of a core or a crash group, with --baseline.
const (
	BaselineKnown = "known" // the baseline holds its signature
	BaselineNew   = "new"   // it does not
)

// BaselineSchema names the version of a baseline file.
const BaselineSchema = "coreview.baseline/v1"

// maxBaselineSize caps a baseline file: a signature entry is ~200 bytes,
// so 64 MiB is far more crashes than any CI lives with.
const maxBaselineSize = 64 << 20

// Baseline is the crash signatures a CI already knows about: written by
// scan --write-baseline, read by scan --baseline, which then marks each
// core and group known or new and fails only for new ones.
type Baseline struct {
	Schema     string              `json:"schema"`
	Signatures []BaselineSignature `json:"signatures"`
	// known indexes Signatures by hash; ReadBaseline builds it.
	known map[string]bool
}

// BaselineSignature is one known crash. Only the hash decides; the rest
// tells a person reading the file what it is.
type BaselineSignature struct {
	SignatureHash string `json:"signature_hash"`
	Signature     string `json:"signature"`
	Diagnosis     string `json:"diagnosis,omitempty"`
	Cores         int    `json:"cores"`
}

// Baseline returns the scan's crash signatures, sorted by hash so that
// rewriting a baseline from the same crashes changes no line.
func (res *Result) Baseline() *Baseline {
	b := &Baseline{Schema: BaselineSchema, Signatures: []BaselineSignature{}}
	for _, g := range res.Groups {
		b.Signatures = append(b.Signatures, BaselineSignature{g.SignatureHash, g.Signature, g.Diagnosis, g.Count})
	}
	sort.Slice(b.Signatures, func(i, j int) bool { return b.Signatures[i].SignatureHash < b.Signatures[j].SignatureHash })
	return b
}

// Write writes the baseline as indented JSON.
func (b *Baseline) Write(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(b)
}

// ReadBaseline reads a baseline file written by Write.
func ReadBaseline(path string) (*Baseline, error) {
	f, err := safefile.Open(path)
	if err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxBaselineSize+1))
	if err != nil {
		return nil, fmt.Errorf("baseline %s: %w", path, err)
	}
	if len(data) > maxBaselineSize {
		return nil, fmt.Errorf("baseline %s: larger than %d bytes", path, maxBaselineSize)
	}
	var b Baseline
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, fmt.Errorf("baseline %s: %w", path, err)
	}
	if b.Schema != BaselineSchema {
		return nil, fmt.Errorf("baseline %s: schema %q, want %q (a file written by scan --write-baseline)", path, b.Schema, BaselineSchema)
	}
	for i, s := range b.Signatures {
		if !isSignatureHash(s.SignatureHash) {
			return nil, fmt.Errorf("baseline %s: signature %d: %q is not a signature hash (16 hex digits)", path, i, s.SignatureHash)
		}
	}
	b.State("") // index it now: State may then be called from several goroutines
	return &b, nil
}

func isSignatureHash(s string) bool {
	if len(s) != 16 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// State is BaselineKnown when the baseline holds the signature hash, else
// BaselineNew.
func (b *Baseline) State(hash string) string {
	if b.known == nil {
		b.known = map[string]bool{}
		for _, s := range b.Signatures {
			b.known[s.SignatureHash] = true
		}
	}
	if b.known[hash] {
		return BaselineKnown
	}
	return BaselineNew
}

// ApplyBaseline marks every analyzed core and every group known or new.
func (res *Result) ApplyBaseline(b *Baseline) {
	state := b.State
	n := 0
	for i := range res.Rows {
		if res.Rows[i].SignatureHash != "" {
			res.Rows[i].Baseline = state(res.Rows[i].SignatureHash)
		}
	}
	for i := range res.Groups {
		res.Groups[i].Baseline = state(res.Groups[i].SignatureHash)
		if res.Groups[i].Baseline == BaselineNew {
			n++
		}
	}
	res.New, res.baselined = &n, true
}
