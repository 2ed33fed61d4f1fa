package analyze

import (
	"bytes"
	"os"
	"testing"

	"github.com/coreview/coreview/corefile"
	"github.com/coreview/coreview/internal/testfixture"
)

// TestNoThreadsJSONArray: a core without thread notes reports "threads" as
// an empty array, as the schema requires (report-v1: "type": "array");
// until the threads were built side by side (84e5595) the report wrote
// null there.
func TestNoThreadsJSONArray(t *testing.T) {
	f := testfixture.Get(t, "c-null-deref")
	raw, err := os.ReadFile(f.RawCore(t))
	if err != nil {
		t.Fatal(err)
	}
	img := withoutPRSTATUS(t, raw)
	c, err := corefile.NewFile(bytes.NewReader(img), int64(len(img)))
	if err != nil {
		t.Fatal(err)
	}
	s := NewSession("no-prstatus", c, options(f))
	defer s.Close()
	var buf bytes.Buffer
	if err := s.Report().WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(buf.Bytes(), []byte(`"threads":[]`)) {
		t.Errorf("no empty threads array in %.400s…", buf.String())
	}
}
