// Option::expect on None in a program built with panic = "abort".
use std::collections::HashMap;
use std::hint::black_box;

#[inline(never)]
fn port_of(config: &HashMap<&str, u16>, key: &str) -> u16 {
    *config.get(key).expect("the config names no port for this service")
}

fn main() {
    let mut config = HashMap::new();
    config.insert("http", 80u16);
    println!("{}", port_of(&config, black_box("https")));
}
