import assert from "node:assert/strict";
import type { SocketAddress } from "./address.ts";
import { AF } from "../../kernel/socket.ts";
import { NetChecker } from "./check.ts";
import { denialLine } from "./denial.ts";
import type { NetPolicy } from "./policy.ts";
import { entry, ip, unix } from "./_address_fixtures.ts";

/** A checker with the default policy, changed by `p`. */
const policy = (p: Partial<NetPolicy>): NetChecker =>
  new NetChecker({
    allow: [],
    deny: [],
    loopback: true,
    unix: true,
    errno: 13,
    wildcardBind: "rewrite",
    ...p,
  });

Deno.test("NetChecker.allows() applies deny first, then allow, then loopback and unix defaults", () => {
  const def = policy({});
  assert.ok(def.allows(ip("127.0.0.1")));
  assert.ok(def.allows(ip("::1")));
  assert.ok(def.allows(ip("::ffff:127.0.0.1")));
  assert.ok(!def.allows(ip("10.1.2.3")));
  assert.ok(!def.allows(ip("::ffff:10.1.2.3")), "an IPv4-mapped address is no way around");
  assert.ok(def.allows(unix("/run/x")));
  assert.ok(def.allows({ family: "unspec" }), "AF_UNSPEC connect dissolves an association");
  const some = policy({
    allow: entry("10.0.0.0/8"),
    deny: [...entry("10.0.0.1"), ...entry("unix:/run/docker.sock")],
  });
  assert.ok(some.allows(ip("10.9.9.9")));
  assert.ok(!some.allows(ip("10.0.0.1")), "deny wins");
  assert.ok(!some.allows(ip("::ffff:10.0.0.1")), "deny wins for the mapped form too");
  assert.ok(!some.allows(unix("/run/docker.sock")));
  assert.ok(some.allows(unix("/run/other.sock")));
  const closed = policy({ loopback: false, unix: false });
  assert.ok(!closed.allows(ip("127.0.0.1")));
  assert.ok(!closed.allows(unix("/run/x")));
  const none = policy({ deny: entry("*") });
  assert.ok(!none.allows(ip("127.0.0.1")), "--deny-net alone: loopback included");
});

Deno.test("NetChecker.allows(): other families only with *, local kernel families always, wildcards as loopback", () => {
  const vsock: SocketAddress = { family: "other", number: AF.VSOCK };
  const netlink: SocketAddress = { family: "other", number: AF.NETLINK };
  const shortInet: SocketAddress = { family: "other", number: AF.INET };
  const def = policy({});
  assert.ok(!def.allows(vsock), "AF_VSOCK reaches the hypervisor host");
  assert.ok(def.allows(netlink));
  assert.ok(def.allows(shortInet), "too short to connect anywhere: the kernel says EINVAL");
  assert.ok(def.allows(ip("0.0.0.0", 80)), "0.0.0.0 is 127.0.0.1");
  assert.ok(def.allows(ip("::", 80)));
  const all = policy({ allow: entry("*") });
  assert.ok(all.allows(vsock));
  const allButLocal = policy({ allow: entry("*"), deny: entry("127.0.0.1:5432") });
  assert.ok(!allButLocal.allows(ip("0.0.0.0", 5432)), "no way around a loopback deny entry");
  assert.ok(!allButLocal.allows(ip("::ffff:0.0.0.0", 5432)));
  assert.ok(allButLocal.allows(ip("0.0.0.0", 5433)));
  const none = policy({ deny: entry("*") });
  assert.ok(none.allows(netlink), "--deny-net alone leaves the kernel's own interfaces");
  assert.ok(!none.allows(vsock));
});

Deno.test("denialLine() reads as one plain sentence", () => {
  assert.equal(
    denialLine(
      {
        call: "connect",
        address: "10.1.2.3:443",
        hint: "allow with --allow-net=10.1.2.3:443",
      },
      1234,
      "curl",
    ),
    "jail: denied connect to 10.1.2.3:443 (pid 1234 curl); allow with --allow-net=10.1.2.3:443",
  );
  assert.equal(
    denialLine(
      {
        call: "connect",
        address: "10.1.2.4:80",
        host: "db.test",
        hint: "it matches the deny entry db.test",
      },
      7,
      "psql",
    ),
    "jail: denied connect to 10.1.2.4:80 (db.test, pid 7 psql); it matches the deny entry db.test",
  );
  assert.equal(
    denialLine({ call: "socket", address: "a raw socket" }, 9, "ping"),
    "jail: denied a raw socket (pid 9 ping)",
  );
});
