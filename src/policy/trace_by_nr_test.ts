/**
 * `traceByNr` lets the supervisor skip PTRACE_GETEVENTMSG: it must name, for
 * every syscall number it lists, the one rule the filter can trace that
 * number to, whatever the arguments. Checked against the filter itself (the
 * interpreter) over policies with argument rules, file rules and every rule
 * kind.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  AUDIT_ARCH_X86_64,
  decodeInstructions,
  type Insn,
  SECCOMP_RET_TRACE,
} from "../bpf/assembler.ts";
import { type FilterSpec, traceDataByNr } from "../bpf/compile.ts";
import { runFilter } from "../bpf/interpreter.ts";
import { SYSCALL_NUMBERS } from "../arch/x86_64_syscalls.ts";
import { type CompiledPolicy, compilePolicy } from "./compile.ts";
import type { JailConfig } from "./types.ts";
import { validateConfig } from "./validate.ts";

const NR = SYSCALL_NUMBERS;

function compile(config: JailConfig, allowAll = false): CompiledPolicy {
  return compilePolicy(validateConfig(config, "test.json"), {
    supervisorPid: 4242,
    supervisorPgrp: 4240,
    resolve: () => ["10.9.8.7"],
    allowAll,
  });
}

function instructions(p: CompiledPolicy): Insn[] {
  return decodeInstructions(p.filter);
}

/** Argument values that reach every branch the policies below test. */
const VALUES = [
  0n,
  1n,
  3n,
  15n,
  17n,
  0x5412n,
  0x541cn,
  0x800000n,
  4242n,
  0xffffffffn,
  BigInt((-4240) >>> 0),
  0x7fff_0000_1000n,
  (1n << 64n) - 1n,
];

/** Every trace data the filter returns for `nr`, over argument vectors built from VALUES. */
function tracedData(insns: Insn[], nr: number): Set<number> {
  const seen = new Set<number>();
  for (let i = 0; i < 400; i++) {
    // Deterministic spread: each argument takes every value across the loop.
    const args = [0, 1, 2, 3, 4, 5].map((a) =>
      VALUES[(i * (a + 1) + a * 7 + (i >> a)) % VALUES.length]
    );
    const v = runFilter(insns, {
      nr,
      arch: AUDIT_ARCH_X86_64,
      instructionPointer: 0x401000n,
      args,
    });
    if ((v & 0xffff0000) >>> 0 === SECCOMP_RET_TRACE) seen.add(v & 0xffff);
  }
  return seen;
}

const POLICIES: [string, CompiledPolicy][] = [
  ["built-in", compile({})],
  ["-A", compile({ syscalls: { uname: "trace" } }, true)],
  [
    "net lists",
    compile({ net: { allow: ["10.0.0.0/8:443"], deny: ["10.1.0.0/16"], bind: "deny" } }),
  ],
  [
    "files",
    compile({ read: { allow: ["/usr"] }, write: { allow: ["/tmp"] }, run: { allow: ["/bin"] } }),
  ],
  [
    "every syscalls rule kind",
    compile({
      syscalls: {
        getppid: { return: 7 },
        uname: "trace",
        umask: { args: { "0": 0o22 } },
        reboot: "kill",
        mkdir: { deny: "EROFS" },
        ioctl: "trace",
        clone: "trace",
        kill: "trace",
        socket: "trace",
      },
    }),
  ],
];

for (const [name, p] of POLICIES) {
  Deno.test(`traceByNr (${name}): each listed syscall can only be traced to the data it names`, () => {
    const insns = instructions(p);
    assert.ok(p.traceByNr.length > 0, "some syscalls are traced");
    for (const [nr, data] of p.traceByNr) {
      const seen = tracedData(insns, nr);
      assert.ok(seen.size <= 1, `nr ${nr}: traced to ${[...seen]}`);
      if (seen.size === 1) assert.equal([...seen][0], data, `nr ${nr}`);
      assert.ok(p.rules[data], `nr ${nr}: data ${data} names a rule`);
    }
    // And every traced number left out really has more than one rule.
    const listed = new Set(p.traceByNr.map(([nr]) => nr));
    for (const nr of Object.values(NR)) {
      if (listed.has(nr)) continue;
      assert.ok(tracedData(insns, nr).size !== 1 || ambiguous(p.spec, nr), `nr ${nr} left out`);
    }
  });
}

/** True when the spec gives `nr` more than one trace data (some argument vector may miss one). */
function ambiguous(spec: FilterSpec, nr: number): boolean {
  const rule = spec.syscalls.get(nr);
  if (!rule || !("rules" in rule)) return false;
  const data = new Set(
    [...rule.rules.map((r) => r.action), rule.otherwise].flatMap((a) =>
      a.kind === "trace" ? [a.data] : []
    ),
  );
  return data.size > 1;
}

Deno.test("traceDataByNr(): nothing when the default action or foreign ABIs trace", () => {
  const syscalls = new Map([[NR.getppid, { kind: "trace" as const, data: 0 }]]);
  assert.deepEqual(
    traceDataByNr({ defaultAction: { kind: "allow" }, syscalls, foreignAbi: { kind: "kill" } }),
    [[NR.getppid, 0]],
  );
  assert.deepEqual(
    traceDataByNr({
      defaultAction: { kind: "trace", data: 1 },
      syscalls,
      foreignAbi: { kind: "kill" },
    }),
    [],
  );
  assert.deepEqual(
    traceDataByNr({
      defaultAction: { kind: "allow" },
      syscalls,
      foreignAbi: { kind: "trace", data: 1 },
    }),
    [],
  );
});
