/**
 * The `jail` command line's first module: `jail.ts` runs it (through its
 * bundle, `dist/jail.js`, made by `deno task bundle`).
 *
 * @module
 */

import { mark } from "../timing.ts";
import { main } from "./main.ts";

mark("cli loaded");
const code = await main(Deno.args);
mark("exit");
Deno.exit(code);
