import assert from "node:assert/strict";
import fc from "fast-check";
import { BPF_MAXINSNS, SECCOMP_RET_ALLOW, X32_SYSCALL_BIT } from "./opcodes.ts";
import { AUDIT_ARCH_I386, AUDIT_ARCH_X86_64 } from "../../kernel/abi.ts";
import { runFilter, type RunStats, type SeccompData } from "./interpreter.ts";
import { actionName, disassemble } from "./disasm.ts";
import {
  type ArgRule,
  type ArgTest,
  compileFilter,
  decideReference,
  encodeAction,
  type FilterSpec,
  type KernelAction,
  syscallRanges,
  type SyscallRule,
  testsOf,
} from "./compile.ts";
import { data, throwsWith, U64_MAX } from "./_test_helpers.ts";

const ALLOW: KernelAction = { kind: "allow" };
const KILL: KernelAction = { kind: "kill" };
const LOG: KernelAction = { kind: "log" };
const errno = (e: number): KernelAction => ({ kind: "errno", errno: e });
const trace = (d: number): KernelAction => ({ kind: "trace", data: d });
const EPERM = errno(1);
const EACCES = errno(13);
const ENOSYS = errno(38);

const SYS = {
  read: 0,
  write: 1,
  open: 2,
  ioctl: 16,
  socket: 41,
  connect: 42,
  clone: 56,
  execve: 59,
  openat: 257,
} as const;
const TIOCSTI = 0x5412n;
const CLONE_UNTRACED = 0x00800000n;
const AF_INET = 2n;
const AF_PACKET = 17n;

// ioctl's cmd and socket's domain are 32-bit in the kernel, which ignores the
// high half of the register: compare the low 32 bits only, or a caller could
// dodge the rule by setting a high bit.
const INT = 0xffffffffn;

const sampleSpec: FilterSpec = {
  defaultAction: ENOSYS,
  foreignAbi: KILL,
  syscalls: new Map<number, SyscallRule>([
    [SYS.read, ALLOW],
    [SYS.write, ALLOW],
    [SYS.open, trace(2)],
    [SYS.ioctl, {
      rules: [{ test: { op: "masked_eq", arg: 1, mask: INT, value: TIOCSTI }, action: EPERM }],
      otherwise: ALLOW,
    }],
    [SYS.socket, {
      rules: [{ test: { op: "masked_eq", arg: 0, mask: INT, value: AF_PACKET }, action: EACCES }],
      otherwise: ALLOW,
    }],
    [SYS.connect, trace(42)],
    [SYS.clone, {
      rules: [{ test: { op: "any_set", arg: 0, mask: CLONE_UNTRACED }, action: EPERM }],
      otherwise: ALLOW,
    }],
    [SYS.execve, trace(59)],
    [SYS.openat, {
      rules: [
        { test: { op: "eq", arg: 0, value: 0xffffff9cn /* AT_FDCWD as u32 */ }, action: LOG },
        {
          test: { op: "eq", arg: 0, value: U64_MAX - 99n /* AT_FDCWD as u64 */ },
          action: trace(257),
        },
      ],
      otherwise: EACCES,
    }],
  ]),
};

