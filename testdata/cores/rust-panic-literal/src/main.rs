// panic! with a literal message in a program built with panic = "abort":
// std passes the &'static str itself (no formatted copy) to the hook,
// which prints it, and the runtime aborts.
use std::hint::black_box;

#[inline(never)]
fn check(n: usize) {
    if n > 0 {
        panic!("the configuration file is missing its header line");
    }
}

fn main() {
    check(black_box(std::env::args().count()));
}
