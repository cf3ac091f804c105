import assert from "node:assert/strict";
import { addressOf } from "../../ffi/libc.ts";
import { Registers } from "../arch/x86_64.ts";
import type { Decision } from "../decision.ts";
import { NetChecker } from "./check.ts";
import type { NetCheck, NetPolicy } from "./policy.ts";
import { waitForConnection } from "./act.ts";
import { namelessSend } from "./act_send.ts";
import { HOST_ARCH } from "../arch/arch.ts";

const policy: NetPolicy = {
  allow: [{ kind: "any", source: "*" }],
  deny: [],
  loopback: true,
  unix: true,
  errno: 13,
  wildcardBind: "guard",
};

/** A pid that no longer exists: pidfd_open on it fails (ESRCH). */
async function deadPid(): Promise<number> {
  const child = new Deno.Command("true").spawn();
  await child.status;
  return child.pid;
}

function sockaddrIn(a: number, b: number, c: number, d: number, port: number): Uint8Array {
  return Uint8Array.of(2, 0, port >> 8, port & 0xff, a, b, c, d, 0, 0, 0, 0, 0, 0, 0, 0);
}

function regs(...args: (bigint | number)[]): Registers {
  const r = new Registers();
  args.forEach((v, i) => r.setArg(i, v));
  return r;
}

function refused(d: Decision | undefined): boolean {
  if (d === undefined) return false;
  if (d.action === "deny" || d.action === "kill") return true;
  return (d.action === "return" || d.action === "perform") && Number(d.value) < 0;
}

Deno.test("net checks fail closed: a socket the supervisor cannot borrow denies every call", async () => {
  const pid = await deadPid();
  const me = Deno.pid; // memory reads succeed (this process), the socket's owner is gone
  const checker = new NetChecker(policy);
  const loop = sockaddrIn(127, 0, 0, 1, 9);
  const wild = sockaddrIn(0, 0, 0, 0, 0);
  const data = new Uint8Array(4);
  const iov = new BigUint64Array([addressOf(data), 4n]);
  const msg = new BigUint64Array(7);
  msg[0] = addressOf(loop);
  msg[1] = BigInt(loop.length);
  msg[2] = addressOf(iov);
  msg[3] = 1n;
  const noName = new BigUint64Array(msg);
  noName[0] = 0n;
  noName[1] = 0n;
  const mmsg = new BigUint64Array(8);
  mmsg.set(msg);
  const cases: [NetCheck, Registers][] = [
    ["connect", regs(3, addressOf(loop), loop.length)],
    ["connect", regs(3, addressOf(wild), wild.length)],
    ["bind", regs(3, addressOf(wild), wild.length)],
    ["bind", regs(3, addressOf(loop), loop.length)],
    ["listen", regs(3, 16)],
    ["sendto", regs(3, addressOf(data), 4, 0, addressOf(loop), loop.length)],
    ["sendmsg", regs(3, addressOf(msg), 0)],
    ["sendmsg", regs(3, addressOf(noName), 0)],
    ["sendmmsg", regs(3, addressOf(mmsg), 1, 0)],
  ];
  for (const [check, r] of cases) {
    const d = checker.decide(check, me, pid, r);
    assert.ok(refused(d), `${check}(${r.arg(1)}): ${JSON.stringify(d)}`);
  }
});

Deno.test("net checks fail closed: unreadable tracee memory denies with EFAULT", async () => {
  const pid = await deadPid();
  const checker = new NetChecker(policy);
  for (
    const [check, r] of [
      ["connect", regs(3, 0x1000, 16)],
      ["bind", regs(3, 0x1000, 16)],
      ["sendto", regs(3, 0x1000, 1, 0, 0x2000, 16)],
      ["sendmsg", regs(3, 0x1000, 0)],
      ["sendmmsg", regs(3, 0x1000, 2, 0)],
    ] as [NetCheck, Registers][]
  ) {
    assert.deepEqual(checker.decide(check, pid, pid, r), {
      action: "deny",
      errno: 14,
      rule: "net",
    }, check);
  }
});