Deno.test("compileFilter decides like the table says", async (t) => {
  const program = compileFilter(sampleSpec);
  const cases: [string, SeccompData, KernelAction][] = [
    ["i386 arch is foreign", data(SYS.read, [], AUDIT_ARCH_I386), KILL],
    ["unknown arch is foreign", data(SYS.read, [], 0), KILL],
    ["x32 read is foreign", data(SYS.read | X32_SYSCALL_BIT), KILL],
    ["nr -1 has the x32 bit set", data(-1), KILL],
    ["read", data(SYS.read), ALLOW],
    ["write", data(SYS.write), ALLOW],
    ["open traced", data(SYS.open), trace(2)],
    ["unlisted 3", data(3), ENOSYS],
    ["unlisted in a gap", data(50), ENOSYS],
    ["unlisted after the last", data(400), ENOSYS],
    ["unlisted 0x80000000", data(0x80000000 | 0), ENOSYS],
    ["ioctl TIOCSTI", data(SYS.ioctl, [0n, TIOCSTI]), EPERM],
    ["ioctl TIOCSTI with high bits", data(SYS.ioctl, [0n, (1n << 32n) | TIOCSTI]), EPERM],
    ["ioctl TCGETS", data(SYS.ioctl, [0n, 0x5401n]), ALLOW],
    ["ioctl TIOCSTI in the wrong arg", data(SYS.ioctl, [TIOCSTI, 0n]), ALLOW],
    ["clone untraced", data(SYS.clone, [CLONE_UNTRACED | 0x11n]), EPERM],
    ["clone plain", data(SYS.clone, [0x11n]), ALLOW],
    ["clone high bits only", data(SYS.clone, [1n << 40n]), ALLOW],
    ["socket AF_PACKET", data(SYS.socket, [AF_PACKET, 3n]), EACCES],
    ["socket AF_PACKET high bits", data(SYS.socket, [(7n << 32n) | AF_PACKET]), EACCES],
    ["socket AF_INET", data(SYS.socket, [AF_INET, 1n]), ALLOW],
    ["openat AT_FDCWD u32", data(SYS.openat, [0xffffff9cn]), LOG],
    ["openat AT_FDCWD u64", data(SYS.openat, [U64_MAX - 99n]), trace(257)],
    ["openat other high word", data(SYS.openat, [(1n << 32n) | 0xffffff9cn]), EACCES],
    ["openat fd 3", data(SYS.openat, [3n]), EACCES],
  ];
  for (const [name, d, want] of cases) {
    await t.step(name, () => {
      assert.deepEqual(decideReference(sampleSpec, d), want);
      assert.deepEqual(
        actionName(runFilter(program.instructions, d)),
        actionName(encodeAction(want)),
      );
    });
  }
});

Deno.test("compileFilter merges ranges and shares rets", () => {
  const sameRules: SyscallRule = {
    rules: [{ test: { op: "eq", arg: 0, value: 1n }, action: EPERM }],
    otherwise: ALLOW,
  };
  const spec: FilterSpec = {
    defaultAction: ALLOW,
    foreignAbi: KILL,
    syscalls: new Map<number, SyscallRule>([
      [10, EPERM],
      [11, EPERM],
      [12, EPERM],
      [14, EPERM],
      [20, ALLOW], // Same as the default: merges with the gaps around it.
      [30, sameRules],
      [31, { ...sameRules }],
    ]),
  };
  const ranges = syscallRanges(spec);
  assert.deepEqual(ranges.map((r) => [r.first, r.last]), [
    [0, 9],
    [10, 12],
    [13, 13],
    [14, 14],
    [15, 29],
    [30, 31],
    [32, 0xffffffff],
  ]);
  const text = disassemble(compileFilter(spec).instructions);
  assert.equal(text.match(/ret ALLOW/g)?.length, 2, text); // Shared, plus the rules' otherwise.
  assert.equal(text.match(/ret ERRNO\(1\)/g)?.length, 1, text);
  assert.equal(text.match(/ld args\[0\]\.hi/g)?.length, 1, text);
});

Deno.test("compileFilter handles trivial specs", () => {
  const everything: FilterSpec = { defaultAction: LOG, foreignAbi: KILL, syscalls: new Map() };
  const p = compileFilter(everything);
  assert.deepEqual(runFilter(p.instructions, data(5)), encodeAction(LOG));
  assert.deepEqual(runFilter(p.instructions, data(5, [], 3)), encodeAction(KILL));
  // One rule applying to all numbers, as the only range.
  const allRules: FilterSpec = {
    defaultAction: ALLOW,
    foreignAbi: KILL,
    syscalls: new Map<number, SyscallRule>([[0, ALLOW]]),
  };
  assert.deepEqual(runFilter(compileFilter(allRules).instructions, data(0)), SECCOMP_RET_ALLOW);
  // Rules that can never or always hold are simplified away.
  const never: SyscallRule = {
    rules: [
      { test: { op: "any_set", arg: 0, mask: 0n }, action: KILL },
      { test: { op: "masked_eq", arg: 0, mask: 0xffn, value: 0x100n }, action: KILL },
    ],
    otherwise: EPERM,
  };
  const always: SyscallRule = {
    rules: [{ test: { op: "masked_eq", arg: 2, mask: 0n, value: 0n }, action: EPERM }],
    otherwise: KILL,
  };
  const s: FilterSpec = {
    defaultAction: ALLOW,
    foreignAbi: KILL,
    syscalls: new Map([[1, never], [2, always]]),
  };
  assert.deepEqual(syscallRanges(s).map((r) => [r.first, r.last, r.rule]), [
    [0, 0, ALLOW],
    [1, 2, EPERM],
    [3, 0xffffffff, ALLOW],
  ]);
});

