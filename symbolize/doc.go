// Package symbolize turns runtime addresses into module+offset and symbol
// names.
//
// Input is the list of file-backed regions of an address space (start, end,
// file offset, path) and a way to read the memory; output is a Table of
// Modules, each with its load bias, build-id, ELF symbols (.symtab, .dynsym,
// synthesized PLT entries) and the sections an unwinder needs. Names are
// demangled (Rust legacy and v0, C++). The package knows nothing about core
// files or stacks.
package symbolize
