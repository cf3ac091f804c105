import assert from "node:assert/strict";
import { denialLine } from "./report.ts";

Deno.test("denialLine() names the path, the process and the flag that would allow it", () => {
  assert.equal(
    denialLine(123, "sh", { access: "write", path: "/etc/passwd" }),
    "jail: denied write to /etc/passwd (pid 123 sh); allow with --allow-write=/etc/passwd",
  );
  assert.equal(
    denialLine(9, "cat", { access: "read", path: "/etc/shadow", deniedBy: "/etc/shadow" }),
    "jail: denied read of /etc/shadow (pid 9 cat): matches read.deny entry /etc/shadow",
  );
  assert.equal(
    denialLine(9, "sh", { access: "run", path: "/usr/bin/curl" }),
    "jail: denied run of /usr/bin/curl (pid 9 sh); allow with --allow-run=/usr/bin/curl",
  );
});