Deno.test("compileFilter rejects invalid specs", () => {
  const bad = (syscalls: Map<number, SyscallRule>, msg: string, extra: Partial<FilterSpec> = {}) =>
    throwsWith(
      () => compileFilter({ defaultAction: ALLOW, foreignAbi: KILL, syscalls, ...extra }),
      Error,
      msg,
    );
  bad(new Map([[-1, ALLOW]]), "Invalid syscall number in filter spec: -1");
  bad(new Map([[X32_SYSCALL_BIT, ALLOW]]), "Invalid syscall number");
  bad(new Map([[1, errno(4096)]]), "Invalid errno in action: 4096");
  bad(new Map([[1, trace(0x10000)]]), "Invalid trace data in action: 65536");
  bad(new Map(), "Invalid errno", { defaultAction: errno(-1) });
  bad(
    new Map<number, SyscallRule>([[1, {
      rules: [{ test: { op: "eq", arg: 6, value: 0n }, action: KILL }],
      otherwise: ALLOW,
    }]]),
    "Invalid filter spec for syscall 1: Invalid argument index: 6",
  );
  bad(
    new Map<number, SyscallRule>([[1, {
      rules: [{ test: { op: "eq", arg: 0, value: 1n << 64n }, action: KILL }],
      otherwise: ALLOW,
    }]]),
    "Invalid value",
  );
});

/** The longest run through the filter over the given syscalls, in instructions. */
function longestPath(spec: FilterSpec, nrs: Iterable<number>): number {
  const { instructions } = compileFilter(spec);
  const stats: RunStats = { executed: 0 };
  let longest = 0;
  for (const nr of nrs) {
    const d = data(nr);
    assert.deepEqual(runFilter(instructions, d, stats), encodeAction(decideReference(spec, d)));
    longest = Math.max(longest, stats.executed);
  }
  return longest;
}

/** Distinct actions for neighbours, so nothing merges. */
const cycle = (n: number): KernelAction => [ALLOW, EPERM, trace(n), LOG, EACCES][n % 5];

Deno.test("compileFilter keeps a 300-rule spec small and shallow", () => {
  const syscalls = new Map<number, SyscallRule>();
  for (let nr = 0; nr < 300; nr++) {
    syscalls.set(
      nr,
      nr % 10 === 5
        ? {
          rules: [
            { test: { op: "masked_eq", arg: 0, mask: INT, value: BigInt(nr) }, action: EPERM },
            { test: { op: "any_set", arg: 1, mask: 0x3n }, action: KILL },
          ],
          otherwise: ALLOW,
        }
        : cycle(nr),
    );
  }
  const spec: FilterSpec = { defaultAction: KILL, foreignAbi: KILL, syscalls };
  const count = compileFilter(spec).instructions.length;
  const ranges = syscallRanges(spec).length;
  const all = [...syscalls.keys(), 300, 1000];
  const plainDepth = longestPath(spec, all.filter((nr) => nr % 10 !== 5));
  const depth = longestPath(spec, all);
  const bound = 2 * Math.ceil(Math.log2(ranges)) + 5;
  console.log(
    `300-rule spec (30 with 2 arg rules): ${count} instructions, ${ranges} ranges, ` +
      `longest path ${plainDepth} (${depth} through arg rules)`,
  );
  assert.ok(count < 1000, `${count} instructions`);
  assert.ok(plainDepth <= bound, `longest path ${plainDepth} > ${bound}`);
  // The rules add at most 2 × 4 instructions and a ret.
  assert.ok(depth <= bound + 9, `longest path ${depth} > ${bound + 9}`);
});

