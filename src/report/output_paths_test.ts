import assert from "node:assert/strict";
import { checkOutputPaths, unwritableReason } from "./output_paths.ts";

Deno.test("unwritableReason() answers for a missing directory, a directory, and writable files", () => {
  const dir = Deno.makeTempDirSync({ prefix: "jail-output-paths-" });
  try {
    assert.equal(
      unwritableReason("/nonexistent-jail-dir/x.ts"),
      "directory /nonexistent-jail-dir: No such file or directory",
    );
    assert.equal(unwritableReason(dir), "is a directory");
    Deno.writeTextFileSync(`${dir}/file`, "kept");
    assert.equal(unwritableReason(`${dir}/file/x.ts`), `${dir}/file is not a directory`);
    // An existing file is opened, not truncated; a new one leaves nothing behind.
    assert.equal(unwritableReason(`${dir}/file`), undefined);
    assert.equal(Deno.readTextFileSync(`${dir}/file`), "kept");
    assert.equal(unwritableReason(`${dir}/new.json`), undefined);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["file"]);
    assert.equal(
      checkOutputPaths([{ what: "--log", path: `${dir}/ok` }, { what: "--learn", path: dir }]),
      `--learn ${dir}: cannot write: is a directory`,
    );
    assert.equal(checkOutputPaths([{ what: "--log", path: `${dir}/ok` }]), undefined);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
