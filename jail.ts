#!/usr/bin/env -S DENO_NO_UPDATE_CHECK=1 deno run -A
/**
 * The `jail` command line: `jail [options] -- cmd args...`.
 *
 * @module
 */

import { EXEC_STAGE_ENV } from "./src/exec_stage.ts";

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
// Deno cannot listen to real-time signals, so jail cannot forward them: ignored, none of them
// ends jail (and with it the tree, unwarned). The command gets their default action back at exec.
const { ignoreSignals, SIGRTMIN_USABLE, SIGRTMAX } = await import("./ffi/ignore_signals.ts");
ignoreSignals(
  Array.from({ length: SIGRTMAX - SIGRTMIN_USABLE + 1 }, (_, i) => SIGRTMIN_USABLE + i),
);
const { main } = await import("./src/cli.ts");
const code = await main(Deno.args, prepared);
if (prepared && !prepared.used) discardRun(prepared);
Deno.exit(code);
