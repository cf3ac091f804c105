/**
 * `--summary`: at the end of a run, the process tree with each process's
 * program and exit status, and the calls that were denied or rewritten,
 * grouped by rule and destination. As text for stderr, and as markdown for
 * `$GITHUB_STEP_SUMMARY`.
 *
 * @module
 */

import type { SupervisorEvent } from "../events.ts";
import { decisionOf, type ReportDecision } from "./classify.ts";
import { basename, printable, shellQuote, signalName, truncate } from "./_text.ts";

/** One process of the tree. */
export interface ProcNode {
  pid: number;
  ppid: number;
  /** Its program (inherited from the parent until it execs). */
  exe?: string;
  /** Arguments of its last exec. */
  argv?: readonly string[];
  /** True once it exec'd a program of its own. */
  execed: boolean;
  /** How it ended; absent if jail never saw it end. */
  status?: { code?: number; signal?: number };
  children: ProcNode[];
}

/** Denied or rewritten calls with the same rule, decision, call and destination. */
export interface CallRow {
  rule: string;
  decision: ReportDecision;
  call: string;
  /** A network destination, or `-`. */
  destination: string;
  count: number;
  /** Program names that made these calls. */
  programs: string[];
}

/** What a summary shows. */
export interface SummaryData {
  /** Processes with no parent in the tree (normally only the root). */
  roots: ProcNode[];
  /** Denied and rewritten calls, sorted by rule, decision, call, destination. */
  rows: CallRow[];
  /** Processes seen. */
  processes: number;
  /** Supervised calls seen. */
  calls: number;
  /** Milliseconds from the first event to the last. */
  elapsed: number;
}

/** Collects events into a {@linkcode SummaryData}. */
export class SummaryCollector {
  readonly #nodes: ProcNode[] = [];
  /** Live processes by pid (a pid may be reused after its process ended). */
  readonly #live = new Map<number, ProcNode>();
  readonly #rows = new Map<string, CallRow & { names: Set<string> }>();
  readonly #command?: readonly string[];
  #calls = 0;
  #first?: number;
  #last = 0;

  /** @param command The jailed command: names the root until (or if it never) execs. */
  constructor(command?: readonly string[]) {
    this.#command = command;
  }

  /** Adds one event. */
  add(e: SupervisorEvent): void {
    this.#first ??= e.time;
    this.#last = Math.max(this.#last, e.time);
    switch (e.kind) {
      case "spawn": {
        const parent = this.#live.get(e.ppid);
        const root = !parent && this.#nodes.length === 0;
        const node: ProcNode = {
          pid: e.pid,
          ppid: e.ppid,
          exe: parent?.exe ?? e.exe ?? (root ? this.#command?.[0] : undefined),
          argv: parent?.argv,
          execed: false,
          children: [],
        };
        this.#nodes.push(node);
        this.#live.set(e.pid, node);
        parent?.children.push(node);
        return;
      }
      case "exec": {
        const node = this.#node(e.pid, e.ppid);
        node.exe = e.exe;
        node.argv = e.argv;
        node.execed = true;
        return;
      }
      case "exit": {
        const node = this.#node(e.pid, e.ppid);
        node.status = { code: e.code, signal: e.signal };
        this.#live.delete(e.pid);
        return;
      }
      case "syscall": {
        this.#calls++;
        const decision = decisionOf(e);
        if (decision === "allow") return;
        const name = e.exe ? basename(e.exe) : "?";
        let dests = e.addr?.length ? e.addr.map((a) => a.address) : ["-"];
        if (e.dns) dests = dests.map((d) => `${d === "-" ? "" : `${d} `}DNS ${e.dns}`);
        for (const destination of dests) {
          const rule = e.rule ?? "-";
          const key = JSON.stringify([rule, decision, e.name, destination]);
          let row = this.#rows.get(key);
          if (!row) {
            row = {
              rule,
              decision,
              call: e.name,
              destination,
              count: 0,
              programs: [],
              names: new Set(),
            };
            this.#rows.set(key, row);
          }
          row.count++;
          row.names.add(name);
        }
        return;
      }
    }
  }

  /** A process's node; one the spawn of which was never seen gets a node of its own. */
  #node(pid: number, ppid: number): ProcNode {
    let node = this.#live.get(pid);
    if (!node) {
      node = { pid, ppid, execed: false, children: [] };
      this.#nodes.push(node);
      this.#live.set(pid, node);
      this.#live.get(ppid)?.children.push(node);
    }
    return node;
  }

