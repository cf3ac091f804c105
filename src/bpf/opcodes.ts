/**
 * The numbers of a seccomp filter: classic BPF (kernel/bpf.ts) and seccomp's
 * actions and `struct seccomp_data` (kernel/seccomp.ts), in one import for
 * the assembler, the interpreter, the disassembler and the compiler. The
 * values live in `kernel/`, the one home of kernel constants.
 *
 * @module
 */

export * from "../../kernel/bpf.ts";
export * from "../../kernel/seccomp.ts";
