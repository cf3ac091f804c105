#!/usr/bin/env -S deno run -A
/**
 * The `jail` command line: `jail [options] -- cmd args...`.
 *
 * @module
 */

import { EXEC_STAGE_ENV } from "./src/exec_stage.ts";

if (Deno.env.get(EXEC_STAGE_ENV) === "1" && Deno.build.standalone) {
  // A compiled binary re-run as its own exec stage.
  const { runExecStage } = await import("./src/exec_stage.ts");
  runExecStage();
}

const { main } = await import("./src/cli.ts");
Deno.exit(await main(Deno.args));
