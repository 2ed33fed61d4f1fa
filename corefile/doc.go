// Package corefile reads x86_64 Linux ELF core files: the process as the
// kernel wrote it in fs/binfmt_elf.c (elf_core_dump).
//
// Input is an ELF file of type ET_CORE. Output is the list of memory
// mappings (every PT_LOAD, including the PROT_NONE ones that carry no bytes),
// the notes (NT_PRSTATUS per thread, NT_PRPSINFO, NT_SIGINFO, NT_AUXV,
// NT_FILE) and an address space that reads each byte from the right place:
// the core where the kernel dumped it, otherwise the file that was mapped
// there.
//
// Nothing in this layer is language-specific, and nothing here knows about
// symbols or unwinding. Every length and count in the file is checked against
// the bytes that exist before it is used.
package corefile