Deno.test("setsockopt: route-choosing options are refused by level and name, others pass", () => {
  // With every destination allowed no route can lead anywhere denied: nothing is refused.
  const open = new NetChecker(policy).decide("setsockopt", 1, 1, regs(3, 1, 25, 0, 4));
  assert.equal(open, undefined);
  const checker = new NetChecker({ ...policy, allow: [] });
  const denied: string[] = [];
  checker.onDeny = (_t, _p, d) => denied.push(d.address);
  const call = (level: number, name: number) =>
    checker.decide("setsockopt", 1, 1, regs(3, level, name, 0, 4));
  assert.deepEqual(call(1, 25), { action: "deny", errno: 1, rule: "net" });
  assert.equal(call(1, 9), undefined, "SO_KEEPALIVE shares its number with IPV6_NEXTHOP");
  assert.equal(call(6, 4), undefined, "TCP_KEEPIDLE shares its number with IP_OPTIONS");
  assert.equal(call(0, 8), undefined, "IP_PKTINFO is a receive flag");
  assert.equal(call(41, 49), undefined, "IPV6_RECVPKTINFO is a receive flag");
  assert.equal(call(41, 2), undefined, "IPV6_2292PKTINFO is a receive flag");
  for (const [level, name] of [[1, 36], [1, 62], [0, 4], [0, 7], [0, 50], [41, 76], [41, 50]]) {
    assert.equal(call(level, name)?.action, "deny", `${level}/${name}`);
  }
  assert.deepEqual(denied.slice(0, 2), ["setsockopt SO_BINDTODEVICE", "setsockopt SO_MARK"]);
});

/** A `struct msghdr` with no name: iovec pointer and count, control length. */
function msghdr(iov: bigint, iovLen: number, controlLen = 0): Uint8Array {
  const m = new BigUint64Array(7);
  m[2] = iov;
  m[3] = BigInt(iovLen);
  m[5] = BigInt(controlLen);
  return new Uint8Array(m.buffer);
}

Deno.test("namelessSend(): a sendmsg on a connected stream becomes a call that names no address", () => {
  const me = Deno.pid; // the iovec is read from this process's memory
  const data = new Uint8Array(8);
  const iov = new BigUint64Array([addressOf(data), 8n, addressOf(data), 4n]);
  const { sendto, writev } = HOST_ARCH.numbers;
  // One buffer: sendto(fd, base, len, flags without MSG_FASTOPEN, NULL, 0).
  assert.deepEqual(namelessSend(me, msghdr(addressOf(iov), 1), 0x20000040, "net"), {
    action: "replace",
    nr: sendto,
    args: { 1: addressOf(data), 2: 8n, 3: 0x40, 4: 0n, 5: 0n },
    rule: "net",
  });
  // Several buffers, no flags: writev(fd, iov, n).
  assert.deepEqual(namelessSend(me, msghdr(addressOf(iov), 2), 0, "net"), {
    action: "replace",
    nr: writev,
    args: { 1: addressOf(iov), 2: 2n },
    rule: "net",
  });
  // Several buffers with flags, or control messages: performed by the supervisor instead.
  assert.equal(namelessSend(me, msghdr(addressOf(iov), 2), 0x40, "net"), undefined);
  assert.equal(namelessSend(me, msghdr(addressOf(iov), 1, 16), 0, "net"), undefined);
  // An iovec that cannot be read: the call fails with EFAULT, unsent.
  assert.deepEqual(namelessSend(me, msghdr(0x1000n, 1), 0, "net"), {
    action: "perform",
    value: -14,
    rule: "net",
  });
});

Deno.test("waitForConnection(): a blocking connect waits in sendto(fd, NULL, 0, MSG_NOSIGNAL, NULL, 0)", () => {
  assert.deepEqual(waitForConnection("net"), {
    action: "replace",
    nr: HOST_ARCH.numbers.sendto,
    args: { 1: 0n, 2: 0n, 3: 0x4000, 4: 0n, 5: 0n },
    rule: "net",
  });
});
