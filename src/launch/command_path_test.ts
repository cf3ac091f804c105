import assert from "node:assert/strict";
import { DEFAULT_PATH, findCommand, pathOf } from "./command_path.ts";

const ROOT = { uid: 0, groups: new Set([0]) };

Deno.test("findCommand() searches PATH as execvpe does", () => {
  const dir = Deno.makeTempDirSync({ prefix: "jail-command-path-" });
  try {
    Deno.writeTextFileSync(`${dir}/prog`, "#!/bin/sh\n", { mode: 0o755 });
    Deno.writeTextFileSync(`${dir}/plain`, "", { mode: 0o644 });
    Deno.chmodSync(`${dir}/plain`, 0o644);
    Deno.mkdirSync(`${dir}/adir`);
    Deno.mkdirSync(`${dir}/sub`);
    Deno.writeTextFileSync(`${dir}/sub/plain`, "", { mode: 0o755 });
    // The first entry that holds a runnable file; a trailing slash is no second one.
    assert.deepEqual(findCommand("prog", `${dir}/none:${dir}/:/usr/bin`, ROOT), {
      path: `${dir}/prog`,
    });
    // Found only where it cannot run: EACCES (126), unless a later entry can run it.
    assert.deepEqual(findCommand("plain", `${dir}`, ROOT), { errno: 13 });
    assert.deepEqual(findCommand("adir", `${dir}`, ROOT), { errno: 13 });
    assert.deepEqual(findCommand("plain", `${dir}:${dir}/sub`, ROOT), { path: `${dir}/sub/plain` });
    // A symlink counts as what it points to: followed to a runnable file, or to a directory.
    Deno.mkdirSync(`${dir}/links`);
    Deno.symlinkSync(`${dir}/prog`, `${dir}/links/viaLink`);
    Deno.symlinkSync(`${dir}/adir`, `${dir}/links/toDir`);
    assert.deepEqual(findCommand("viaLink", `${dir}/links`, ROOT), {
      path: `${dir}/links/viaLink`,
    });
    assert.deepEqual(findCommand("toDir", `${dir}/links`, ROOT), { errno: 13 });
    // Found nowhere: ENOENT (127); a name with a slash is not searched.
    assert.deepEqual(findCommand("jail-no-such", `${dir}:/usr/bin`, ROOT), { errno: 2 });
    assert.deepEqual(findCommand("", `${dir}`, ROOT), { errno: 2 });
    assert.deepEqual(findCommand("./x", `${dir}`, ROOT), { path: "./x" });
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test({
  name: "findCommand(): execute permission is the caller's (owner, group, other bits)",
  ignore: Deno.uid() !== 0, // chown to other uids needs root
}, () => {
  const dir = Deno.makeTempDirSync({ prefix: "jail-command-path-" });
  try {
    Deno.writeTextFileSync(`${dir}/prog`, "#!/bin/sh\n", { mode: 0o755 });
    const owner = { uid: 4242, groups: new Set([4243]) };
    Deno.chownSync(`${dir}/prog`, 4242, 4244);
    Deno.chmodSync(`${dir}/prog`, 0o010);
    const stranger = { uid: 4245, groups: new Set([4246]) };
    assert.deepEqual(findCommand("prog", dir, stranger), { errno: 13 });
    assert.deepEqual(findCommand("prog", dir, { ...stranger, groups: new Set([4244]) }), {
      path: `${dir}/prog`,
    });
    // The owner class decides for the owner, even when the group could run it.
    assert.deepEqual(findCommand("prog", dir, { ...owner, groups: new Set([4244]) }), {
      errno: 13,
    });
    // Root runs anything with an execute bit at all.
    assert.deepEqual(findCommand("prog", dir, ROOT), { path: `${dir}/prog` });
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("findCommand(): an empty PATH entry is the current directory", () => {
  const dir = Deno.makeTempDirSync({ prefix: "jail-command-path-" });
  const cwd = Deno.cwd();
  try {
    Deno.writeTextFileSync(`${dir}/here`, "", { mode: 0o755 });
    Deno.chdir(dir);
    assert.deepEqual(findCommand("here", "/nonexistent::/usr/bin", ROOT), { path: "./here" });
  } finally {
    Deno.chdir(cwd);
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("pathOf() takes the environment's PATH, glibc's default without one", () => {
  assert.equal(pathOf(["A=1", "PATH=/x:/y"]), "/x:/y");
  assert.equal(pathOf(["A=1"]), DEFAULT_PATH);
  assert.equal(pathOf(["PATH="]), "");
});
