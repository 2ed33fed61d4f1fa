// A deliberate trap: checked_slot executes ud2 (core::arch::asm!, the
// instruction core::intrinsics::abort compiles to) when an invariant does
// not hold, and the CPU raises SIGILL.
use std::hint::black_box;

#[inline(never)]
fn checked_slot(slots: &[u32], i: usize) -> u32 {
    if i >= slots.len() {
        // SAFETY: ud2 only raises #UD; it touches no memory.
        unsafe { core::arch::asm!("ud2", options(noreturn)) }
    }
    slots[i]
}

#[inline(never)]
fn lookup(i: usize) -> u32 {
    let slots = black_box(vec![1u32, 2, 3]);
    checked_slot(&slots, i) * 2
}

fn main() {
    let i = black_box(std::env::args().count() + 8);
    println!("{}", lookup(i));
}
