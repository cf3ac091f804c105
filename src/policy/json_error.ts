/**
 * Where a JSON text first goes wrong, for config messages that name a line
 * and a column (V8's `JSON.parse` messages do not always give a position).
 *
 * @module
 */

/** The first syntax error of a JSON text. */
export interface JsonSyntaxError {
  /** Offset of the offending character (the text's length at an early end). */
  offset: number;
  /** 1-based line. */
  line: number;
  /** 1-based column. */
  column: number;
  /** What was expected there and what was found, e.g. `expected a value, found "]"`. */
  message: string;
}

class Stop {
  constructor(readonly offset: number, readonly expected: string) {}
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const WS = /[ \t\n\r]*/y;

/**
 * Finds the first syntax error of `text` as JSON (RFC 8259).
 *
 * @example Trailing comma
 * ```ts
 * locateJsonError('{"a": [1,]}')?.message; // 'expected a value, found "]" (JSON allows no trailing comma)'
 * ```
 *
 * @param text The JSON text.
 * @returns The error, or undefined when the text is valid JSON.
 */
export function locateJsonError(text: string): JsonSyntaxError | undefined {
  let i = 0;
  const fail = (expected: string): never => {
    throw new Stop(i, expected);
  };
  const ws = () => {
    WS.lastIndex = i;
    WS.exec(text);
    i = WS.lastIndex;
  };
  const string = () => {
    i++; // The opening quote.
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return;
      }
      if (c < 0x20) fail(`a closing '"' before the end of the line`);
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
            i += 2;
            fail("four hex digits after \\u");
          }
          i += 6;
          continue;
        }
        if (e === undefined || !'"\\/bfnrt'.includes(e)) {
          i++;
          fail('an escape such as \\n, \\" or \\\\');
        }
        i += 2;
        continue;
      }
      i++;
    }
    fail(`a closing '"'`);
  };
  /** An object's or array's items up to `close`, comma-separated; its opening bracket is at `i`. */
  const items = (close: "}" | "]", item: () => void): void => {
    i++;
    ws();
    if (text[i] === close) {
      i++;
      return;
    }
    while (true) {
      item();
      ws();
      if (text[i] === ",") {
        i++;
        continue;
      }
      if (text[i] === close) {
        i++;
        return;
      }
      fail(`',' or '${close}'`);
    }
  };
  const member = (): void => {
    ws();
    if (text[i] !== '"') fail("a property name in double quotes");
    string();
    ws();
    if (text[i] !== ":") fail("':' after the property name");
    i++;
    value();
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === "{") return items("}", member);
    if (c === "[") return items("]", value);
    if (c === '"') return string();
    for (const word of ["true", "false", "null"]) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return;
      }
    }
    NUMBER.lastIndex = i;
    if ((c === "-" || (c >= "0" && c <= "9")) && NUMBER.exec(text)) {
      i = NUMBER.lastIndex;
      return;
    }
    fail("a value");
  };
  try {
    value();
    ws();
    if (i < text.length) fail("the end of the text");
    return undefined;
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
    const before = text.slice(0, e.offset);
    const line = before.split("\n").length;
    const column = e.offset - before.lastIndexOf("\n");
    const found = e.offset >= text.length ? "the end of the text" : JSON.stringify(text[e.offset]);
    const trailing = /,\s*$/.test(before) && /^\s*[\]}]/.test(text.slice(e.offset))
      ? " (JSON allows no trailing comma)"
      : "";
    return {
      offset: e.offset,
      line,
      column,
      message: `expected ${e.expected}, found ${found}${trailing}`,
    };
  }
}
