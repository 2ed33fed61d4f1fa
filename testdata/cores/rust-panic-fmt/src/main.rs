// panic! with integer and string arguments in a program built with
// panic = "abort": the runtime formats the message, prints it and aborts.
use std::hint::black_box;

#[inline(never)]
fn check(reading: i64, limit: u32, sensor: &str) {
    if reading > limit as i64 {
        panic!("sensor {} read {} over its limit of {} (flag {})", sensor, reading, limit, black_box(true));
    }
}

fn main() {
    let n = black_box(std::env::args().count() as i64);
    check(-3 + n * 4100, 4096, black_box("t-7"));
}
