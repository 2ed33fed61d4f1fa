// A panic three calls deep in a program built with panic = "abort": the
// panic runtime prints the message and aborts (SIGABRT).
use std::hint::black_box;

#[inline(never)]
fn lookup(table: &[u32], key: usize) -> u32 {
    table[key] // index out of bounds
}

#[inline(never)]
fn resolve(key: usize) -> u32 {
    let table = black_box(vec![1u32, 2, 3]);
    lookup(&table, key) + 1
}

fn main() {
    let key = black_box(std::env::args().count() + 10);
    println!("{}", resolve(key));
}
