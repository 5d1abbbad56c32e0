/* repair_source.S: shim/repair.py, embedded at build time as the
 * NUL-terminated string shim_repair_source (repair_py.c compiles and runs
 * it).  An assembler file with .incbin builds with any gcc or clang, native
 * or cross, and is never instrumented by a sanitizer; module.mk makes the
 * object depend on repair.py. */
    .section .rodata
    .globl shim_repair_source
    .hidden shim_repair_source
    .type shim_repair_source, %object
shim_repair_source:
    .incbin "shim/repair.py"
    .byte 0
    .size shim_repair_source, . - shim_repair_source

/* No executable stack. */
    .section .note.GNU-stack, "", %progbits
