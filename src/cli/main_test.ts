import assert from "node:assert/strict";
import { main } from "./main.ts";

Deno.test("main: a usage error is one line `jail: <message>` on stderr and exit 125", async () => {
  const written: Uint8Array[] = [];
  const writeSync = Deno.stderr.writeSync;
  Deno.stderr.writeSync = (bytes: Uint8Array) => {
    written.push(bytes.slice());
    return bytes.length;
  };
  let code: number;
  try {
    code = await main(["--allow-net", "localhost"]);
  } finally {
    Deno.stderr.writeSync = writeSync;
  }
  assert.equal(code, 125);
  assert.equal(
    written.map((b) => new TextDecoder().decode(b)).join(""),
    `jail: --allow-net takes its value with '=': --allow-net=localhost (or --allow-net -- ` +
      `localhost to run localhost with --allow-net alone)\n`,
  );
});
