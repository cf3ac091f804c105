import assert from "node:assert/strict";
import { learnedLine, Progress } from "./progress.ts";

Deno.test("Progress writes learned items on a terminal only", () => {
  const out: string[] = [];
  const item = { kind: "net", address: "10.1.2.3:80", call: "connect", program: "curl" } as const;
  new Progress({ interactive: false, write: (s) => out.push(s) }).learned(item);
  assert.equal(out.length, 0);
  new Progress({ interactive: true, write: (s) => out.push(s) }).learned(item);
  assert.deepEqual(out, ["jail: learn: + net 10.1.2.3:80 (connect by curl)\n"]);
  assert.equal(learnedLine({ kind: "run", path: "/bin/x\x1b" }), "jail: learn: + run /bin/x\\x1b");
});
