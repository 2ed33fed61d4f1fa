package scan

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/coreview/coreview/internal/safefile"
)

// JSONLSchema names the version of a scan --format jsonl record.
const JSONLSchema = "coreview.scan.jsonl/v1"

const (
	// maxJSONLLine caps one record: a core's row is a few KiB.
	maxJSONLLine = 16 << 20
	// maxMergedCores caps the cores a merge holds in memory.
	maxMergedCores = 1 << 20
)

// Merge reads the JSON Lines of several scans (one per CI job or machine)
// and groups all their cores by signature, as one scan of every core
// would. Each core remembers the file it came from (Job); each group, the
// files whose cores hit it. Summary records are ignored: the groups are
// rebuilt from the cores. A file that is not a coreview scan's JSON Lines
// is an error naming the file and line.
func Merge(paths []string) (*Result, error) {
	res := &Result{}
	for _, p := range paths {
		if err := res.mergeFile(p); err != nil {
			return nil, err
		}
	}
	res.group()
	return res, nil
}

func (res *Result) mergeFile(path string) error {
	f, err := safefile.Open(path)
	if err != nil {
		return fmt.Errorf("merge: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), maxJSONLLine)
	line, records := 0, 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		var head struct {
			Schema *string `json:"schema"`
			Type   string  `json:"type"`
		}
		if err := json.Unmarshal(b, &head); err != nil {
			return fmt.Errorf("merge: %s:%d: %w", path, line, err)
		}
		// Lines written before records carried a schema have none; any
		// other schema is another format.
		if head.Schema != nil && *head.Schema != JSONLSchema {
			return fmt.Errorf("merge: %s:%d: schema %q, want %q (scan --format jsonl)", path, line, *head.Schema, JSONLSchema)
		}
		switch head.Type {
		case "summary":
			records++
			continue
		case "core":
		default:
			return fmt.Errorf("merge: %s:%d: not a scan --format jsonl record (type %q)", path, line, head.Type)
		}
		var row Row
		if err := json.Unmarshal(b, &row); err != nil {
			return fmt.Errorf("merge: %s:%d: %w", path, line, err)
		}
		if row.Path == "" {
			return fmt.Errorf("merge: %s:%d: a core record without a path", path, line)
		}
		if row.SignatureHash != "" && !isSignatureHash(row.SignatureHash) {
			return fmt.Errorf("merge: %s:%d: %q is not a signature hash", path, line, row.SignatureHash)
		}
		if len(res.Rows) == maxMergedCores {
			return fmt.Errorf("merge: more than %d cores", maxMergedCores)
		}
		if row.Diagnoses == nil {
			row.Diagnoses = []string{}
		}
		row.Job = path
		row.Baseline = ""
		res.Rows = append(res.Rows, row)
		records++
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("merge: %s:%d: %w", path, line+1, err)
	}
	if records == 0 {
		return fmt.Errorf("merge: %s: no scan records (is it scan --format jsonl?)", path)
	}
	return nil
}
