import assert from "node:assert/strict";
import { ProcessTable } from "./processes.ts";

Deno.test("ProcessTable: a child runs its parent's program until it execs", () => {
  const t = new ProcessTable();
  t.spawn(10, 1);
  assert.equal(t.get(10)?.exe, undefined);
  t.exec(10, "/bin/sh", ["sh", "-c", "x"]);
  const child = t.spawn(11, 10);
  assert.deepEqual(child, { ppid: 10, exe: "/bin/sh", argv: ["sh", "-c", "x"] });
  t.exec(11, "/bin/true", ["true"]);
  assert.equal(t.get(10)?.exe, "/bin/sh");
  assert.equal(t.exit(11)?.exe, "/bin/true");
  assert.equal(t.get(11), undefined);
  assert.equal(t.size, 1);
});
