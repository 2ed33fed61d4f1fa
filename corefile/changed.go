package corefile

import (
	"errors"
	"sync"

	"github.com/coreview/coreview/internal/safefile"
)

// changedState remembers the first read that found the core file changed
// underneath (truncated while mapped: safefile.ErrChanged).
type changedState struct {
	mu  sync.Mutex
	err error
}

func (c *File) noteRead(err error) {
	if err == nil || !errors.Is(err, safefile.ErrChanged) {
		return
	}
	c.changed.mu.Lock()
	if c.changed.err == nil {
		c.changed.err = err
	}
	c.changed.mu.Unlock()
}

// Changed returns the error of the first read that found the core file
// changed while it was being read (it shrank or was rewritten underneath),
// or nil. Nothing read from the core can be trusted then: the analysis of
// such a core is that error, not a report.
func (c *File) Changed() error {
	c.changed.mu.Lock()
	defer c.changed.mu.Unlock()
	return c.changed.err
}
