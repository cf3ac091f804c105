/**
 * Progress during a run, only where it helps: on a terminal, `--learn` says
 * each new destination and program as the run reaches it, so a long build
 * or test suite shows what it is teaching while it runs. Nothing is printed
 * when stderr is not a terminal (CI logs, pipes), and nothing on a timer:
 * the command shares the terminal, and a redrawn status line would be torn
 * by its output.
 *
 * @module
 */

import type { LearnedItem } from "./learn.ts";
import { printable } from "./_text.ts";
import { writeStderr } from "../stderr.ts";

/** One line for something learned for the first time. */
export function learnedLine(item: LearnedItem): string {
  return item.kind === "net"
    ? `jail: learn: + net ${printable(item.address)} (${item.call} by ${printable(item.program)})`
    : `jail: learn: + run ${printable(item.path)}`;
}

/** Options for {@linkcode Progress}. */
export interface ProgressOptions {
  /** True when stderr is a terminal; otherwise nothing is written. */
  interactive: boolean;
  /** Where lines go (default: stderr). */
  write?: (text: string) => void;
}

/** Writes progress lines when, and only when, someone is watching. */
export class Progress {
  readonly #interactive: boolean;
  readonly #write: (text: string) => void;

  /** @param options Whether stderr is a terminal, and where lines go. */
  constructor(options: ProgressOptions) {
    this.#interactive = options.interactive;
    this.#write = options.write ?? ((text) => writeStderr(text));
  }

  /** Reports something learned for the first time. */
  learned(item: LearnedItem): void {
    if (this.#interactive) this.#write(`${learnedLine(item)}\n`);
  }
}
