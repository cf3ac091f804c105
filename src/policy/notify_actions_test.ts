import assert from "node:assert/strict";
import { decodeInstructions } from "../bpf/assembler.ts";
import { runFilter } from "../bpf/interpreter.ts";
import { SECCOMP_RET_TRACE, SECCOMP_RET_USER_NOTIF } from "../bpf/opcodes.ts";
import { compileFilter, decideReference, encodeAction } from "../bpf/compile.ts";
import { traceInstead } from "../bpf/spec.ts";
import { HOST_ARCH } from "../arch/arch.ts";
import { kernelContinues, notifyAnswer } from "../notify/notifiable.ts";
import { SECCOMP_USER_NOTIF_FLAG_CONTINUE } from "../../kernel/seccomp.ts";
import { compileFor } from "./_filter_check.ts";
import { notifyingSpec } from "./notify_actions.ts";

const ARCH = HOST_ARCH.auditArch;
const ACTION = 0xffff0000;

/** Every number of the table, and a few args that the built-in argument rules test. */
function* calls() {
  const argSets = [[0n], [1n], [0xffffffffn], [1n << 40n], [0n, 0x5412n], [0x10000n, 0n]];
  for (let nr = 0; nr < HOST_ARCH.names.length + 4; nr++) {
    for (const a of argSets) {
      const args = [0, 1, 2, 3, 4, 5].map((i) => a[i] ?? 0n);
      yield { nr, arch: ARCH, instructionPointer: 0x1000n, args };
    }
  }
}

Deno.test("notifyFilter: USER_NOTIF exactly where the TRACE program stops a notifiable rule; the same elsewhere", () => {
  const p = compileFor(HOST_ARCH, {
    syscalls: { getppid: { return: 7 }, getuid: "trace", mkdir: "kill", uname: { args: { 0: 0 } } },
  });
  assert.ok(p.notifyFilter, "a return rule is notifiable");
  assert.equal(p.notifyFilter.length, p.filter.length, "both programs have the same shape");
  const traced = decodeInstructions(p.filter);
  const notifying = decodeInstructions(p.notifyFilter);
  let notified = 0;
  for (const data of calls()) {
    const t = runFilter(traced, data);
    const n = runFilter(notifying, data);
    if ((n & ACTION) >>> 0 === SECCOMP_RET_USER_NOTIF) {
      notified++;
      // The same rule, by its data; and a rule the pool can answer.
      assert.equal((t & ACTION) >>> 0, SECCOMP_RET_TRACE, `nr ${data.nr}`);
      assert.equal(t & 0xffff, n & 0xffff);
      assert.ok(notifyAnswer(p.rules[t & 0xffff]), `nr ${data.nr}: not notifiable`);
    } else {
      assert.equal(n, t, `nr ${data.nr}`);
      // A stop that stays on ptrace is one the pool could not answer.
      if ((t & ACTION) >>> 0 === SECCOMP_RET_TRACE) {
        assert.equal(notifyAnswer(p.rules[t & 0xffff]), undefined, `nr ${data.nr}`);
      }
    }
  }
  // getppid and getuid, with every argument set; kill and args rules stay on ptrace.
  assert.equal(notified, 2 * 6);
});

Deno.test("traceInstead: the fallback program is the TRACE program, instruction for instruction", () => {
  const p = compileFor(HOST_ARCH, {
    syscalls: {
      getppid: { return: 7 },
      getuid: "trace",
      getgid: { return: 7 }, // the same decision as getppid's: two rules, one value each
      kill: { return: 0 }, // behind the built-in guards of its arguments
      mkdir: "kill",
    },
  });
  const notifying = notifyingSpec(p.spec, p.notifyPlans!)!;
  assert.deepEqual(compileFilter(traceInstead(notifying)).bytes(), p.filter);
  // The notifying program, made by patching the TRACE program's returns, is what compiling the
  // notifying spec makes.
  assert.deepEqual(compileFilter(notifying).bytes(), p.notifyFilter);
  for (const data of calls()) {
    const n = decideReference(notifying, data);
    const t = decideReference(p.spec, data);
    if (n.kind === "notify") assert.deepEqual(t, { kind: "trace", data: n.data });
    else assert.equal(encodeAction(n), encodeAction(t));
  }
});

Deno.test("notifyFilter: absent when no rule is notifiable (the built-in policy starts no pool)", () => {
  assert.equal(compileFor(HOST_ARCH).notifyFilter, undefined);
  assert.equal(compileFor(HOST_ARCH, {}, true).notifyFilter, undefined);
  assert.equal(
    compileFor(HOST_ARCH, { syscalls: { getppid: "kill", uname: { args: { 0: 0 } } } })
      .notifyFilter,
    undefined,
  );
  // A function rule runs on the caller's thread: never notified.
  const hook = compileFor(HOST_ARCH, { syscalls: { getppid: () => "allow" } });
  assert.equal(hook.notifyFilter, undefined);
});