  /** The summary so far. */
  get data(): SummaryData {
    const inTree = new Set(this.#nodes.flatMap((n) => n.children));
    const rows = [...this.#rows.values()].map(({ names, ...row }) => ({
      ...row,
      programs: [...names].sort(),
    }));
    rows.sort((a, b) =>
      a.rule.localeCompare(b.rule) || a.decision.localeCompare(b.decision) ||
      a.call.localeCompare(b.call) || a.destination.localeCompare(b.destination)
    );
    return {
      roots: this.#nodes.filter((n) => !inTree.has(n)),
      rows,
      processes: this.#nodes.length,
      calls: this.#calls,
      elapsed: this.#first === undefined ? 0 : this.#last - this.#first,
    };
  }
}

/** Lines of the tree at most; the rest is counted. */
export const MAX_TREE_LINES = 100;
/** Rows of the table at most; the rest is counted. */
export const MAX_ROWS = 50;
/** Identical leaf siblings from this many on are shown as one `N× ...` line. */
const COLLAPSE_FROM = 3;

function statusText(s: ProcNode["status"]): string {
  if (!s) return "still running";
  if (s.signal !== undefined) return `killed by ${signalName(s.signal)}`;
  return `exit ${s.code}`;
}

/** `name args...`, printable, cut to 60 characters. */
function program(n: ProcNode): string {
  const name = n.exe ? basename(n.exe) : "?";
  const args = n.execed && n.argv ? n.argv.slice(1).map(shellQuote).join(" ") : "";
  return truncate(printable(args ? `${name} ${args}` : name), 60);
}

function label(n: ProcNode): string {
  return `${n.pid} ${program(n)}  ${statusText(n.status)}`;
}

