#!/usr/bin/env -S DENO_NO_UPDATE_CHECK=1 deno run -A
/**
 * The `jail` command line: `jail [options] -- cmd args...`.
 *
 * @module
 */

import { type PreparedRun, prepareRun } from "./src/run/worker_start.ts";

import { mark } from "./src/timing.ts";
mark("jail.ts first line");
// Start the supervisor's thread first, before loading anything else: its module
// loading then overlaps with this thread's, parsing options and loading the policy.
const own = Deno.args.indexOf("--") < 0 ? Deno.args : Deno.args.slice(0, Deno.args.indexOf("--"));
const runs = !own.some((a) => /^(-h|--help|-V|--version|--explain)$/.test(a)) &&
  Deno.args.length > 0;
const prepared: PreparedRun | undefined = runs ? prepareRun() : undefined;
mark("new Worker returned");
const { main } = await import("./src/cli/main.ts");
mark("cli loaded");
const code = await main(Deno.args, prepared);
if (prepared && !prepared.used) prepared.worker.terminate();
mark("exit");
Deno.exit(code);
