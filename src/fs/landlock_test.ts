import assert from "node:assert/strict";
import type { FsPolicy } from "./access.ts";
import { ACCESS } from "../../kernel/landlock.ts";
import {
  FILE_RIGHTS,
  landlockSpec,
  type PathKinds,
  READ_RIGHTS,
  rightsOfAbi,
  WRITE_RIGHTS,
} from "./landlock.ts";

const e = (pattern: string) => ({ pattern, source: pattern });
/** Directories /data, /usr, /tmp and /tmp/out; files /etc/hosts and /usr/bin/git. */
const KINDS: PathKinds = {
  isDir: (p) =>
    ["/", "/data", "/usr", "/usr/lib", "/tmp", "/tmp/out"].includes(p)
      ? true
      : ["/etc/hosts", "/usr/bin/git", "/fixtures/hosts"].includes(p)
      ? false
      : undefined,
};
const base: FsPolicy = { redirect: [], errno: 13 };

Deno.test("rightsOfAbi() adds REFER at 2, TRUNCATE at 3, IOCTL_DEV at 5", () => {
  assert.equal(rightsOfAbi(0), 0);
  assert.equal(rightsOfAbi(1), 0x1fff);
  assert.equal(rightsOfAbi(2), 0x1fff | ACCESS.REFER);
  assert.equal(rightsOfAbi(4), 0x1fff | ACCESS.REFER | ACCESS.TRUNCATE);
  assert.equal(rightsOfAbi(7), 0xffff);
});

Deno.test("landlockSpec() is undefined for deny-only lists and redirects alone", () => {
  assert.equal(landlockSpec(base, KINDS), undefined);
  assert.equal(
    landlockSpec({ ...base, read: { deny: [e("/data/secret")], base: [] } }, KINDS),
    undefined,
  );
});

Deno.test("landlockSpec() grants reads beneath the static prefixes and the base; REFER everywhere", () => {
  const spec = landlockSpec({
    ...base,
    read: { allow: [e("/data/*/in"), e("/etc/hosts")], deny: [e("/data/x")], base: [e("/usr")] },
  }, KINDS)!;
  assert.equal(spec.handled, READ_RIGHTS | ACCESS.REFER);
  assert.deepEqual(spec.rules, [
    { path: "/data", access: READ_RIGHTS, dir: true },
    { path: "/etc/hosts", access: ACCESS.READ_FILE, dir: false },
    { path: "/usr", access: READ_RIGHTS, dir: true },
    { path: "/", access: ACCESS.REFER, dir: true },
  ]);
});

Deno.test("landlockSpec() grants writes beneath the nearest existing directory, file rights on files", () => {
  const spec = landlockSpec({
    ...base,
    write: { allow: [e("/tmp/out/new/**")], deny: [], base: [e("/etc/hosts")] },
  }, KINDS)!;
  assert.equal(spec.handled, WRITE_RIGHTS);
  assert.deepEqual(spec.rules, [
    { path: "/tmp/out", access: WRITE_RIGHTS, dir: true },
    { path: "/etc/hosts", access: WRITE_RIGHTS & FILE_RIGHTS, dir: false },
  ]);
});

Deno.test("landlockSpec() makes runnable programs readable and handles a catch-all deny", () => {
  const spec = landlockSpec({
    ...base,
    read: { allow: [e("/data")], deny: [], base: [] },
    run: { allow: [e("/usr/bin/git")], deny: [], base: [e("/usr/lib")] },
    write: { deny: [e("/")], base: [] },
  }, KINDS)!;
  assert.equal(spec.handled, READ_RIGHTS | WRITE_RIGHTS | ACCESS.EXECUTE);
  assert.deepEqual(spec.rules, [
    { path: "/data", access: READ_RIGHTS, dir: true },
    { path: "/usr/bin/git", access: ACCESS.READ_FILE | ACCESS.EXECUTE, dir: false },
    { path: "/usr/lib", access: READ_RIGHTS | ACCESS.EXECUTE, dir: true },
  ]);
});

Deno.test("landlockSpec() grants a redirect target what its source may have", () => {
  const spec = landlockSpec({
    ...base,
    read: { allow: [e("/data")], deny: [], base: [e("/etc")] },
    redirect: [{ from: "/etc/hosts", to: "/fixtures/hosts" }, { from: "/home/x", to: "/data/x" }],
  }, KINDS)!;
  assert.ok(spec.rules.some((r) => r.path === "/fixtures/hosts" && r.access === ACCESS.READ_FILE));
  assert.ok(!spec.rules.some((r) => r.path === "/data/x"), "/home/x is not readable: no grant");
});