/** The process tree as pstree-like lines (`├─`, `└─`), identical leaves collapsed. */
export function treeLines(roots: readonly ProcNode[], max = MAX_TREE_LINES): string[] {
  const lines: string[] = [];
  let hidden = 0;
  const add = (line: string, count = 1) => {
    if (lines.length < max) lines.push(line);
    else hidden += count;
  };
  const walk = (nodes: readonly ProcNode[], prefix: string, top: boolean) => {
    // Leaves with the same program and status, three or more: one line.
    const groups = new Map<string, ProcNode[]>();
    const items: (ProcNode | ProcNode[])[] = [];
    for (const n of nodes) {
      if (n.children.length > 0) {
        items.push(n);
        continue;
      }
      const key = `${program(n)}\0${statusText(n.status)}`;
      let g = groups.get(key);
      if (!g) {
        g = [];
        groups.set(key, g);
        items.push(g);
      }
      g.push(n);
    }
    const flat = items.flatMap((it) => Array.isArray(it) && it.length < COLLAPSE_FROM ? it : [it]);
    flat.forEach((it, i) => {
      const last = i === flat.length - 1;
      const branch = top ? "" : last ? "└─ " : "├─ ";
      if (Array.isArray(it)) {
        add(
          `${prefix}${branch}${it.length}× ${program(it[0])}  ${statusText(it[0].status)}`,
          it.length,
        );
        return;
      }
      add(`${prefix}${branch}${label(it)}`);
      walk(it.children, top ? prefix : `${prefix}${last ? "   " : "│  "}`, false);
    });
  };
  walk(roots, "", true);
  if (hidden > 0) lines.push(`... ${hidden} more ${hidden === 1 ? "process" : "processes"}`);
  return lines;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

function counts(data: SummaryData): { denied: number; rewritten: number } {
  let denied = 0, rewritten = 0;
  for (const r of data.rows) {
    if (r.decision === "deny" || r.decision === "kill") denied += r.count;
    else rewritten += r.count;
  }
  return { denied, rewritten };
}

/** How the run ended, for the headline. */
export interface SummaryOutcome {
  /** jail's exit status. */
  exitCode: number;
}

function headline(data: SummaryData, outcome: SummaryOutcome): string {
  const { denied, rewritten } = counts(data);
  const processes = plural(data.processes, "process", "processes");
  const seconds = (data.elapsed / 1000).toFixed(2);
  return `exit status ${outcome.exitCode}; ${processes} in ${seconds} s; ${denied} denied, ${rewritten} rewritten`;
}

function tableRows(data: SummaryData): string[][] {
  return data.rows.slice(0, MAX_ROWS).map((r) => [
    r.rule,
    r.decision,
    r.call,
    printable(r.destination),
    String(r.count),
    printable(r.programs.slice(0, 3).join(", ") + (r.programs.length > 3 ? ", ..." : "")),
  ]);
}

const HEADER = ["rule", "decision", "call", "destination", "count", "by"];

/**
 * The summary as text for stderr.
 *
 * @param data What was collected.
 * @param outcome How the run ended.
 * @returns Lines ending in a newline.
 */
export function renderSummary(data: SummaryData, outcome: SummaryOutcome): string {
  const out = [`jail: summary: ${headline(data, outcome)}`];
  out.push(...treeLines(data.roots).map((l) => `  ${l}`));
  if (data.rows.length === 0) {
    out.push("jail: no calls were denied or rewritten");
  } else {
    out.push("jail: denied and rewritten calls:");
    const rows = [HEADER, ...tableRows(data)];
    const widths = HEADER.map((_, c) => Math.max(...rows.map((r) => r[c].length)));
    for (const r of rows) {
      out.push(
        `  ${
          r.map((cell, c) => c === 4 ? cell.padStart(widths[c]) : cell.padEnd(widths[c])).join("  ")
            .trimEnd()
        }`,
      );
    }
    if (data.rows.length > MAX_ROWS) out.push(`  ... ${data.rows.length - MAX_ROWS} more rows`);
  }
  return out.join("\n") + "\n";
}

function cell(s: string): string {
  return s.replaceAll("\\", "\\\\").replaceAll("|", "\\|").replaceAll("`", "\\`");
}

/**
 * The summary as GitHub-flavoured markdown (for `$GITHUB_STEP_SUMMARY`).
 *
 * @param data What was collected.
 * @param outcome How the run ended.
 * @param command The command, for the heading.
 * @returns Markdown ending in a newline.
 */
export function renderSummaryMarkdown(
  data: SummaryData,
  outcome: SummaryOutcome,
  command: readonly string[],
): string {
  const cmd = printable(truncate(command.map(shellQuote).join(" "), 80)).replaceAll("`", "'");
  const out = [
    `### jail: \`${cmd}\``,
    "",
    `${headline(data, outcome)}.`,
    "",
    "```text",
    ...treeLines(data.roots).map((l) => l.replaceAll("```", "'''")),
    "```",
    "",
  ];
  if (data.rows.length === 0) {
    out.push("No calls were denied or rewritten.", "");
  } else {
    out.push(
      `| ${HEADER.join(" | ")} |`,
      "| --- | --- | --- | --- | ---: | --- |",
      ...tableRows(data).map((r) => `| ${r.map(cell).join(" | ")} |`),
    );
    if (data.rows.length > MAX_ROWS) out.push("", `${data.rows.length - MAX_ROWS} more rows.`);
    out.push("");
  }
  return out.join("\n") + "\n";
}
