package report

import (
	"slices"
	"testing"
)

// TestKilledExplain: each sentence a killed diagnosis can say, from a
// hand-built Killed and thread, word for word.
func TestKilledExplain(t *testing.T) {
	read := Frame{Function: "read", Module: "/usr/lib/x86_64-linux-gnu/libc.so.6"}
	tests := []struct {
		name    string
		k       Killed
		thread  Thread
		summary string
		more    []string
	}{
		{"kill(), no frames", Killed{SenderPID: 4242, SenderUID: 1000, How: "SI_USER", Signo: SIGTERM}, Thread{TID: 5},
			"Thread 5 was killed: process 4242 (uid 1000) sent SIGTERM with kill(); the program did not raise it.", nil},
		{"tgkill() from outside the namespace, in the program", Killed{SenderPID: 0, SenderUID: 0, How: "SI_TKILL", Signo: SIGABRT,
			In: &FrameRef{Index: 0, Function: "spin", Module: "/usr/bin/prog"}},
			Thread{TID: 5, Frames: []Frame{{Function: "spin", Module: "/usr/bin/prog"}}},
			"Thread 5 was killed: a process outside its PID namespace (si_pid 0, uid 0) sent SIGABRT with tgkill(); the program did not raise it.",
			[]string{"The signal arrived while the thread was in spin (/usr/bin/prog)."}},
		{"called from its direct caller", Killed{SenderPID: 7, SenderUID: 0, How: "SI_QUEUE", Signo: SIGUSR1,
			In: &FrameRef{Index: 1, Function: "main", Module: "/usr/bin/prog"}},
			Thread{TID: 5, Frames: []Frame{read, {Function: "main"}}},
			"Thread 5 was killed: process 7 (uid 0) sent SIGUSR1 with sigqueue(); the program did not raise it.",
			[]string{"The signal arrived while the thread was in read (/usr/lib/x86_64-linux-gnu/libc.so.6), called from main (#1, /usr/bin/prog)."}},
		{"reached from further out, unnamed module", Killed{SenderPID: 7, How: "SI_USER", Signo: SIGKILL,
			In: &FrameRef{Index: 3, Function: "sha256sum"}},
			Thread{TID: 5, Frames: []Frame{{PC: 0x7f00}, read, read, {Function: "sha256sum"}}},
			"Thread 5 was killed: process 7 (uid 0) sent SIGKILL with kill(); the program did not raise it.",
			[]string{"The signal arrived while the thread was in 0x7f00, reached from sha256sum (#3)."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			summary, more := tt.k.Explain(&tt.thread)
			if summary != tt.summary {
				t.Errorf("summary\n got %s\nwant %s", summary, tt.summary)
			}
			if !slices.Equal(more, tt.more) {
				t.Errorf("explanation\n got %q\nwant %q", more, tt.more)
			}
		})
	}
}
