/**
 * Pure tests of the wait-status decoder with raw integers, as waitpid
 * returns them for a seized tracee with PTRACE_O_TRACESYSGOOD.
 *
 * Status layout: exited `code << 8`; killed `signal | 0x80 (core)`; stopped
 * `event << 16 | sig << 8 | 0x7f`.
 */

import assert from "node:assert/strict";
import { decodeWaitStatus, encodeWaitStatus, type Stop } from "./stop.ts";
import { PTRACE_EVENT } from "../../kernel/ptrace.ts";

const SIGTRAP = 5;
const SIGSTOP = 19;

Deno.test("decodeWaitStatus: the statuses of the ptrace quirks, as raw integers", () => {
  const cases: [number, Stop][] = [
    // PTRACE_EVENT_SECCOMP: (7 << 16) | (SIGTRAP << 8) | 0x7f.
    [0x7057f, { kind: "seccomp" }],
    // PTRACE_EVENT_STOP with SIGTRAP: a new task's first stop, PTRACE_INTERRUPT,
    // or a listener woken by SIGCONT. Not a seccomp stop, whatever its look.
    [0x80057f, { kind: "interrupt" }],
    // Syscall stop: SIGTRAP | 0x80.
    [0x857f, { kind: "syscall" }],
    // Signal-delivery-stop for SIGSTOP: event 0. Inject it; the group-stop follows.
    [0x137f, { kind: "signal", signal: SIGSTOP }],
    // Group-stop: PTRACE_EVENT_STOP with a stopping signal.
    [0x80137f, { kind: "group-stop", signal: SIGSTOP }],
    [0x80147f, { kind: "group-stop", signal: 20 }], // SIGTSTP
    [0x80157f, { kind: "group-stop", signal: 21 }], // SIGTTIN
    [0x80167f, { kind: "group-stop", signal: 22 }], // SIGTTOU
    // Exit and death.
    [0x700, { kind: "exited", code: 7 }],
    [0x0, { kind: "exited", code: 0 }],
    [0xff00, { kind: "exited", code: 255 }],
    [0x9, { kind: "killed", signal: 9, core: false }],
    [0x8b, { kind: "killed", signal: 11, core: true }],
    [0x86, { kind: "killed", signal: 6, core: true }],
    // The other PTRACE_EVENT stops.
    [0x1057f, { kind: "fork" }],
    [0x2057f, { kind: "vfork" }],
    [0x3057f, { kind: "clone" }],
    [0x4057f, { kind: "exec" }],
    [0x5057f, { kind: "vfork-done" }],
    [0x6057f, { kind: "exit" }],
    // Plain signal-delivery-stops, a real SIGTRAP and a real-time signal included.
    [0x57f, { kind: "signal", signal: SIGTRAP }],
    [0xa7f, { kind: "signal", signal: 10 }],
    [0x147f, { kind: "signal", signal: 20 }], // SIGTSTP before it stops anything
    [0x227f, { kind: "signal", signal: 34 }],
    [0x407f, { kind: "signal", signal: 64 }],
  ];
  for (const [status, stop] of cases) {
    assert.deepEqual(decodeWaitStatus(status), stop, `status ${status.toString(16)}`);
  }
});

Deno.test("decodeWaitStatus: a stopping signal is a group-stop only with PTRACE_EVENT_STOP", () => {
  for (const sig of [19, 20, 21, 22]) {
    assert.equal(decodeWaitStatus((sig << 8) | 0x7f).kind, "signal");
    assert.equal(
      decodeWaitStatus((PTRACE_EVENT.STOP << 16) | (sig << 8) | 0x7f).kind,
      "group-stop",
    );
  }
  // Any other signal with PTRACE_EVENT_STOP is not a group-stop: restart it without injecting.
  for (const sig of [SIGTRAP, 10, 17, 18]) {
    assert.equal(decodeWaitStatus((PTRACE_EVENT.STOP << 16) | (sig << 8) | 0x7f).kind, "interrupt");
  }
});

Deno.test("decodeWaitStatus: unknown events are reported as unknown, not guessed", () => {
  for (const status of [0x9057f, 0x8057f, 0x1137f, 0x7137f]) {
    assert.deepEqual(decodeWaitStatus(status), { kind: "unknown", status });
  }
});

Deno.test("decodeWaitStatus: field-less stops are shared objects (no allocation per stop)", () => {
  assert.equal(decodeWaitStatus(0x857f), decodeWaitStatus(0x857f));
  assert.equal(decodeWaitStatus(0x7057f), decodeWaitStatus(0x7057f));
  assert.equal(decodeWaitStatus(0x80057f), decodeWaitStatus(0x80057f));
});

Deno.test("encodeWaitStatus inverts decodeWaitStatus for every status a tracer can see", () => {
  const statuses: number[] = [];
  for (let code = 0; code < 256; code++) statuses.push(code << 8);
  for (let sig = 1; sig < 65; sig++) {
    statuses.push(sig, sig | 0x80, (sig << 8) | 0x7f);
    statuses.push((PTRACE_EVENT.STOP << 16) | (sig << 8) | 0x7f);
  }
  for (let event = 1; event <= 7; event++) statuses.push((event << 16) | (SIGTRAP << 8) | 0x7f);
  statuses.push(0x857f);
  for (const status of statuses) {
    const stop = decodeWaitStatus(status);
    if (stop.kind === "interrupt") {
      // All non-stopping signals with PTRACE_EVENT_STOP decode alike: one canonical status.
      assert.equal(encodeWaitStatus(stop), 0x80057f);
      continue;
    }
    assert.equal(encodeWaitStatus(stop), status, `${status.toString(16)} → ${stop.kind}`);
  }
});
