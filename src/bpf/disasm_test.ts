import assert from "node:assert/strict";
import { Assembler } from "./assembler.ts";
import * as bpf from "./opcodes.ts";
import { AUDIT_ARCH_X86_64 } from "../../kernel/abi.ts";
import { actionName, disassemble } from "./disasm.ts";
import { i, RET_A, RET_K } from "./_test_helpers.ts";

Deno.test("disassemble renders a small program", () => {
  const a = new Assembler();
  a.loadArch();
  a.jeq(AUDIT_ARCH_X86_64, null, "kill");
  a.loadNr();
  a.jset(bpf.X32_SYSCALL_BIT, "kill");
  a.jeq(42, "connect");
  a.jge(400, "trace");
  a.ret(bpf.SECCOMP_RET_ALLOW);
  a.label("connect");
  a.loadArgHigh(1).jeq(0, null, "kill");
  a.loadArgLow(1).and(0xff00).jeq(0x5400, "eacces", "kill");
  a.label("trace").ret(bpf.SECCOMP_RET_TRACE | 7);
  a.label("eacces").ret(bpf.SECCOMP_RET_ERRNO | 13);
  a.label("kill").ret(bpf.SECCOMP_RET_KILL_PROCESS);
  const names: Record<number, string> = { 42: "connect", 400: "nope" };
  assert.deepEqual(
    disassemble(a.assemble().instructions, { syscallName: (nr) => names[nr] }),
    `\
0000: ld arch
0001: jeq #0xc000003e (AUDIT_ARCH_X86_64) jt 0002 jf 0014
0002: ld nr
0003: jset #0x40000000 (X32_SYSCALL_BIT) jt 0014 jf 0004
0004: jeq #42 (connect) jt 0007 jf 0005
0005: jge #400 (nope) jt 0012 jf 0006
0006: ret ALLOW
0007: ld args[1].hi
0008: jeq #0 jt 0009 jf 0014
0009: ld args[1].lo
0010: and #0xff00
0011: jeq #0x5400 jt 0013 jf 0014
0012: ret TRACE|7
0013: ret ERRNO(13)
0014: ret KILL_PROCESS
`,
  );
});

Deno.test("disassemble names unknown and odd instructions", () => {
  const text = disassemble([
    i(bpf.BPF_LD | bpf.BPF_MEM, 2),
    i(bpf.BPF_ALU | bpf.BPF_ADD | bpf.BPF_X),
    i(bpf.BPF_MISC | bpf.BPF_TAX),
    i(bpf.BPF_LD | bpf.BPF_H | bpf.BPF_ABS, 3),
    i(bpf.BPF_JMP | bpf.BPF_JA, 0),
    i(RET_A),
    i(RET_K, 0x00030005),
  ]);
  assert.deepEqual(
    text,
    `\
0000: ld M[2]
0001: add x
0002: tax
0003: .insn code=0x0028 jt=0 jf=0 k=0x3
0004: ja 0005
0005: ret A
0006: ret TRAP|5
`,
  );
  assert.deepEqual(actionName(0x7fc00000), "USER_NOTIF");
  assert.deepEqual(actionName(0x12345678), "#0x12345678");
});
