import assert from "node:assert/strict";
import { ConfigError } from "./config_error.ts";
import { compileFs } from "./fs_compile.ts";

const patterns = (es: { pattern: string }[] | undefined) => es?.map((e) => e.pattern);

Deno.test("compileFs() is undefined without file rules", () => {
  assert.equal(compileFs({}), undefined);
  assert.equal(compileFs({ net: { allow: ["*"] } }), undefined);
  assert.equal(compileFs({ read: {} }), undefined);
});

Deno.test("compileFs() expands ~ and takes relative entries against the cwd", () => {
  const fs = compileFs(
    { read: { allow: ["~/notes", "src/**/*.ts"] }, write: { deny: ["./out/../build"] } },
    { cwd: "/nonexistent-cwd", home: "/nonexistent-home" },
  )!;
  assert.deepEqual(patterns(fs.policy.read?.allow), [
    "/nonexistent-home/notes",
    "/nonexistent-cwd/src/**/*.ts",
  ]);
  assert.deepEqual(patterns(fs.policy.write?.deny), ["/nonexistent-cwd/build"]);
  assert.equal(fs.policy.write?.allow, undefined);
  assert.deepEqual(fs.policy.write?.base, [], "no base without an allow list");
  assert.ok(fs.policy.read!.base.some((e) => e.source === "/etc"));
});

Deno.test("compileFs() resolves the symlinks of a pattern's static prefix, keeping the lexical form", () => {
  const dir = Deno.realPathSync(Deno.makeTempDirSync({ prefix: "jail_fs_compile_" }));
  try {
    Deno.mkdirSync(`${dir}/real`);
    Deno.symlinkSync(`${dir}/real`, `${dir}/link`);
    const fs = compileFs({ write: { allow: [`${dir}/link/*.log`] } })!;
    assert.deepEqual(patterns(fs.policy.write?.allow), [
      `${dir}/real/*.log`,
      `${dir}/link/*.log`,
    ]);
    assert.ok(fs.landlock?.rules.some((r) => r.path === `${dir}/real`));
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("compileFs() looks program names up in PATH for run.allow, matches any of that name for run.deny", () => {
  const fs = compileFs({ run: { allow: ["sh"], deny: ["curl"] } }, { path: "/usr/bin:/bin" })!;
  const sh = Deno.realPathSync("/usr/bin/sh");
  assert.deepEqual(patterns(fs.policy.run?.allow), [sh]);
  assert.ok(patterns(fs.policy.run?.deny)!.includes("/**/curl"));
  assert.throws(
    () => compileFs({ run: { allow: ["no-such-program-jail"] } }),
    (e: Error) =>
      e instanceof ConfigError &&
      e.message ===
        'run.allow[0]: "no-such-program-jail": not found in PATH: give the program\'s path',
  );
});

Deno.test("compileFs() reads * (the flag alone) as every path: no restriction left", () => {
  assert.equal(compileFs({ read: { allow: ["/data", "*"] } }), undefined);
  const fs = compileFs({ write: { allow: ["**"], deny: ["/etc"] } })!;
  assert.equal(fs.policy.write?.allow, undefined);
  assert.equal(fs.landlock, undefined);
});

Deno.test("compileFs() under -A drops allow lists and keeps deny lists", () => {
  assert.equal(compileFs({ read: { allow: ["/data"] } }, { allowAll: true }), undefined);
  const fs = compileFs({ read: { allow: ["/data"], deny: ["/data/x"] } }, { allowAll: true })!;
  assert.equal(fs.policy.read?.allow, undefined);
  assert.deepEqual(patterns(fs.policy.read?.deny), ["/data/x"]);
});

Deno.test("compileFs() resolves redirects and refuses a target in a missing directory", () => {
  const fs = compileFs({ redirect: { "/etc/hostname": "/tmp/x" } }, { cwd: "/" })!;
  assert.deepEqual(fs.policy.redirect, [{
    from: Deno.realPathSync("/etc/hostname"),
    to: "/tmp/x",
  }]);
  assert.throws(
    () => compileFs({ redirect: { "/etc/hosts": "./nope/hosts" } }, { cwd: "/nonexistent-cwd" }),
    (e: Error) =>
      e instanceof ConfigError &&
      /its directory \/nonexistent-cwd\/nope does not exist/.test(e.message),
  );
  assert.throws(
    () => compileFs({ read: { allow: ["~bob/x"] } }),
    (e: Error) => e instanceof ConfigError && /~user is not supported/.test(e.message),
  );
});
