import assert from "node:assert/strict";
import fc from "fast-check";
import {
  formatAddress,
  formatIP,
  isLoopback,
  isWildcard,
  NetEntryError,
  parseIPv4,
  parseIPv6,
  unmapIPv4,
  wildcardDestination,
} from "./address.ts";
import { entry, ip, matches, unix } from "./_address_fixtures.ts";

const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, "0")).join("");

Deno.test("parseIPv6() reads every textual form and rejects malformed ones", () => {
  const good: [string, string][] = [
    ["::", "00000000000000000000000000000000"],
    ["::1", "00000000000000000000000000000001"],
    ["1::", "00010000000000000000000000000000"],
    ["2001:db8::1", "20010db8000000000000000000000001"],
    ["2001:DB8:0:0:8:800:200C:417A", "20010db8000000000008080020 0c417a".replace(" ", "")],
    ["1:2:3:4:5:6:7:8", "00010002000300040005000600070008"],
    ["1:2:3:4:5:6:7::", "00010002000300040005000600070000"],
    ["::2:3:4:5:6:7:8", "00000002000300040005000600070008"],
    ["::ffff:10.1.2.3", "00000000000000000000ffff0a010203"],
    ["::10.1.2.3", "0000000000000000000000000a010203"],
    ["64:ff9b::192.0.2.33", "0064ff9b0000000000000000c0000221"],
    ["1:2:3:4:5:6:1.2.3.4", "00010002000300040005000601020304"],
  ];
  for (const [text, bytes] of good) assert.equal(hex(parseIPv6(text)!), bytes, text);
  const bad = [
    "",
    ":",
    ":::",
    "1",
    "1.2.3.4",
    "1:2",
    ":1",
    "1:",
    "1::2::3",
    "12345::",
    "g::1",
    "1:2:3:4:5:6:7:8:9",
    "1:2:3:4:5:6:7:8::",
    "::1:2:3:4:5:6:7:8",
    "1:2:3:4:5:6:7:8:9::",
    "::ffff:300.1.2.3",
    "::ffff:1.2.3",
    "1.2.3.4::",
    "fe80::1%eth0",
    "1:2:3:4:5:6:7:1.2.3.4",
  ];
  for (const text of bad) assert.equal(parseIPv6(text), undefined, text);
});

Deno.test("formatIP() writes RFC 5952 text that parses back to the same bytes", () => {
  const cases: [string, string][] = [
    ["0:0:0:0:0:0:0:0", "::"],
    ["0:0:0:0:0:0:0:1", "::1"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],
    ["2001:0db8:0000:0000:0000:ff00:0042:8329", "2001:db8::ff00:42:8329"],
    ["1:0:0:2:0:0:0:3", "1:0:0:2::3"],
    ["0:0:0:0:0:ffff:a01:203", "::ffff:10.1.2.3"],
  ];
  for (const [text, want] of cases) assert.equal(formatIP(parseIPv6(text)!), want, text);
  assert.equal(formatIP(Uint8Array.of(10, 1, 2, 3)), "10.1.2.3");
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
      assert.deepEqual(parseIPv6(formatIP(bytes)), bytes);
    }),
  );
  fc.assert(
    fc.property(fc.ipV6(), (text) => {
      const bytes = parseIPv6(text);
      assert.ok(bytes, text);
      assert.deepEqual(parseIPv6(formatIP(bytes)), bytes);
    }),
  );
  fc.assert(
    fc.property(fc.ipV4(), (text) => {
      assert.equal(formatIP(parseIPv4(text)!), text);
    }),
  );
});

Deno.test("parseIPv4() takes exactly four decimal parts 0-255", () => {
  assert.deepEqual(parseIPv4("10.1.2.3"), Uint8Array.of(10, 1, 2, 3));
  assert.deepEqual(parseIPv4("255.255.255.255"), Uint8Array.of(255, 255, 255, 255));
  for (const bad of ["300.1.1.1", "1.2.3", "1.2.3.4.5", "1.2.3.x", " 1.2.3.4", "0x1.2.3.4", ""]) {
    assert.equal(parseIPv4(bad), undefined, bad);
  }
});

Deno.test("unmapIPv4() finds the IPv4 address in ::ffff:a.b.c.d only", () => {
  assert.deepEqual(unmapIPv4(parseIPv6("::ffff:10.1.2.3")!), Uint8Array.of(10, 1, 2, 3));
  assert.equal(unmapIPv4(parseIPv6("::10.1.2.3")!), undefined, "IPv4-compatible is not mapped");
  assert.equal(unmapIPv4(parseIPv6("64:ff9b::10.1.2.3")!), undefined);
  assert.equal(unmapIPv4(Uint8Array.of(10, 1, 2, 3)), undefined);
});

