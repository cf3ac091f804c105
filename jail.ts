#!/usr/bin/env -S DENO_NO_UPDATE_CHECK=1 deno run -A
/**
 * The `jail` command line: `jail [options] -- cmd args...`.
 *
 * @module
 */

import "./src/cli/entry.ts";
