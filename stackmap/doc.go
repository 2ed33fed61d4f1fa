// Package stackmap rebuilds call stacks from a thread's registers and the
// memory of its process.
//
// Input is a register set, a Memory to read the stack from and a Code
// resolver that supplies call frame information (.eh_frame, .debug_frame)
// for a program counter. Output is a Stack: the frames, each with its PC,
// stack pointer, CFA and the method that found it (context, cfi, signal,
// fp, scan), and the typed reason the walk ended.
//
// The unwinder follows the CFA wherever it goes: a stack switch made by
// psm/stacker (rust_psm_on_stack) moves the CFA to another mapping, possibly
// upwards, and that is not treated as corruption.
package stackmap
