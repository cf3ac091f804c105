/**
 * The one way jail's messages reach stderr, from either thread: every byte
 * goes out, however the write(2) underneath is cut short, and a reader that
 * went away costs the message, never the run.
 *
 * @module
 */

/** Something written to synchronously: `Deno.stderr`, an open file. */
export interface SyncWriter {
  /** Writes some of `p`; returns how many bytes. */
  writeSync(p: Uint8Array): number;
}

const encoder = new TextEncoder();
let pauseWord: Int32Array | undefined;

/** Blocks this thread for `ms` milliseconds (no event loop turn: callers are synchronous). */
function pause(ms: number): void {
  pauseWord ??= new Int32Array(new SharedArrayBuffer(4));
  Atomics.wait(pauseWord, 0, 0, ms);
}

/**
 * Writes all of `bytes`. A line goes out in one write(2), so another
 * process's writes to the same file land between lines, never inside one (a
 * line is far below PIPE_BUF, which a pipe writes whole); a short write
 * writes the rest after, a signal (EINTR) writes again, and a full
 * non-blocking descriptor (EAGAIN) waits a millisecond and writes again.
 *
 * @throws {Error} Any other failure, EPIPE included, as `writeSync` throws it.
 */
export function writeAll(w: SyncWriter, bytes: Uint8Array): void {
  for (let at = 0; at < bytes.length;) {
    try {
      at += w.writeSync(bytes.subarray(at));
    } catch (e) {
      if (e instanceof Deno.errors.Interrupted) continue;
      if (e instanceof Deno.errors.WouldBlock) {
        pause(1);
        continue;
      }
      throw e;
    }
  }
}

/**
 * Writes `text` to stderr, all of it (see {@linkcode writeAll}). When no one
 * reads stderr any more (EPIPE), the text is dropped: as for `console.error`,
 * a message that cannot be read must not end jail or its supervisor.
 *
 * @param text The message, with its own line end.
 * @param stderr Where it goes: stderr, or a stand-in in tests.
 */
export function writeStderr(text: string, stderr: SyncWriter = Deno.stderr): void {
  try {
    writeAll(stderr, encoder.encode(text));
  } catch (e) {
    if (!(e instanceof Deno.errors.BrokenPipe)) throw e;
  }
}
