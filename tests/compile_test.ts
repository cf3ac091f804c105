/**
 * The single binary: `deno compile` needs Deno's compile runtime (denort),
 * which comes from DENORT_BIN or Deno's download cache. Where neither has it
 * the test is ignored (the runner counts it as such) and says why, rather
 * than downloading it or passing without having run; where it is, the binary
 * must run a jailed command.
 */

import assert from "node:assert/strict";
import { ROOT_DIR } from "./_helpers.ts";

/** Why the compile runtime is not at hand, or undefined when it is. */
async function denortMissing(): Promise<string | undefined> {
  const bin = Deno.env.get("DENORT_BIN");
  if (bin) {
    try {
      return Deno.statSync(bin).isFile ? undefined : `DENORT_BIN=${bin} is not a file`;
    } catch {
      return `DENORT_BIN=${bin} does not exist`;
    }
  }
  const info = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdout: "piped",
    stderr: "null",
  }).output();
  const denoDir = info.success
    ? JSON.parse(new TextDecoder().decode(info.stdout)).denoDir as string
    : undefined;
  // Where `deno compile` keeps the runtime it downloaded (deno_dir/dl/release/v<version>/).
  const zip = `${denoDir}/dl/release/v${Deno.version.deno}/denort-${Deno.build.target}.zip`;
  try {
    Deno.statSync(zip);
    return undefined;
  } catch {
    return `Deno's compile runtime is not cached (${zip}) and DENORT_BIN is not set`;
  }
}

const missing = await denortMissing();
if (missing) console.log(`compile_test: IGNORED: ${missing}`);

Deno.test({
  name: "deno compile builds one binary that runs a jailed command",
  ignore: missing !== undefined,
}, async () => {
  const dir = await Deno.makeTempDir();
  const out = `${dir}/jail`;
  try {
    const compile = await new Deno.Command(Deno.execPath(), {
      args: [
        "compile",
        "-A",
        "--no-check",
        "--include",
        `${ROOT_DIR}/dist/worker.js`,
        "-o",
        out,
        `${ROOT_DIR}/jail.ts`,
      ],
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    const err = new TextDecoder().decode(compile.stderr);
    // The runtime is at hand (checked above): any failure now is the project's.
    if (!compile.success) assert.fail(`deno compile failed:\n${err}`);
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