Deno.test("compileFilter fits every syscall, some with arg rules, in one program", () => {
  const syscalls = new Map<number, SyscallRule>();
  for (let nr = 0; nr < 470; nr++) {
    syscalls.set(
      nr,
      nr % 10 === 0
        ? {
          rules: [
            { test: { op: "masked_eq", arg: 1, mask: INT, value: BigInt(nr) }, action: EPERM },
            { test: { op: "any_set", arg: 0, mask: CLONE_UNTRACED }, action: EACCES },
            { test: { op: "eq", arg: 2, value: 1n << 33n }, action: trace(nr) },
          ],
          otherwise: cycle(nr + 1),
        }
        : cycle(nr),
    );
  }
  const spec: FilterSpec = { defaultAction: KILL, foreignAbi: KILL, syscalls };
  const count = compileFilter(spec).instructions.length;
  const ranges = syscallRanges(spec).length;
  const plainDepth = longestPath(spec, [...syscalls.keys()].filter((nr) => nr % 10 !== 0));
  console.log(
    `all-syscalls spec (47 with 3 arg rules): ${count} instructions, ${ranges} ranges, ` +
      `longest plain path ${plainDepth}`,
  );
  assert.ok(count <= BPF_MAXINSNS);
  assert.ok(plainDepth <= 2 * Math.ceil(Math.log2(ranges)) + 5);
});

Deno.test("compileFilter reports specs that do not fit", () => {
  const syscalls = new Map<number, SyscallRule>();
  for (let nr = 0; nr < 470; nr++) {
    syscalls.set(nr, {
      rules: [1n, 2n, 3n].map((v): ArgRule => ({
        test: { op: "eq", arg: 0, value: v + BigInt(nr) },
        action: trace(nr),
      })),
      otherwise: EPERM,
    });
  }
  throwsWith(
    () => compileFilter({ defaultAction: KILL, foreignAbi: KILL, syscalls }),
    Error,
    "Filter spec does not fit in one seccomp program: 471 syscall ranges and 1410 argument rules",
  );
});

const u64 = fc.oneof(
  fc.bigInt({ min: 0n, max: U64_MAX }),
  fc.bigInt({ min: 0n, max: 0xffffffffn }),
  fc.integer({ min: 0, max: 63 }).map((b) => 1n << BigInt(b)),
  fc.constantFrom(0n, 1n, 0xffffffffn, 1n << 32n, U64_MAX, TIOCSTI, CLONE_UNTRACED),
);

const actionArb: fc.Arbitrary<KernelAction> = fc.oneof(
  // A few common actions, so neighbours often agree and ranges merge.
  { weight: 4, arbitrary: fc.constantFrom(ALLOW, KILL, LOG, EPERM, EACCES) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 4095 }).map(errno) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }).map(trace) },
);

const argTestArb: fc.Arbitrary<ArgTest> = fc.oneof(
  fc.record({ op: fc.constant("eq" as const), arg: fc.nat(5), value: u64 }),
  fc.tuple(fc.nat(5), u64, u64, fc.boolean()).map(([arg, mask, value, fit]): ArgTest => ({
    op: "masked_eq",
    arg,
    mask,
    // Usually satisfiable; sometimes not, which must simply never match.
    value: fit ? value & mask : value,
  })),
  fc.record({ op: fc.constant("any_set" as const), arg: fc.nat(5), mask: u64 }),
);

const ruleArb = (maxRules: number): fc.Arbitrary<SyscallRule> =>
  fc.oneof(
    { weight: 3, arbitrary: actionArb },
    {
      weight: 1,
      arbitrary: fc.record({
        rules: fc.array(
          fc.record({
            // One test, or a conjunction of two or three (a setsockopt level and name).
            test: fc.oneof(
              { weight: 3, arbitrary: argTestArb },
              { weight: 1, arbitrary: fc.array(argTestArb, { minLength: 2, maxLength: 3 }) },
            ),
            action: actionArb,
          }),
          {
            minLength: 1,
            maxLength: maxRules,
          },
        ),
        otherwise: actionArb,
      }),
    },
  );

const specArb = (minSyscalls: number, maxSyscalls: number, maxRules: number) =>
  fc.record({
    defaultAction: actionArb,
    foreignAbi: actionArb,
    entries: fc.uniqueArray(fc.tuple(fc.integer({ min: 0, max: 470 }), ruleArb(maxRules)), {
      selector: ([nr]) => nr,
      minLength: minSyscalls,
      maxLength: maxSyscalls,
    }),
    // Cut points of up to three unlisted ranges (sorted, disjoint), and their actions.
    cuts: fc.uniqueArray(fc.integer({ min: 0, max: 520 }), { maxLength: 6 }),
    unlistedActions: fc.array(actionArb, { minLength: 3, maxLength: 3 }),
  }).map(({ defaultAction, foreignAbi, entries, cuts, unlistedActions }): FilterSpec => {
    const points = [...cuts].sort((a, b) => a - b);
    const unlisted = [];
    for (let i = 0; i + 1 < points.length; i += 2) {
      unlisted.push({ first: points[i], last: points[i + 1], action: unlistedActions[i >> 1] });
    }
    return {
      defaultAction,
      foreignAbi,
      syscalls: new Map(entries),
      ...(unlisted.length ? { unlisted } : {}),
    };
  });

