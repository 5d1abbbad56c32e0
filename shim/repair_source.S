/* repair_source.S: the repair's Python files, embedded at build time one
 * after the other as the NUL-terminated string shim_repair_source
 * (repair_py.c compiles and runs it in one private namespace, so each file
 * sees the names the files before it define; repair.py, the entry, last).  An assembler file with .incbin builds with any gcc or clang, native
 * or cross, and is never instrumented by a sanitizer; module.mk makes the
 * object depend on repair.py. */
    .section .rodata
    .globl shim_repair_source
    .hidden shim_repair_source
    .type shim_repair_source, %object
shim_repair_source:
    .incbin "shim/repair_pieces.py"
    .byte 10
    .incbin "shim/repair_common.py"
    .byte 10
    .incbin "shim/repair_fused.py"
    .byte 10
    .incbin "shim/repair_attention.py"
    .byte 10
    .incbin "shim/repair_triton.py"
    .byte 10
    .incbin "shim/repair.py"
    .byte 0
    .size shim_repair_source, . - shim_repair_source

/* No executable stack. */
    .section .note.GNU-stack, "", %progbits
