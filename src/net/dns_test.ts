import assert from "node:assert/strict";
import fc from "fast-check";
import { describeQueries, parseDnsQuery } from "./dns.ts";
import { addressOf } from "../../ffi/libc.ts";
import { Registers } from "../arch/x86_64.ts";
import { NetChecker } from "./check.ts";
import { denialLine, type NetDenial } from "./denial.ts";

/** A query as a stub resolver builds it. */
function query(name: string, type: number, flags = 0x0100): Uint8Array {
  const labels = name === "." ? [] : name.split(".");
  const parts = [0x12, 0x34, flags >> 8, flags & 0xff, 0, 1, 0, 0, 0, 0, 0, 0];
  for (const l of labels) parts.push(l.length, ...new TextEncoder().encode(l));
  parts.push(0, type >> 8, type & 0xff, 0, 1);
  return Uint8Array.from(parts);
}

Deno.test("dns: the question of a query, by name and type", () => {
  assert.deepEqual(parseDnsQuery(query("Example.COM", 1)), [{ name: "example.com", type: "A" }]);
  assert.deepEqual(parseDnsQuery(query("a.b.c", 28)), [{ name: "a.b.c", type: "AAAA" }]);
  assert.deepEqual(parseDnsQuery(query(".", 2)), [{ name: ".", type: "NS" }]);
  assert.deepEqual(parseDnsQuery(query("x.test", 99)), [{ name: "x.test", type: "TYPE99" }]);
  assert.equal(
    describeQueries([
      parseDnsQuery(query("example.com", 1))!,
      parseDnsQuery(query("example.com", 28))!,
    ]),
    "example.com (A, AAAA)",
  );
  assert.equal(describeQueries([]), undefined);
});

Deno.test("dns: responses, other opcodes, pointers and truncated questions are not queries", () => {
  assert.equal(parseDnsQuery(query("example.com", 1, 0x8180)), undefined, "a response");
  assert.equal(parseDnsQuery(query("example.com", 1, 0x2800)), undefined, "an UPDATE");
  const q = query("example.com", 1);
  assert.equal(parseDnsQuery(q.subarray(0, q.length - 1)), undefined);
  assert.equal(parseDnsQuery(q.subarray(0, 11)), undefined);
  const pointer = Uint8Array.from([...q.subarray(0, 12), 0xc0, 12, 0, 1, 0, 1]);
  assert.equal(parseDnsQuery(pointer), undefined);
  const long = query(Array(6).fill("a".repeat(60)).join("."), 1);
  assert.equal(parseDnsQuery(long), undefined, "a name over 255 bytes");
  // Odd bytes in a label are shown escaped, never raw (the report is one line on a terminal).
  const odd = query("ab", 1);
  odd[13] = 0x0a;
  assert.deepEqual(parseDnsQuery(odd), [{ name: "\\010b", type: "A" }]);
});

Deno.test("dns: any bytes at all parse or yield undefined, never throw", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
      const r = parseDnsQuery(bytes);
      assert.ok(
        r === undefined ||
          (r.length > 0 && r.every((q) => [...q.name].every((c) => c > " " && c <= "~"))),
      );
    }),
    { numRuns: 5000 },
  );
});

Deno.test("dns: a denied sendto to port 53 is reported as a lookup of the name it asks", () => {
  const checker = new NetChecker({
    allow: [],
    deny: [],
    loopback: true,
    unix: true,
    errno: 13,
    wildcardBind: "guard",
  });
  const seen: NetDenial[] = [];
  checker.onDeny = (_t, _p, d) => seen.push(d);
  const q = query("db.internal", 28);
  const to = Uint8Array.of(2, 0, 0, 53, 10, 0, 0, 53, 0, 0, 0, 0, 0, 0, 0, 0);
  const r = new Registers();
  [3, addressOf(q), q.length, 0, addressOf(to), to.length].forEach((v, i) => r.setArg(i, v));
  // This process's own memory stands in for the tracee's.
  const d = checker.decide("sendto", Deno.pid, Deno.pid, r);
  assert.deepEqual(d, { action: "deny", errno: 13, rule: "net" });
  assert.equal(
    denialLine(seen[0], 7, "dig"),
    "jail: denied DNS lookup of db.internal (AAAA) via 10.0.0.53:53 (pid 7 dig)",
  );
});