/** Syscalls aimed at the spec: its numbers and their neighbours, its rule values. */
function dataArb(spec: FilterSpec): fc.Arbitrary<SeccompData> {
  const listed = [...spec.syscalls.keys()];
  const near = listed.flatMap((nr) => [nr - 1, nr, nr + 1]).filter((nr) => nr >= 0);
  const nr = fc.oneof(
    { weight: 6, arbitrary: near.length ? fc.constantFrom(...near) : fc.nat(471) },
    { weight: 2, arbitrary: fc.nat(471) },
    { weight: 1, arbitrary: fc.nat(471).map((n) => n | X32_SYSCALL_BIT) },
    { weight: 1, arbitrary: fc.integer({ min: -0x80000000, max: 0x7fffffff }) },
  );
  const arch = fc.oneof(
    { weight: 10, arbitrary: fc.constant(AUDIT_ARCH_X86_64) },
    { weight: 1, arbitrary: fc.constant(AUDIT_ARCH_I386) },
    { weight: 1, arbitrary: fc.nat(0xffffffff) },
  );
  const pairs: [bigint, bigint][] = [];
  for (const rule of spec.syscalls.values()) {
    if (!("rules" in rule)) continue;
    for (const t of rule.rules.flatMap(testsOf)) {
      const value = t.op === "any_set" ? 0n : t.value;
      const mask = t.op === "eq" ? U64_MAX : t.mask;
      pairs.push([value, mask]);
      // Differs only in the high or the low half.
      pairs.push([value ^ (1n << 32n), U64_MAX], [value ^ 1n, U64_MAX], [mask, U64_MAX]);
    }
  }
  const arg = pairs.length
    ? fc.oneof(
      u64,
      // A rule's value, with random bits wherever its mask does not look.
      fc.tuple(fc.constantFrom(...pairs), u64).map(([[v, m], r]) => (v & m) | (r & ~m & U64_MAX)),
    )
    : u64;
  return fc.record({
    nr,
    arch,
    instructionPointer: u64,
    args: fc.array(arg, { minLength: 6, maxLength: 6 }),
  });
}

/** Checks the compiled filter against the reference; returns the program length. */
function checkAgreement(spec: FilterSpec, points: readonly SeccompData[]): number {
  const { instructions } = compileFilter(spec);
  for (const d of points) {
    const want = encodeAction(decideReference(spec, d));
    const got = runFilter(instructions, d);
    if (got !== want) {
      throw new Error(
        `Filter returned ${actionName(got)}, reference says ${actionName(want)} for ` +
          `nr ${d.nr} arch 0x${(d.arch >>> 0).toString(16)} args ${d.args.join(",")}\n` +
          disassemble(instructions),
      );
    }
  }
  return instructions.length;
}

Deno.test("compileFilter agrees with decideReference on random specs", () => {
  let cases = 0;
  fc.assert(
    fc.property(
      specArb(0, 40, 4).chain((spec) =>
        fc.tuple(fc.constant(spec), fc.array(dataArb(spec), { minLength: 50, maxLength: 50 }))
      ),
      ([spec, points]) => {
        checkAgreement(spec, points);
        cases += points.length;
      },
    ),
    { numRuns: 200 },
  );
  assert.ok(cases >= 10_000, `${cases}`);
});

Deno.test("compileFilter agrees with decideReference on large specs (trampolines)", () => {
  let longest = 0;
  fc.assert(
    fc.property(
      specArb(200, 470, 2).chain((spec) =>
        fc.tuple(fc.constant(spec), fc.array(dataArb(spec), { minLength: 50, maxLength: 50 }))
      ),
      ([spec, points]) => {
        longest = Math.max(longest, checkAgreement(spec, points));
      },
    ),
    { numRuns: 20 },
  );
  assert.ok(longest > 2 * 255, `programs were too short to need trampolines: ${longest}`);
});
