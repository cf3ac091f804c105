/**
 * Calls jail performs for the tree that would block (src/supervisor/wait.ts):
 * the caller waits in a call of its own while the supervisor serves the rest
 * of the tree, the peer that unblocks it included. Before, the supervisor
 * blocked in the call itself, and these runs never ended (timeouts included:
 * the loop that would fire them was the one blocked).
 *
 * Each mode of c/peer_wait.c prints the same lines natively and jailed.
 */

import assert from "node:assert/strict";
import { HOST_ARCH } from "../src/arch/arch.ts";
import { buildC, jail, native, tempDir } from "./_helpers.ts";

/** A run that hangs fails the test here rather than the suite's own limit. */
const LIMIT_MS = 20_000;

async function both(mode: string): Promise<{ native: string; jailed: string }> {
  const bin = await buildC("peer_wait");
  const nativeDir = await tempDir("jail-peer-native-");
  const jailDir = await tempDir("jail-peer-jailed-");
  try {
    const n = await native([bin, mode, nativeDir], { timeoutMs: LIMIT_MS });
    assert.equal(n.code, 0, `native ${mode}: ${n.stdout}${n.stderr}`);
    const j = await jail(["--no-config", "--", bin, mode, jailDir], { timeoutMs: LIMIT_MS });
    assert.equal(j.code, 0, `jailed ${mode}: ${j.stdout}${j.stderr}`);
    return { native: n.stdout, jailed: j.stdout };
  } finally {
    await Deno.remove(nativeDir, { recursive: true });
    await Deno.remove(jailDir, { recursive: true });
  }
}

Deno.test("peer wait: a sendto into a full datagram queue waits while the reader, in the tree, forks and drains", async () => {
  const r = await both("dgram");
  assert.equal(r.native, "full\nsent 64\nreader 0\n");
  assert.equal(r.jailed, r.native);
});

Deno.test("peer wait: the same with sendmsg and a msg_name, and with sendmmsg of two", async () => {
  for (const mode of ["sendmsg", "sendmmsg"]) {
    const r = await both(mode);
    assert.equal(r.native, "full\nsent 64\nreader 0\n", mode);
    assert.equal(r.jailed, r.native, mode);
  }
});

Deno.test("peer wait: a connect to a full unix backlog waits while the acceptor, in the tree, forks and accepts", async () => {
  const r = await both("connect");
  assert.equal(r.native, "backlog full\nconnected\nacceptor 0\n");
  assert.equal(r.jailed, r.native);
});

Deno.test("peer wait: SO_SNDTIMEO ends the wait with EAGAIN, after the timeout", async () => {
  const r = await both("sndtimeo");
  assert.equal(r.native, "full\nsendto errno_11\nwaited the timeout\n");
  assert.equal(r.jailed, r.native);
});

Deno.test("peer wait: a signal handler with SA_RESTART runs and the send goes on", async () => {
  const r = await both("restart");
  assert.equal(r.native, "full\nsent 64\n");
  assert.equal(r.jailed, r.native);
});

Deno.test("peer wait: a signal handler without SA_RESTART interrupts the send with EINTR (x86_64)", async () => {
  const r = await both("eintr");
  assert.equal(r.native, "full\nsendto errno_4\n");
  // arm64 restarts the call instead (its restart re-reads orig_x0, which ptrace cannot set);
  // the handler drained a datagram, so the restarted send goes through.
  assert.equal(r.jailed, HOST_ARCH.name === "x86_64" ? r.native : "full\nsent 64\n");
});

Deno.test("peer wait: the waits are not reported; the call is, once, as performed", async () => {
  const bin = await buildC("peer_wait");
  const dir = await tempDir("jail-peer-trace-");
  try {
    const j = await jail(["--no-config", "--trace-calls=sendto", "--", bin, "dgram", dir], {
      timeoutMs: LIMIT_MS,
    });
    assert.equal(j.code, 0, j.stderr);
    const blocking = j.stderr.split("\n").filter((l) => / sendto\(4, .*, 64, 0, /.test(l));
    assert.equal(blocking.length, 1, j.stderr);
    assert.match(blocking[0], /= 64 {2}allow by net$/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
