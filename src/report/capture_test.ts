import assert from "node:assert/strict";
import {
  absolutePath,
  describeSockaddr,
  execfnPointer,
  familyName,
  parseCmdline,
} from "./capture.ts";

function sockaddrIn(ip: number[], port: number): Uint8Array {
  return Uint8Array.from([2, 0, port >> 8, port & 0xff, ...ip, 0, 0, 0, 0, 0, 0, 0, 0]);
}

Deno.test("describeSockaddr() names the family and the kind of destination", () => {
  assert.deepEqual(describeSockaddr(sockaddrIn([10, 1, 2, 3], 80)), {
    family: "AF_INET",
    address: "10.1.2.3:80",
    scope: "remote",
  });
  assert.equal(describeSockaddr(sockaddrIn([127, 0, 0, 1], 9)).scope, "loopback");
  assert.equal(describeSockaddr(sockaddrIn([0, 0, 0, 0], 0)).scope, "wildcard");
  const mapped = new Uint8Array(28);
  mapped.set([10, 0, 0x01, 0xbb], 0);
  mapped.set([0xff, 0xff, 10, 1, 2, 3], 18);
  assert.deepEqual(describeSockaddr(mapped), {
    family: "AF_INET6",
    address: "10.1.2.3:443",
    scope: "remote",
  });
  const unix = Uint8Array.from([1, 0, ...new TextEncoder().encode("/run/x.sock"), 0]);
  assert.deepEqual(describeSockaddr(unix), {
    family: "AF_UNIX",
    address: "unix:/run/x.sock",
    scope: "unix",
  });
  assert.equal(describeSockaddr(new Uint8Array(0)).family, "AF_UNSPEC");
  assert.equal(familyName(99), "AF_99");
});

Deno.test("parseCmdline() splits at NULs", () => {
  const bytes = new TextEncoder().encode("python3\0-c\0print(1)\0\0");
  assert.deepEqual(parseCmdline(bytes), ["python3", "-c", "print(1)", ""]);
  assert.deepEqual(parseCmdline(new Uint8Array(0)), []);
});

Deno.test("execfnPointer() finds AT_EXECFN in auxv, stops at AT_NULL", () => {
  const auxv = new BigUint64Array([6n, 4096n, 31n, 0x7ffd1234n, 0n, 0n]);
  assert.equal(execfnPointer(new Uint8Array(auxv.buffer)), 0x7ffd1234n);
  const none = new BigUint64Array([6n, 4096n, 0n, 0n, 31n, 1n]);
  assert.equal(execfnPointer(new Uint8Array(none.buffer)), undefined);
});

Deno.test("absolutePath() resolves . and .. against a directory", () => {
  assert.equal(absolutePath("./x.sh", "/home/u"), "/home/u/x.sh");
  assert.equal(absolutePath("../bin/tool", "/home/u/src"), "/home/u/bin/tool");
  assert.equal(absolutePath("/usr/bin/env", "/anywhere"), "/usr/bin/env");
});
