// The Oxide rustc story in miniature: main asks stacker for a fresh 1 MiB
// segment (stacker::grow always allocates one: an mmap of 256 + 2 pages,
// PROT_NONE at the low end) and runs a recursion on it that never calls
// stacker::maybe_grow, so it runs off the segment into its guard page.
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
fn parse_file() -> u64 {
    stacker::grow(1024 * 1024, || parse_expr(0))
}

fn main() {
    // Run on a thread of its own, as rustc runs its compiler thread.
    let t = std::thread::Builder::new()
        .name("parser".into())
        .stack_size(8 << 20)
        .spawn(parse_file)
        .unwrap();
    let _ = t.join();
}
