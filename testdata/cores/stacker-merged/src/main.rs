// A stacker segment whose mapping the kernel merged with a neighbour. The
// program maps 4 MiB first, then starts a thread whose stack lands below
// it, and frees the 4 MiB: stacker's mmap for the new segment lands in the
// hole, right below an anonymous RW mapping, and once stacker mprotects
// the part above its guard page to RW, the kernel merges it with that
// neighbour. The RW mapping is then bigger than stacker's 257 pages; the
// segment's real extent shows in where psm switched the stack pointer.
// parse_expr recurses on the 1 MiB segment without ever calling
// stacker::maybe_grow and faults in the segment's guard page.
use std::hint::black_box;

#[inline(never)]
fn parse_expr(depth: u64) -> u64 {
    let scratch = black_box([depth; 40]);
    if depth == u64::MAX {
        return 0;
    }
    parse_expr(depth + 1) + scratch[(depth % 40) as usize]
}

#[inline(never)]
fn parse_file(rx: std::sync::mpsc::Receiver<()>) -> u64 {
    rx.recv().unwrap(); // wait until the hole above our stack exists
    stacker::grow(1024 * 1024, || parse_expr(0))
}

fn main() {
    // A 4 MiB mapping first, then the thread's stack below it; freeing the
    // mapping leaves a hole above the stack where stacker's mmap lands.
    let hole: Vec<u8> = black_box(vec![1u8; 4 << 20]);
    let (tx, rx) = std::sync::mpsc::channel();
    let t = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(move || parse_file(rx))
        .unwrap();
    drop(hole);
    tx.send(()).unwrap();
    let _ = t.join();
}
