#!/usr/bin/env -S DENO_NO_UPDATE_CHECK=1 deno run -A
/**
 * The `jail` command line: `jail [options] -- cmd args...`.
 *
 * Runs `dist/jail.js`, the bundle of `src/cli/entry.ts` and everything it
 * imports (`deno task bundle`; `deno task check` fails when it is not the
 * bundle of the sources): one module for Deno to load instead of about 130.
 *
 * @module
 */

import "./dist/jail.js";
