package analyze

import (
	"testing"

	"github.com/coreview/coreview/corefile"
)

// TestInputSearchPanicReachesCaller: a panic in the input search that runs
// beside the symbolization (startInputs) is raised where crashSite takes
// the answer, in Analyze's goroutine, where the CLI turns it into one line
// and exit status 3 and scan into a row's "internal error"; raised on the
// search's own goroutine it ended the process. A nil stack stands for the
// bug.
func TestInputSearchPanicReachesCaller(t *testing.T) {
	s := &Session{}
	s.inputsFound = s.startInputs(nil, nil, nil)
	defer func() {
		if recover() == nil {
			t.Error("the search's panic did not reach takeInputs")
		}
		if s.inputsFound != nil {
			t.Error("the search is still pending after takeInputs")
		}
	}()
	s.takeInputs()
}

// TestPrefetchPanicReachesCaller: a panic in the source prefetch that runs
// beside the walks (startPrefetch) is raised by takePrefetch, in Analyze's
// goroutine, not on the prefetch's own. A session without memory stands
// for the bug.
func TestPrefetchPanicReachesCaller(t *testing.T) {
	s := &Session{}
	s.startPrefetch([]*corefile.Thread{{}})
	defer func() {
		if recover() == nil {
			t.Error("the prefetch's panic did not reach takePrefetch")
		}
		if s.prefetchPanic != nil {
			t.Error("the panic is still kept after takePrefetch")
		}
	}()
	s.takePrefetch()
}
