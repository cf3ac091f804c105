/**
 * `--learn <file>`: from a run with everything allowed, a config that allows
 * exactly what the run did: the network destinations it reached (loopback
 * and unix sockets are allowed by default, so they are left out) and the
 * programs it exec'd (`run.allow`).
 *
 * @module
 */

import type { SupervisorEvent } from "../events.ts";
import { decisionOf } from "./classify.ts";
import { basename, printable, shellQuote } from "./_text.ts";

/** One network destination seen. */
export interface LearnedDestination {
  /** Calls that reached it, with counts: `connect` → 2. */
  calls: Map<string, number>;
  /** Program names that reached it. */
  programs: Set<string>;
}

/** One program seen. */
export interface LearnedProgram {
  /** Times it was exec'd (or, for an interpreter, ran a script). */
  execs: number;
  /** The scripts it ran, when it is an interpreter the kernel started for `#!`. */
  scripts: Set<string>;
}

/** Something seen for the first time. */
export type LearnedItem =
  | { kind: "net"; address: string; call: string; program: string }
  | { kind: "run"; path: string };

/** What a run did, as a config allows it. */
export interface Learned {
  /** Destinations by `--allow-net` entry (`10.1.2.3:443`, `[2001:db8::1]:443`). */
  net: Map<string, LearnedDestination>;
  /** Programs by path. */
  run: Map<string, LearnedProgram>;
}

/** Collects what a run did. */
export class Learner {
  readonly learned: Learned = { net: new Map(), run: new Map() };

  /** Counts a program; true when it is new. */
  #program(path: string, script?: string): boolean {
    const seen = this.learned.run.get(path);
    const p = seen ?? { execs: 0, scripts: new Set<string>() };
    p.execs++;
    if (script) p.scripts.add(script);
    this.learned.run.set(path, p);
    return !seen;
  }

  /**
   * Adds one event.
   *
   * @returns What it taught for the first time, if anything.
   */
  add(e: SupervisorEvent): LearnedItem | undefined {
    if (e.kind === "exec") {
      const first = this.#program(e.exe);
      // The kernel executes a script's interpreter too; a run policy must allow both.
      if (e.interpreter) this.#program(e.interpreter, e.exe);
      return first ? { kind: "run", path: e.exe } : undefined;
    }
    if (e.kind !== "syscall" || !e.addr || decisionOf(e) === "deny") return undefined;
    let first: LearnedItem | undefined;
    const program = e.exe ? basename(e.exe) : "?";
    for (const a of e.addr) {
      // Loopback and unix sockets are allowed by default; 0.0.0.0 binds follow net.bind.
      if (a.scope !== "remote") continue;
      let d = this.learned.net.get(a.address);
      if (!d) {
        d = { calls: new Map(), programs: new Set() };
        this.learned.net.set(a.address, d);
        first ??= { kind: "net", address: a.address, call: e.name, program };
      }
      d.calls.set(e.name, (d.calls.get(e.name) ?? 0) + 1);
      d.programs.add(program);
    }
    return first;
  }
}

/** The form of a learned config, from its file name: `ts` (`.ts`, `.mts`, `.js`, `.mjs`) or `json`. */
export function learnFormat(path: string): "ts" | "json" | undefined {
  if (/\.json$/.test(path)) return "json";
  if (/\.(ts|mts|js|mjs)$/.test(path)) return "ts";
  return undefined;
}

/** Context for the comments of a learned `.ts` config. */
export interface LearnContext {
  /** The command that was run. */
  command: readonly string[];
  /** When (for the header comment). */
  time: Date;
}

/** Text for a `//` comment: control characters (a newline would end it) escaped. */
function comment(s: string): string {
  return printable(s);
}

function times(n: number): string {
  return n === 1 ? "once" : `${n} times`;
}

function netComment(d: LearnedDestination): string {
  const calls = [...d.calls].map(([call, n]) => `${call} ${times(n)}`).join(", ");
  return `${calls} by ${[...d.programs].sort().join(", ")}`;
}

function programComment(path: string, p: LearnedProgram): string {
  if (p.scripts.size === 0) return `${basename(path)}, exec'd ${times(p.execs)}`;
  const scripts = [...p.scripts].sort().map(basename);
  const shown = scripts.length > 3 ? [...scripts.slice(0, 3), "..."] : scripts;
  return `interpreter of ${shown.join(", ")}, ran ${times(p.execs)}`;
}

function sortedKeys<T>(m: Map<string, T>): string[] {
  return [...m.keys()].sort();
}

/**
 * The config text that allows what was learned.
 *
 * @param learned What the run did.
 * @param format `ts`: an annotated `export default { ... }`; `json`: plain JSON.
 * @param context Command and time, for the `.ts` header comment.
 * @returns The file's text.
 */
export function renderLearnedConfig(
  learned: Learned,
  format: "ts" | "json",
  context: LearnContext,
): string {
  const net = sortedKeys(learned.net);
  const run = sortedKeys(learned.run);
  if (format === "json") {
    return `${JSON.stringify({ net: { allow: net }, run: { allow: run } }, null, 2)}\n`;
  }
  const list = (items: string[], note: (item: string) => string) =>
    items.length === 0
      ? "[]"
      : `[\n${
        items.map((i) => `      ${JSON.stringify(i)}, // ${comment(note(i))}\n`).join("")
      }    ]`;
  const command = comment(context.command.map(shellQuote).join(" "));
  return [
    `// Learned by \`jail --learn\` on ${context.time.toISOString()} from a run of:`,
    `//   ${command.length > 200 ? `${command.slice(0, 197)}...` : command}`,
    "// It allows what that run did: the network destinations it reached (loopback",
    "// and unix sockets are allowed anyway) and the programs it ran. Review it:",
    "// everything the run did is in here, and nothing else is allowed.",
    "export default {",
    "  net: {",
    `    allow: ${list(net, (a) => netComment(learned.net.get(a)!))},`,
    "  },",
    "  // The programs it ran.",
    "  run: {",
    `    allow: ${list(run, (p) => programComment(p, learned.run.get(p)!))},`,
    "  },",
    "};",
    "",
  ].join("\n");
}
