import assert from "node:assert/strict";
import { FsChecker } from "./check.ts";

Deno.test("FsChecker.redirectOf() maps a file, and a directory's files, longest source first", () => {
  const fs = new FsChecker({
    redirect: [
      { from: "/etc/hosts", to: "/fx/hosts" },
      { from: "/data", to: "/fx/data" },
      { from: "/data/special", to: "/fx/special" },
    ],
    errno: 13,
  });
  assert.equal(fs.redirectOf("/etc/hosts"), "/fx/hosts");
  assert.equal(fs.redirectOf("/etc/hosts.allow"), undefined);
  assert.equal(fs.redirectOf("/data"), "/fx/data");
  assert.equal(fs.redirectOf("/data/a/b"), "/fx/data/a/b");
  assert.equal(fs.redirectOf("/data/special/x"), "/fx/special/x");
  assert.equal(fs.redirectOf("/database"), undefined);
});
