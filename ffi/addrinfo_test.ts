import assert from "node:assert/strict";
import { lookupAddresses, pauseOffThread } from "./addrinfo.ts";

Deno.test("lookupAddresses: numeric hosts come back as getaddrinfo gives them, IPv6 as eight groups", async () => {
  assert.deepEqual(await lookupAddresses("127.0.0.1"), ["127.0.0.1"]);
  assert.deepEqual(await lookupAddresses("::1"), ["0:0:0:0:0:0:0:1"]);
  assert.deepEqual(await lookupAddresses("fe80::12:3400"), ["fe80:0:0:0:0:0:12:3400"]);
});

Deno.test("lookupAddresses: a name from /etc/hosts, as the command's own getaddrinfo sees it", async () => {
  const hosts = Deno.readTextFileSync("/etc/hosts");
  const v4 = hosts.split("\n").find((l) => /^127\.0\.0\.1\s.*\blocalhost\b/.test(l));
  if (!v4) return; // A system whose /etc/hosts does not list localhost: nothing to compare.
  assert.ok((await lookupAddresses("localhost")).includes("127.0.0.1"));
});

Deno.test("pauseOffThread: resolves after the pause, without Deno's timers", async () => {
  const start = performance.now();
  await pauseOffThread(15);
  assert.ok(performance.now() - start >= 14, "paused");
});
