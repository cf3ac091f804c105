/**
 * The one error type of a policy that cannot be used: a bad file, key, value
 * or flag, from validation, loading and compiling alike (the CLI exits 125
 * on it).
 *
 * @module
 */

/** A config problem: `where` names the file, `key` the path inside it. */
export class ConfigError extends Error {
  /**
   * Creates the error.
   *
   * @param message Full message: `<file>: <key>: <why>`.
   */
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}
