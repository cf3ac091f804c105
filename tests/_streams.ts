/**
 * Reading helpers' output in tests: line by line, with a time limit on each wait.
 *
 * @module
 */

/** Rejects when `p` takes longer than `ms`. */
export function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: over ${ms} ms`)), ms);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

/** Reads a child's stdout line by line. */
export class LineReader {
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #buf = "";
  #dec = new TextDecoder();

  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.getReader();
  }

  /** The next line without its newline; an unterminated last line; undefined at the end. */
  async next(): Promise<string | undefined> {
    for (;;) {
      const nl = this.#buf.indexOf("\n");
      if (nl >= 0) {
        const line = this.#buf.slice(0, nl);
        this.#buf = this.#buf.slice(nl + 1);
        return line;
      }
      const { value, done } = await this.#reader.read();
      if (done) return this.#buf ? this.#take() : undefined;
      this.#buf += this.#dec.decode(value, { stream: true });
    }
  }

  #take(): string {
    const s = this.#buf;
    this.#buf = "";
    return s;
  }

  /** Stops reading (the child's stdout is released). */
  cancel(): Promise<void> {
    return this.#reader.cancel().catch(() => {});
  }
}
