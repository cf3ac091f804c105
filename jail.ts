#!/usr/bin/env -S DENO_NO_UPDATE_CHECK=1 deno run -A
/**
 * The `jail` command line: `jail [options] -- cmd args...`.
 *
 * @module
 */

// Start the supervisor's thread first: its start-up then overlaps with parsing
// options and loading the policy.
const { prepareRun, discardRun } = await import("./src/run.ts");
const own = Deno.args.indexOf("--") < 0 ? Deno.args : Deno.args.slice(0, Deno.args.indexOf("--"));
const runs = !own.some((a) => /^(-h|--help|-V|--version|--explain)$/.test(a)) &&
  Deno.args.length > 0;
const prepared = runs ? prepareRun() : undefined;
const { main } = await import("./src/cli.ts");
const code = await main(Deno.args, prepared);
if (prepared && !prepared.used) discardRun(prepared);
Deno.exit(code);
