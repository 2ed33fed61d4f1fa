/* The process entry of a freestanding static-pie: no C library, so no
   code relocates the program before start_c runs. The kernel enters with
   argc at [rsp] and no return address; .cfi_undefined rip ends the stack. */
	.text
	.globl _start
	.type _start, @function
_start:
	.cfi_startproc
	.cfi_undefined rip
	xor %ebp, %ebp
	mov %rsp, %rdi
	and $-16, %rsp
	call start_c
	hlt
	.cfi_endproc
	.size _start, .-_start
	.section .note.GNU-stack,"",@progbits
