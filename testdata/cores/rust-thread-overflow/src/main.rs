// A thread with a 256 KiB stack recurses until it overflows. Rust's std
// catches the SIGSEGV in the guard page on its sigaltstack, prints
// "thread 'worker' has overflowed its stack" and aborts: the core is a
// SIGABRT whose crashed thread shows abort ← std's signal_handler ←
// <signal handler called> ← recurse.
use std::hint::black_box;

#[inline(never)]
fn recurse(depth: u64) -> u64 {
    let buf = black_box([depth; 24]);
    if depth == u64::MAX {
        return 0;
    }
    recurse(depth + 1) + buf[(depth % 24) as usize]
}

fn main() {
    let worker = std::thread::Builder::new()
        .name("worker".into())
        .stack_size(256 * 1024)
        .spawn(|| recurse(0))
        .unwrap();
    let _ = worker.join();
}
