/**
 * Function rules (`syscalls: { name: (call) => ... }`), answered on the
 * caller's thread, where the policy's functions live: the supervisor's
 * thread waits on the hook channel while a rule runs, and this module turns
 * what the rule returned into a decision and hands it back.
 *
 * @module
 */

import type { CompiledPolicy } from "../policy/compile.ts";
import { type Decision, type RegisterValue, registerValue } from "../decision.ts";
import { encodeDecision } from "../decision_wire.ts";
import { ERRNO_NUMBERS } from "../../kernel/errno.ts";
import type { HookDecision, SyscallCall } from "../policy/types.ts";
import type { HookCall } from "./worker_protocol.ts";
import { HOOK_LENGTH, HOOK_STATE } from "./hook_channel.ts";
import { writeStderr } from "../stderr.ts";

const HOOK_HELP =
  `expected "allow", "deny", "kill", { deny: "<ERRNO>" }, { return: <integer> } or { args: { <0-5>: <integer> } }`;

/** A value a register can hold, checked. */
function checkedRegisterValue(v: unknown, what: string): RegisterValue {
  if (typeof v === "bigint" && v >= -(1n << 63n) && v < (1n << 64n)) return registerValue(v);
  if (typeof v === "number" && Number.isSafeInteger(v)) return registerValue(v);
  throw new Error(`returned ${what} ${show(v)}: expected an integer`);
}

function show(v: unknown): string {
  if (typeof v === "bigint") return `${v}n`;
  if (typeof v === "function") return "a function";
  try {
    return JSON.stringify(v, (_, x) => typeof x === "bigint" ? `${x}n` : x) ?? String(v);
  } catch {
    return String(v);
  }
}

/** Turns what a function rule returned into a decision; a bad answer denies with EPERM and says why. */
function hookDecision(d: HookDecision, rule: string): Decision {
  if (d === "allow") return { action: "allow", rule };
  if (d === "deny") return { action: "deny", errno: ERRNO_NUMBERS.EPERM, rule };
  if (d === "kill") return { action: "kill", rule };
  if (typeof d === "object" && d !== null && Object.keys(d).length === 1) {
    if ("deny" in d) {
      const n = (ERRNO_NUMBERS as Record<string, number>)[d.deny];
      if (n === undefined) throw new Error(`returned { deny: ${show(d.deny)} }: unknown errno`);
      return { action: "deny", errno: n, rule };
    }
    if ("return" in d) {
      return { action: "return", value: checkedRegisterValue(d.return, "return"), rule };
    }
    if ("args" in d && typeof d.args === "object" && d.args !== null) {
      const args: Record<number, RegisterValue> = {};
      for (const [i, v] of Object.entries(d.args)) {
        if (!/^[0-5]$/.test(i)) throw new Error(`returned args index ${show(i)}: expected 0 to 5`);
        args[Number(i)] = BigInt(checkedRegisterValue(v, `args[${i}]`));
      }
      return { action: "args", args, rule };
    }
  }
  throw new Error(`returned ${show(d)}: ${HOOK_HELP}`);
}

/**
 * Answers the supervisor's function-rule calls, one at a time, through the
 * hook channel (`hook_channel.ts`): the supervisor's thread blocks until
 * the answer is stored and notified.
 */
export class HookAnswers {
  readonly #hooks: CompiledPolicy["hooks"];
  readonly #channel: SharedArrayBuffer;
  readonly #report: (text: string) => void;
  readonly #failedRules = new Set<string>();
  #pending = false;

  /**
   * @param hooks The policy's function rules, by the index the supervisor sends.
   * @param channel The hook channel shared with the supervisor's thread.
   * @param report Where a failing rule is said, once per rule (default: stderr).
   */
  constructor(
    hooks: CompiledPolicy["hooks"],
    channel: SharedArrayBuffer,
    report: (text: string) => void = writeStderr,
  ) {
    this.#hooks = hooks;
    this.#channel = channel;
    this.#report = report;
  }

  /** Runs rule `hook` on a call the supervisor holds, and answers with its decision. */
  async answer(hook: number, call: HookCall): Promise<void> {
    this.#pending = true;
    const rule = `syscalls.${call.name}`;
    let decision: Decision;
    try {
      const fn = this.#hooks[hook];
      const c: SyscallCall = { ...call, args: call.args.map(BigInt) };
      decision = hookDecision(await fn(c), rule);
    } catch (e) {
      // Fail closed: a rule that cannot answer denies. Said once per rule: a rule that throws
      // throws for every call it sees (11 identical lines for one `cat`).
      decision = { action: "deny", errno: ERRNO_NUMBERS.EPERM, rule };
      if (!this.#failedRules.has(rule)) {
        this.#failedRules.add(rule);
        let why = "a value that cannot be shown";
        try {
          why = e instanceof Error ? e.message : String(e);
        } catch { /* a thrown object whose text throws too: the call is denied all the same */ }
        this.#report(`jail: rule ${rule} failed: ${why}; the call is denied with EPERM\n`);
      }
    }
    this.reply(decision);
  }

  /**
   * Answers the call waiting, if one is; once only (a rule that settles after
   * the tree was killed answers nothing).
   */
  reply(decision: Decision): void {
    if (!this.#pending) return; // Already answered (the tree is being killed).
    this.#pending = false;
    const bytes = new TextEncoder().encode(JSON.stringify(encodeDecision(decision)));
    new Uint8Array(this.#channel, 8).set(bytes);
    const words = new Int32Array(this.#channel);
    Atomics.store(words, HOOK_LENGTH, bytes.length);
    Atomics.store(words, HOOK_STATE, 1);
    Atomics.notify(words, HOOK_STATE);
  }
}
