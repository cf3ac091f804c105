import assert from "node:assert/strict";
import { type SyncWriter, writeAll, writeStderr } from "./stderr.ts";

/** A writer that takes at most `most` bytes a call and throws the errors queued before each. */
function fakeWriter(most: number, failures: (Error | undefined)[] = []) {
  const chunks: Uint8Array[] = [];
  const writer: SyncWriter = {
    writeSync(p) {
      const e = failures.shift();
      if (e) throw e;
      const n = Math.min(most, p.length);
      chunks.push(p.slice(0, n));
      return n;
    },
  };
  const text = () => chunks.map((c) => new TextDecoder().decode(c)).join("");
  return { writer, chunks, text };
}

Deno.test("writeAll: a short write writes the rest", () => {
  const f = fakeWriter(3);
  writeAll(f.writer, new TextEncoder().encode("jail: a message\n"));
  assert.equal(f.text(), "jail: a message\n");
  assert.equal(f.chunks.length, 6);
});

Deno.test("writeAll: EINTR and EAGAIN write again", () => {
  const f = fakeWriter(100, [
    new Deno.errors.Interrupted("EINTR"),
    new Deno.errors.WouldBlock("EAGAIN"),
  ]);
  writeAll(f.writer, new TextEncoder().encode("one line\n"));
  assert.equal(f.text(), "one line\n");
});

Deno.test("writeAll: EPIPE and other errors are thrown", () => {
  const pipe = fakeWriter(100, [new Deno.errors.BrokenPipe("EPIPE")]);
  assert.throws(() => writeAll(pipe.writer, new Uint8Array(1)), Deno.errors.BrokenPipe);
  const full = fakeWriter(100, [new Error("ENOSPC")]);
  assert.throws(() => writeAll(full.writer, new Uint8Array(1)), /ENOSPC/);
});

Deno.test("writeStderr: the whole text, in one write when it fits", () => {
  const f = fakeWriter(1 << 16);
  writeStderr("jail: x\n", f.writer);
  assert.equal(f.chunks.length, 1);
  assert.equal(f.text(), "jail: x\n");
});

Deno.test("writeStderr: a reader gone (EPIPE) drops the message without throwing", () => {
  const f = fakeWriter(2, [undefined, new Deno.errors.BrokenPipe("EPIPE")]);
  writeStderr("jail: lost\n", f.writer);
  assert.equal(f.text(), "ja");
  const other = fakeWriter(2, [new Deno.errors.BadResource("EBADF")]);
  assert.throws(() => writeStderr("x\n", other.writer), Deno.errors.BadResource);
});