Deno.test("parseNetEntry() reads every entry form", () => {
  const shape = (s: string) =>
    entry(s).map((e) =>
      e.kind === "ip"
        ? { kind: e.kind, net: formatIP(e.net), prefix: e.prefix, ports: e.ports, host: e.host }
        : e.kind === "unix"
        ? { kind: e.kind, pattern: e.pattern.source, abstract: e.abstract }
        : e.kind === "port"
        ? { kind: e.kind, ports: e.ports }
        : { kind: e.kind }
    );
  assert.deepEqual(shape("*"), [{ kind: "any" }]);
  assert.deepEqual(shape("*:443"), [{ kind: "port", ports: [443, 443] }]);
  assert.deepEqual(shape(":8000-8999"), [{ kind: "port", ports: [8000, 8999] }]);
  // Address and CIDR forms: [entry, network, prefix length, ports].
  const ips: [string, string, number, [number, number]?][] = [
    ["10.1.2.3", "10.1.2.3", 32],
    ["10.0.0.0/8", "10.0.0.0", 8],
    ["10.1.2.3:0-1023", "10.1.2.3", 32, [0, 1023]],
    ["::1", "::1", 128],
    ["[::1]:80", "::1", 128, [80, 80]],
    ["[fd00::]", "fd00::", 128],
    ["fe80::/10", "fe80::", 10],
    // IPv4-mapped entries are kept as IPv4, prefix and all.
    ["::ffff:10.0.0.0/104", "10.0.0.0", 8],
    ["[::ffff:10.1.2.3]:443", "10.1.2.3", 32, [443, 443]],
  ];
  for (const [text, net, prefix, ports] of ips) {
    assert.deepEqual(shape(text), [{ kind: "ip", net, prefix, ports, host: undefined }], text);
  }
  // Host names resolve through the injected resolver, every address kept.
  assert.deepEqual(shape("localhost:5432"), [
    { kind: "ip", net: "127.0.0.1", prefix: 32, ports: [5432, 5432], host: "localhost" },
    { kind: "ip", net: "::1", prefix: 128, ports: [5432, 5432], host: "localhost" },
  ]);
  assert.deepEqual(shape("unix:/run/*.sock"), [
    { kind: "unix", pattern: "^\\/run\\/[^/]*\\.sock$", abstract: false },
  ]);
  assert.deepEqual(shape("unix:@jail-*"), [
    { kind: "unix", pattern: "^jail-[^/]*$", abstract: true },
  ]);
});

Deno.test("parseNetEntry() says what is wrong with a bad entry", () => {
  const cases: [string, RegExp][] = [
    ["300.1.1.1", /^"300\.1\.1\.1": not an IPv4 address: expected four numbers 0-255/],
    ["1.2.3", /^"1\.2\.3": not an IPv4 address/],
    ["host:99999", /^"host:99999": bad port "99999": expected a port 0-65535 or a range/],
    ["host:", /^"host:": bad port "": expected a port 0-65535/],
    ["*:9000-8000", /^"\*:9000-8000": bad port "9000-8000"/],
    ["[::1]:x", /^"\[::1\]:x": bad port "x"/],
    ["a/b/c", /^"a\/b\/c": not a host, address or CIDR: expected e\.g\. example\.com/],
    ["example.com/24", /^"example\.com\/24": not a host, address or CIDR/],
    ["10.0.0.0/33", /^"10\.0\.0\.0\/33": bad prefix length: expected 0-32/],
    ["10.0.0.0/x", /^"10\.0\.0\.0\/x": bad prefix length: expected 0-32/],
    ["::1/129", /^"::1\/129": bad prefix length: expected 0-128/],
    ["1:2:3:4:5:6:7:8:9", /^"1:2:3:4:5:6:7:8:9": not an IPv6 address/],
    ["[::1", /^"\[::1": not an IPv6 address/],
    ["-bad-", /^"-bad-": not a host, address or CIDR/],
    ["nowhere.test", /^"nowhere\.test": host nowhere\.test does not resolve$/],
  ];
  for (const [s, message] of cases) {
    assert.throws(() => entry(s), (e: unknown) => {
      assert.ok(e instanceof NetEntryError, `${s}: ${e}`);
      assert.match(e.message, message, s);
      return true;
    });
  }
});

