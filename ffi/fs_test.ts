import assert from "node:assert/strict";
import { statFile, statKind } from "./fs.ts";
import { ERRNO_NUMBERS } from "../kernel/errno.ts";

Deno.test("statKind/statFile: the kind, mode and owner as stat(2) gives them, symlinks followed, errors as -errno", () => {
  const dir = Deno.makeTempDirSync({ prefix: "jail-fs-" });
  try {
    Deno.writeTextFileSync(`${dir}/file`, "", { mode: 0o640 });
    Deno.chmodSync(`${dir}/file`, 0o640);
    Deno.mkdirSync(`${dir}/sub`);
    Deno.symlinkSync(`${dir}/sub`, `${dir}/toSub`);
    Deno.symlinkSync(`${dir}/none`, `${dir}/dangling`);
    assert.equal(statKind(`${dir}/file`), "file");
    assert.equal(statKind(`${dir}/sub`), "dir");
    assert.equal(statKind(`${dir}/toSub`), "dir");
    assert.equal(statKind("/dev/null"), "other");
    assert.equal(statKind(`${dir}/dangling`), -ERRNO_NUMBERS.ENOENT);
    assert.equal(statKind(`${dir}/file/below`), -ERRNO_NUMBERS.ENOTDIR);
    const facts = statFile(`${dir}/file`);
    assert.ok(typeof facts !== "number");
    const info = Deno.statSync(`${dir}/file`);
    assert.deepEqual(facts, { mode: info.mode, uid: info.uid, gid: info.gid });
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
