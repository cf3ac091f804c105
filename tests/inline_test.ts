/**
 * The supervisor's loop on the CLI's own thread (src/run/inline.ts): the
 * alarm that ends its sleeps must interrupt nothing else it does.
 */

import assert from "node:assert/strict";
import { buildC, PYTHON, spawnJail, until } from "./_helpers.ts";

Deno.test("inline: a send jail performs for the tree waits for a reader outside the jail as long as natively, with no EINTR", async () => {
  const bin = await buildC("blocking_send");
  const dir = await Deno.makeTempDir({ prefix: "jail-inline-" });
  const path = `${dir}/rx.sock`;
  // The reader, outside the jail: binds, then drains once told the queue is full, after holding
  // it full for 300 ms (a dozen of the loop's 25 ms sleeps).
  const reader = new Deno.Command(PYTHON, {
    args: [
      "-c",
      `import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("bound", flush=True)
sys.stdin.readline()
time.sleep(0.3)
s.setblocking(False)
n = 0
try:
    while True:
        s.recv(64); n += 1
except BlockingIOError:
    pass
print("drained", n, flush=True)
s.setblocking(True)
s.settimeout(None)
# Until the test closes stdin: the jailed send's datagram lands here meanwhile.
sys.stdin.read()
`,
      path,
    ],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const readerOut = reader.stdout.getReader();
  const writer = reader.stdin.getWriter();
  try {
    const first = new TextDecoder().decode((await readerOut.read()).value);
    assert.match(first, /^bound/);
    const live = spawnJail(["--", bin, path]);
    try {
      await until("full", () => /^full$/m.test(live.stdout()));
      await writer.write(new TextEncoder().encode("go\n"));
      const run = await live.done;
      assert.equal(run.code, 0, run.stderr);
      const sent = run.stdout.match(/^sent 64 after (\d+)$/m);
      assert.ok(sent, `the send failed: ${run.stdout}`);
      assert.ok(Number(sent[1]) >= 250, `it did not wait for the reader: ${run.stdout}`);
    } finally {
      await live.stop();
    }
  } finally {
    await writer.close().catch(() => {});
    readerOut.releaseLock();
    await reader.stdout.cancel().catch(() => {});
    await reader.status;
    await Deno.remove(dir, { recursive: true });
  }
});
