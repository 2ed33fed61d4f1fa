// A panic while panicking: parse_config panics (unwinding, the default),
// and during the unwind the destructor of a Transaction it holds panics
// too. Rust cannot unwind two panics at once, so the runtime prints
// "panic in a destructor during cleanup" and aborts (SIGABRT).
use std::hint::black_box;

struct Transaction {
    id: u32,
}

impl Drop for Transaction {
    #[inline(never)]
    fn drop(&mut self) {
        if black_box(self.id) != 0 {
            panic!("transaction {} rolled back twice", self.id);
        }
    }
}

#[inline(never)]
fn parse_config(text: &str) -> u32 {
    let _tx = Transaction { id: black_box(7) };
    text.trim().parse().expect("config is not a number")
}

fn main() {
    let text = black_box(String::from("seven"));
    println!("{}", parse_config(&text));
}
