// std::process::abort called directly: validate_header finds a bad magic
// number and aborts the process without unwinding (SIGABRT), no panic.
use std::hint::black_box;

#[inline(never)]
fn validate_header(header: &[u8]) -> usize {
    if header.get(..4) != Some(b"CVW1") {
        eprintln!("bad header magic, aborting");
        std::process::abort();
    }
    header.len()
}

#[inline(never)]
fn load(data: &[u8]) -> usize {
    validate_header(black_box(data)) + 1
}

fn main() {
    let data = black_box(vec![0u8; 16]);
    println!("{}", load(&data));
}
