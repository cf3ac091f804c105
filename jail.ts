#!/usr/bin/env -S DENO_NO_UPDATE_CHECK=1 deno run -A
/**
 * The `jail` command line: `jail [options] -- cmd args...`.
 *
 * @module
 */

import { EXEC_STAGE_ENV } from "./src/exec_protocol.ts";

if (Deno.env.get(EXEC_STAGE_ENV) === "1" && Deno.build.standalone) {
  // A compiled binary re-run as its own exec stage.
  const { runExecStage } = await import("./src/exec_stage.ts");
  await runExecStage(); // Never settles: it becomes the command, or exits.
}

// Start the exec stage and the supervisor's thread first: their start-up then
// overlaps with parsing options and loading the policy.
const { prepareRun, discardRun } = await import("./src/run.ts");
const own = Deno.args.indexOf("--") < 0 ? Deno.args : Deno.args.slice(0, Deno.args.indexOf("--"));
const runs = !own.some((a) => /^(-h|--help|-V|--version|--explain)$/.test(a)) &&
  Deno.args.length > 0;
let prepared;
try {
  prepared = runs ? prepareRun() : undefined;
} catch {
  prepared = undefined; // main() reports the same failure when it tries again.
}
const { main } = await import("./src/cli.ts");
const code = await main(Deno.args, prepared);
if (prepared && !prepared.used) discardRun(prepared);
Deno.exit(code);
