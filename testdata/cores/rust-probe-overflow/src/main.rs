// A thread with a 1 MiB stack recurses in a function with a 12,000-byte
// local. rustc's LLVM probes a frame that big page by page as it allocates
// it (inline stack probes, unrolled: sub rsp,0x1000; mov qword ptr [rsp],0
// five times, then sub rsp,0xdc8), so the overflow faults on a probe, in
// the middle of the prologue: the innermost frame is only partly built.
// Rust's std catches the SIGSEGV, prints "thread 'probe' has overflowed its
// stack" and aborts.
use std::hint::black_box;

#[inline(never)]
fn unrolled(depth: u64) -> u64 {
    let buf = black_box([depth; 1500]);
    if depth == u64::MAX {
        return 0;
    }
    unrolled(depth + 1) + buf[(depth % 1500) as usize]
}

fn main() {
    let t = std::thread::Builder::new()
        .name("probe".into())
        .stack_size(1 << 20)
        .spawn(|| unrolled(0))
        .unwrap();
    let _ = t.join();
}
