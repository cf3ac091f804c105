import assert from "node:assert/strict";
import { formatAddress, isLoopback } from "./address.ts";
import { decodeSockaddr, encodeUnix, loopbackLike, unspecAsInet } from "./sockaddr.ts";
import { AF } from "../../kernel/socket.ts";
import { ip, matches, sockaddrIn, sockaddrIn6, unix } from "./_address_fixtures.ts";

Deno.test("decodeSockaddr() decodes inet, inet6, unix and the rest", () => {
  assert.deepEqual(decodeSockaddr(sockaddrIn("10.1.2.3", 8080)), {
    family: "inet",
    ip: "10.1.2.3",
    port: 8080,
    bytes: Uint8Array.of(10, 1, 2, 3),
  });
  const v6 = decodeSockaddr(sockaddrIn6("2001:db8::1", 443));
  assert.equal(v6.family, "inet6");
  assert.equal(v6.family === "inet6" && v6.ip, "2001:db8::1");
  assert.equal(v6.family === "inet6" && v6.port, 443);
  const mapped = decodeSockaddr(sockaddrIn6("::ffff:10.1.2.3", 80));
  assert.equal(formatAddress(mapped), "10.1.2.3:80");
  assert.ok(matches("10.0.0.0/8", mapped));
  const path = new TextEncoder().encode("/run/x.sock");
  const sun = new Uint8Array(110);
  sun[0] = AF.UNIX;
  sun.set(path, 2);
  assert.deepEqual(decodeSockaddr(sun), unix("/run/x.sock"));
  assert.deepEqual(decodeSockaddr(sun.subarray(0, 2 + path.length)), unix("/run/x.sock"));
  const abs = Uint8Array.of(AF.UNIX, 0, 0, ...new TextEncoder().encode("jail\0x"));
  assert.deepEqual(decodeSockaddr(abs), unix("jail\0x", true), "abstract: every byte counts");
  assert.deepEqual(decodeSockaddr(Uint8Array.of(AF.UNIX, 0)), unix(""), "unnamed");
  assert.deepEqual(decodeSockaddr(Uint8Array.of(0, 0, 1, 2)), { family: "unspec" });
  assert.deepEqual(decodeSockaddr(Uint8Array.of(2)), { family: "unspec" }, "too short");
  assert.deepEqual(decodeSockaddr(sockaddrIn("10.1.2.3", 1).subarray(0, 6)), {
    family: "other",
    number: AF.INET,
  });
  assert.deepEqual(decodeSockaddr(sockaddrIn6("::1", 1).subarray(0, 20)), {
    family: "other",
    number: AF.INET6,
  });
  assert.deepEqual(decodeSockaddr(Uint8Array.of(AF.NETLINK, 0, 0, 0)), {
    family: "other",
    number: AF.NETLINK,
  });
});

Deno.test("loopbackLike() keeps the family and port of a wildcard bind", () => {
  assert.equal(
    formatAddress(decodeSockaddr(loopbackLike(sockaddrIn("0.0.0.0", 8080)))),
    "127.0.0.1:8080",
  );
  assert.equal(formatAddress(decodeSockaddr(loopbackLike(sockaddrIn6("::", 8080)))), "[::1]:8080");
  const mapped = loopbackLike(sockaddrIn6("::ffff:0.0.0.0", 8080));
  assert.equal(mapped.length, 28);
  assert.equal(formatAddress(decodeSockaddr(mapped)), "127.0.0.1:8080");
  assert.ok(isLoopback(decodeSockaddr(mapped)));
});

Deno.test("AF_UNSPEC destinations are read as IPv4, as UDP does; an AF_UNSPEC wildcard binds as IPv4", () => {
  const unspec = sockaddrIn("10.1.2.3", 53);
  unspec[0] = AF.UNSPEC;
  assert.deepEqual(unspecAsInet(unspec), ip("10.1.2.3", 53));
  assert.equal(unspecAsInet(unspec.subarray(0, 15)), undefined, "too short for the kernel to read");
  assert.equal(unspecAsInet(sockaddrIn("10.1.2.3", 53)), undefined, "not AF_UNSPEC");
  const any = sockaddrIn("0.0.0.0", 8080);
  any[0] = AF.UNSPEC;
  assert.equal(formatAddress(decodeSockaddr(loopbackLike(any))), "127.0.0.1:8080");
});

Deno.test("encodeUnix() writes a sun_path the kernel takes, or nothing", () => {
  assert.equal(decodeSockaddr(encodeUnix("/run/x.sock")!).family, "unix");
  assert.deepEqual(decodeSockaddr(encodeUnix("/run/x.sock")!), unix("/run/x.sock"));
  assert.equal(encodeUnix("/" + "x".repeat(107)), undefined, "longer than sun_path");
  assert.equal(encodeUnix(""), undefined);
});
