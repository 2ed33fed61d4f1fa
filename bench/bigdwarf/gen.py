#!/usr/bin/env python3
"""Writes a Rust program whose debug build carries 100+ MB of DWARF: N
modules, each with its own struct type that instantiates std's generic
collections and iterators (every instantiation is code plus DWARF). main
calls a chain through the first DEPTH modules, and the last one aborts, so
the core's stack crosses DEPTH compilation units of many.

usage: gen.py DIR [N] [DEPTH]"""
import os
import sys

out = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 1500
depth = int(sys.argv[3]) if len(sys.argv) > 3 else 20
os.makedirs(os.path.join(out, "src"), exist_ok=True)
with open(os.path.join(out, "Cargo.toml"), "w") as f:
    f.write('[package]\nname = "bigdwarf"\nversion = "0.1.0"\nedition = "2021"\n\n'
            '[profile.dev]\ndebug = 2\nopt-level = 0\n')
src = ["use std::collections::{BTreeMap, HashMap};", ""]
for i in range(n):
    nxt = f"m{i+1}::work(depth - 1, v)" if i + 1 < n else "0"
    src.append(f"""pub mod m{i} {{
    use super::*;
    #[derive(Debug, Clone, Default, PartialEq, PartialOrd)]
    pub struct Item{i} {{ pub a: u64, pub b: String, pub c: Vec<u32>, pub d: Option<Box<Item{i}>> }}
    #[inline(never)]
    pub fn work(depth: u32, v: &mut Vec<u64>) -> u64 {{
        let items: Vec<Item{i}> = v.iter().map(|&a| Item{i} {{ a, b: a.to_string(), ..Default::default() }}).collect();
        let m: HashMap<String, Item{i}> = items.iter().map(|i| (i.b.clone(), i.clone())).collect();
        let b: BTreeMap<u64, Item{i}> = items.iter().map(|i| (i.a, i.clone())).collect();
        let s: u64 = m.values().map(|i| i.a).sum::<u64>() + b.keys().sum::<u64>() + format!("{{:?}}", items.first()).len() as u64;
        v.push(s);
        if depth == 0 {{
            std::process::abort();
        }}
        s + {nxt}
    }}
}}""")
src.append(f"""
fn main() {{
    let mut v = vec![1, 2, 3];
    println!("{{}}", m0::work({depth}, &mut v));
}}""")
with open(os.path.join(out, "src", "main.rs"), "w") as f:
    f.write("\n".join(src) + "\n")
