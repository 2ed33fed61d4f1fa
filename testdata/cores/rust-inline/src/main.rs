//! rust-inline: a linked list whose last node points at null. The reads are
//! always inlined into an iterator closure, so the faulting frame is several
//! inlined frames deep (value_of ← sum_pair ← walk's closure ← core::iter
//! adapters) inside walk, a real frame. Built with debug = 2 at opt-level 1.

struct Node {
    value: u64,
    next: *const Node,
}

#[inline(always)]
fn value_of(n: *const Node) -> u64 {
    // The poisoned node's `next` is null: this reads address 0.
    unsafe { std::ptr::read_volatile(&(*n).value) }
}

#[inline(always)]
fn sum_pair(n: &Node) -> u64 {
    value_of(n) + value_of(n.next)
}

#[inline(never)]
fn walk(list: &[Node]) -> u64 {
    list.iter().map(|n| sum_pair(n)).sum()
}

fn main() {
    let mut list: Vec<Node> = (0..8).map(|i| Node { value: i, next: std::ptr::null() }).collect();
    let base = list.as_ptr();
    for (i, n) in list.iter_mut().enumerate().take(7) {
        n.next = unsafe { base.add(i + 1) };
    }
    println!("{}", walk(&list));
}
