import assert from "node:assert/strict";
import { ARCHES, X86_64 } from "../arch/arch.ts";
import { builtinForm, type CompileOptions, compilePolicy } from "./compile.ts";
import type { JailConfig } from "./types.ts";
import { builtinFilter, formKey } from "./builtin_filter.ts";
import { BUILTIN_FILTERS } from "./builtin_filter_data.ts";

const options = (pid: number, pgrp: number) => ({
  supervisorPid: pid,
  supervisorPgrp: pgrp,
  resolve: () => [],
  net: { allow: [], deny: [] },
});

Deno.test("builtin filter: every form's patched program is byte for byte the one compiled for the same numbers", () => {
  let compared = 0;
  for (const arch of Object.values(ARCHES)) {
    for (const signalScoped of [false, true]) {
      // A group leader (pid = pgrp), an ordinary member, init's group, and large numbers.
      for (const [pid, pgrp] of [[4242, 4242], [4243, 17], [31337, 1], [4194303, 4194000]]) {
        const compiled = compilePolicy({}, {
          ...options(pid, pgrp),
          arch,
          signalScoped,
          noPrebuilt: true,
        }).filter;
        const form = { arch: arch.name, signalScoped, groupRule: pgrp > 1 };
        assert.deepEqual(builtinFilter(form, pid, pgrp), compiled, formKey(form));
        // And compilePolicy takes it for those inputs.
        const taken = compilePolicy({}, { ...options(pid, pgrp), arch, signalScoped }).filter;
        assert.deepEqual(taken, compiled, formKey(form));
        compared++;
      }
    }
  }
  assert.equal(compared, 16);
  assert.equal(Object.keys(BUILTIN_FILTERS).length, 8);
});

Deno.test("builtin filter: any other input compiles, and the pid is in the program where it should be", () => {
  const pid = 4242;
  // A config, a flag's list, -A, --learn: none of them is the built-in policy.
  const cases: [JailConfig, Partial<CompileOptions>][] = [
    [{ net: { allow: ["localhost:80"] } }, {}],
    [{}, { net: { allow: [{ kind: "any", source: "*" }], deny: [] } }],
    [{}, { allowAll: true }],
    [{}, { observeNet: true }],
    [{}, { traceCalls: ["getpid"] }],
  ];
  for (const [config, extra] of cases) {
    const a = compilePolicy(config, { ...options(pid, 99), ...extra });
    const b = compilePolicy(config, { ...options(pid, 99), ...extra, noPrebuilt: true });
    assert.deepEqual(a.filter, b.filter, JSON.stringify([config, extra]));
  }
  // A patched slot holds the number: kill(pid, ...) is compared with jail's pid.
  const prebuilt =
    BUILTIN_FILTERS[formKey({ arch: "x86_64", signalScoped: true, groupRule: false })];
  const words = new Uint32Array(
    builtinFilter({ arch: "x86_64", signalScoped: true, groupRule: false }, pid, 1)!.buffer,
  );
  for (const i of prebuilt.pid) assert.equal(words[i * 2 + 1], pid);
});

Deno.test("builtin filter: an option it was not made for, as one added later would be, compiles", () => {
  const base = { ...options(4242, 99), signalScoped: true };
  assert.deepEqual(builtinForm({}, base, X86_64), {
    arch: "x86_64",
    signalScoped: true,
    groupRule: true,
  });
  const future = { ...base, futureOption: true } as CompileOptions;
  assert.equal(builtinForm({}, future, X86_64), undefined);
  // Unset, false or empty, an option changes nothing.
  assert.notEqual(builtinForm({}, { ...base, allowAll: false, traceCalls: [] }, X86_64), undefined);
  // A foreign architecture object (a test's) compiles too.
  assert.equal(builtinForm({}, base, { ...X86_64 }), undefined);
});
