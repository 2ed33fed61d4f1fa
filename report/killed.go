package report

import "fmt"

// Explain writes in words that another process killed thread t: who sent
// which signal with which call, and where the thread was when it arrived.
func (k *Killed) Explain(t *Thread) (string, []string) {
	by := fmt.Sprintf("process %d (uid %d)", k.SenderPID, k.SenderUID)
	if k.SenderPID == 0 {
		by = fmt.Sprintf("a process outside its PID namespace (si_pid 0, uid %d)", k.SenderUID)
	}
	call := map[string]string{"SI_USER": "kill()", "SI_TKILL": "tgkill()", "SI_QUEUE": "sigqueue()"}[k.How]
	summary := fmt.Sprintf("Thread %d was killed: %s sent %s with %s; the program did not raise it.", t.TID, by, SignalName(k.Signo), call)
	if len(t.Frames) == 0 {
		return summary, nil
	}
	top := t.Frames[0]
	where := fmt.Sprintf("The signal arrived while the thread was in %s", top.Name())
	if top.Module != "" {
		where += " (" + top.Module + ")"
	}
	if k.In != nil && k.In.Index > 0 {
		// In is the first frame of the program's own code: the
		// direct caller of frame 0 only when it is frame 1.
		how := "called from"
		if k.In.Index > 1 {
			how = "reached from"
		}
		where += fmt.Sprintf(", %s %s (#%d", how, k.In.Function, k.In.Index)
		if k.In.Module != "" {
			where += ", " + k.In.Module
		}
		where += ")"
	}
	return summary, []string{where + "."}
}