Deno.test("notifyAnswer: return, deny and allow; checks and rewrites stay on ptrace", () => {
  const r = (decision: Parameters<typeof notifyAnswer>[0]["decision"], extra = {}) =>
    notifyAnswer({ syscall: "getppid", decision, ...extra });
  assert.deepEqual(r({ action: "return", value: 7 }), { val: 7n, error: 0, flags: 0 });
  assert.deepEqual(r({ action: "return", value: -1 }), { val: -1n, error: 0, flags: 0 });
  assert.deepEqual(r({ action: "return", value: 0xffffffffffffffffn }), {
    val: -1n,
    error: 0,
    flags: 0,
  });
  assert.deepEqual(r({ action: "deny", errno: 13 }), { val: 0n, error: -13, flags: 0 });
  assert.deepEqual(r({ action: "allow", rule: "trace" }), {
    val: 0n,
    error: 0,
    flags: SECCOMP_USER_NOTIF_FLAG_CONTINUE,
  });
  assert.equal(r({ action: "kill" }), undefined);
  assert.equal(r({ action: "args", args: { 0: 1 } }), undefined);
  assert.equal(r({ action: "allow" }, { hook: 0 }), undefined);
  assert.equal(r({ action: "allow" }, { fs: "openat" }), undefined);
  assert.equal(r({ action: "allow" }, { signal: "group" }), undefined);
  assert.equal(r({ action: "allow" }, { target: { kind: "task", arg: 0 } }), undefined);
  assert.equal(r({ action: "allow" }, { net: { kind: "connect" } }), undefined);
});

Deno.test("notifyAnswer: file checks but exec's, only without a redirect and with CONTINUE", () => {
  const policy = { read: { allow: [], deny: [], base: [] }, redirect: [], errno: 13 };
  const allow = { action: "allow", rule: "fs" } as const;
  const ctx = { fs: policy, continues: true };
  assert.deepEqual(notifyAnswer({ syscall: "openat", decision: allow, fs: "openat" }, ctx), {
    val: 0n,
    error: 0,
    flags: SECCOMP_USER_NOTIF_FLAG_CONTINUE,
    fs: "openat",
  });
  assert.equal(notifyAnswer({ syscall: "mkdir", decision: allow, fs: "mkdir" }, ctx)?.fs, "mkdir");
  // An exec's stop follows the exec.
  assert.equal(notifyAnswer({ syscall: "execve", decision: allow, fs: "execve" }, ctx), undefined);
  assert.equal(
    notifyAnswer({ syscall: "execveat", decision: allow, fs: "execveat" }, ctx),
    undefined,
  );
  // A redirect rewrites the path: every file check stays on ptrace.
  const redirect = { ...policy, redirect: [{ from: "/a", to: "/b" }] };
  assert.equal(
    notifyAnswer({ syscall: "openat", decision: allow, fs: "openat" }, { ...ctx, fs: redirect }),
    undefined,
  );
  // Before Linux 5.5 no answer lets a call run: allowed checks and "trace" rules stay on ptrace.
  const old = { fs: policy, continues: false };
  assert.equal(notifyAnswer({ syscall: "openat", decision: allow, fs: "openat" }, old), undefined);
  assert.equal(
    notifyAnswer({ syscall: "uname", decision: { action: "allow", rule: "trace" } }, old),
    undefined,
  );
  assert.deepEqual(
    notifyAnswer({ syscall: "getppid", decision: { action: "return", value: 7 } }, old),
    { val: 7n, error: 0, flags: 0 },
  );
});

Deno.test("kernelContinues: Linux 5.5 and later, from the release", () => {
  assert.equal(kernelContinues("6.18.0-1-cloud-amd64"), true);
  assert.equal(kernelContinues("5.5.0-rc1"), true);
  assert.equal(kernelContinues("5.10.0"), true);
  assert.equal(kernelContinues("5.4.0-150-generic"), false);
  assert.equal(kernelContinues("4.19.0"), false);
  assert.equal(kernelContinues(""), false);
});

Deno.test("notifyFilter: under an allow list the open family is notified, exec stops; a redirect notifies nothing", () => {
  const NR = HOST_ARCH.numbers;
  const action = (filter: Uint8Array, nr: number) =>
    (runFilter(decodeInstructions(filter), {
      nr,
      arch: ARCH,
      instructionPointer: 0x1000n,
      args: [0n, 0n, 0n, 0n, 0n, 0n],
    }) & ACTION) >>> 0;
  const p = compileFor(HOST_ARCH, {
    read: { allow: ["/usr"] },
    write: { allow: ["/tmp"] },
  }, false);
  assert.ok(p.notifyFilter && p.notifyPlans);
  for (const call of ["openat", "openat2", "mkdirat", "unlinkat"]) {
    assert.equal(action(p.notifyFilter, NR[call]), SECCOMP_RET_USER_NOTIF, call);
  }
  assert.equal(action(p.notifyFilter, NR.execve), SECCOMP_RET_TRACE);
  const redirected = compileFor(HOST_ARCH, {
    read: { allow: ["/usr"] },
    redirect: { "/etc/hosts": "/tmp/hosts" },
  });
  assert.equal(redirected.notifyFilter, undefined);
  assert.equal(redirected.notifyPlans, undefined);
});