Deno.test("entryMatches() compares addresses, prefixes, ports and IPv4-mapped forms", () => {
  assert.ok(matches("10.0.0.0/8", ip("10.200.3.4")));
  assert.ok(!matches("10.0.0.0/8", ip("11.0.0.1")));
  assert.ok(matches("10.1.2.0/23", ip("10.1.3.255")));
  assert.ok(!matches("10.1.2.0/23", ip("10.1.4.0")));
  assert.ok(matches("0.0.0.0/0", ip("8.8.8.8")));
  assert.ok(!matches("0.0.0.0/0", ip("2001:db8::1")), "an IPv4 entry never matches IPv6");
  assert.ok(matches("10.1.2.3:443", ip("10.1.2.3", 443)));
  assert.ok(!matches("10.1.2.3:443", ip("10.1.2.3", 80)));
  assert.ok(matches("10.1.2.3:8000-8999", ip("10.1.2.3", 8999)));
  assert.ok(!matches("10.1.2.3:8000-8999", ip("10.1.2.3", 9000)));
  assert.ok(matches("*:443", ip("2001:db8::1", 443)));
  assert.ok(!matches("*:443", unix("/run/x.sock")), "a port entry never matches unix sockets");
  assert.ok(matches("2001:db8::/32", ip("2001:db8:ffff::1")));
  assert.ok(!matches("2001:db8::/32", ip("2001:db9::1")));
  assert.ok(matches("[::1]:80", ip("::1", 80)));
  assert.ok(matches("db.test", ip("10.9.8.7", 1)));
  // IPv4-mapped IPv6: the same destination as IPv4, whichever way round.
  assert.ok(matches("10.0.0.0/8", ip("::ffff:10.1.2.3")));
  assert.ok(matches("::ffff:10.0.0.0/104", ip("10.1.2.3")));
  assert.ok(matches("[::ffff:10.1.2.3]:80", ip("10.1.2.3", 80)));
  assert.ok(!matches("10.0.0.0/8", ip("::10.1.2.3")), "IPv4-compatible is a different address");
  // A prefix shorter than the mapped range stays IPv6 and covers IPv4 destinations too.
  assert.ok(matches("::ffff:0:0/95", ip("10.1.2.3")));
  assert.ok(matches("::ffff:0:0/95", ip("::fffe:1:2")));
  assert.ok(!matches("::ffff:0:0/95", ip("::fffd:1:2")));
  assert.ok(matches("::/0", ip("10.1.2.3")));
  assert.ok(matches("::/0", ip("2001:db8::1")));
  // Unix sockets by path glob; abstract names only by @ entries.
  assert.ok(matches("unix:/run/*.sock", unix("/run/docker.sock")));
  assert.ok(!matches("unix:/run/*.sock", unix("/run/user/docker.sock")));
  assert.ok(matches("unix:/run/**", unix("/run/user/1000/bus")));
  assert.ok(!matches("unix:/run/**", unix("/run/x", true)));
  assert.ok(matches("unix:@jail-?", unix("jail-1", true)));
  assert.ok(!matches("unix:@jail-?", unix("jail-1")));
  assert.ok(!matches("unix:/tmp/a.b", unix("/tmp/aXb")), "a dot is literal");
  assert.ok(!matches("10.0.0.0/8", unix("/run/x")));
  assert.ok(matches("*", unix("/run/x")));
  assert.ok(matches("*", ip("2001:db8::1")));
});

Deno.test("isLoopback() and isWildcard() see through IPv4-mapped addresses", () => {
  assert.ok(isLoopback(ip("127.0.0.1")));
  assert.ok(isLoopback(ip("127.255.0.9")));
  assert.ok(isLoopback(ip("::1")));
  assert.ok(isLoopback(ip("::ffff:127.0.0.1")));
  assert.ok(!isLoopback(ip("::ffff:10.0.0.1")));
  assert.ok(!isLoopback(ip("::127.0.0.1")));
  assert.ok(!isLoopback(ip("128.0.0.1")));
  assert.ok(!isLoopback(unix("/x")));
  assert.ok(isWildcard(ip("0.0.0.0")));
  assert.ok(isWildcard(ip("::")));
  assert.ok(isWildcard(ip("::ffff:0.0.0.0")));
  assert.ok(!isWildcard(ip("0.0.0.1")));
  assert.ok(!isWildcard(unix("")));
});

Deno.test("formatAddress() writes destinations as --allow-net takes them", () => {
  assert.equal(formatAddress(ip("10.1.2.3", 443)), "10.1.2.3:443");
  assert.equal(formatAddress(ip("2001:db8::1", 443)), "[2001:db8::1]:443");
  assert.equal(formatAddress(ip("::ffff:10.1.2.3", 80)), "10.1.2.3:80");
  assert.equal(formatAddress(unix("/run/x.sock")), "unix:/run/x.sock");
  assert.equal(formatAddress(unix("name", true)), "unix:@name");
  for (const a of [ip("10.1.2.3", 443), ip("2001:db8::1", 443), ip("::ffff:10.1.2.3", 80)]) {
    assert.ok(matches(formatAddress(a), a), formatAddress(a));
  }
});

Deno.test("wildcardDestination(): 0.0.0.0 and :: as destinations are this machine", () => {
  assert.deepEqual(wildcardDestination(ip("0.0.0.0", 5432)), ip("127.0.0.1", 5432));
  assert.deepEqual(wildcardDestination(ip("::", 5432)), ip("::1", 5432));
  assert.deepEqual(wildcardDestination(ip("::ffff:0.0.0.0", 5432)), ip("::ffff:127.0.0.1", 5432));
  assert.equal(wildcardDestination(ip("10.1.2.3")), undefined);
});
