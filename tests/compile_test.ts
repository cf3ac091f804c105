/**
 * The single binary: `deno compile` needs Deno's compile runtime (denort),
 * which comes from DENORT_BIN or a download. Where neither is available the
 * test says so and skips; where it is, the binary must run a jailed command,
 * exec stage included.
 */

import assert from "node:assert/strict";
import { ROOT_DIR } from "./_helpers.ts";

Deno.test("deno compile builds one binary whose exec stage works", async () => {
  const dir = await Deno.makeTempDir();
  const out = `${dir}/jail`;
  try {
    const compile = await new Deno.Command(Deno.execPath(), {
      args: [
        "compile",
        "-A",
        "--no-check",
        "--include",
        `${ROOT_DIR}/src/exec_stage.ts`,
        "--include",
        `${ROOT_DIR}/src/supervisor_worker.ts`,
        "-o",
        out,
        `${ROOT_DIR}/jail.ts`,
      ],
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    const err = new TextDecoder().decode(compile.stderr);
    if (!compile.success) {
      if (
        /Download|denort|dl\.deno\.land|error sending request/i.test(err) &&
        !Deno.env.get("DENORT_BIN")
      ) {
        console.log(
          "SKIPPED: Deno's compile runtime (denort) cannot be downloaded here and DENORT_BIN is not set",
        );
        return;
      }
      assert.fail(`deno compile failed:\n${err}`);
    }
    const run = await new Deno.Command(out, {
      args: ["--", "sh", "-c", "echo compiled; exit 5"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(new TextDecoder().decode(run.stdout), "compiled\n");
    assert.equal(run.code, 5);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
