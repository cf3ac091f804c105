import assert from "node:assert/strict";
import { foldPath } from "./unix_path.ts";

Deno.test("foldPath() folds . and .. and repeated slashes as the kernel walks them", () => {
  assert.equal(foldPath("/a/./b//../c/"), "/a/c");
  assert.equal(foldPath("/../.."), "/");
});
