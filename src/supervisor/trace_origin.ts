/**
 * Which of jail's traced rules a seccomp stop belongs to, from jail's own filter.
 *
 * The SECCOMP_RET_TRACE data that PTRACE_GETEVENTMSG reports is not jail's to
 * trust: a tracee may install seccomp filters of its own (programs sandbox
 * themselves), and when several filters return TRACE the kernel reports the
 * data of the most recently installed one. A filter of the tree's could so
 * forge which rule the supervisor runs, or stop calls jail's filter allows
 * with any data it likes. So the supervisor never reads that data: it runs
 * jail's filter spec on the stopped call's registers and takes the rule from
 * there. A stop that jail's filter would not trace came from the tree's own
 * filter, and the call goes on unchanged.
 *
 * The common case costs one table lookup: for each syscall number the spec
 * settles without looking at the arguments, the answer is precomputed.
 *
 * @module
 */

import {
  decideReference,
  type FilterSpec,
  type KernelAction,
  specArch,
  unlistedAction,
} from "../bpf/spec.ts";
import type { SyscallRegisters } from "../arch/registers.ts";

/** jail's filter allows the call: the stop came from a filter of the tree's own. */
export const ORIGIN_NOT_TRACED = -1;
/**
 * jail's filter refuses or kills the call. The kernel lets a refusal outrank
 * any TRACE, so such a stop cannot happen; should it, the call is denied.
 */
export const ORIGIN_REFUSED = -2;
/** Internal: the arguments decide; evaluate the spec. */
const BY_ARGS = -3;
/** Syscall numbers covered by the table; others evaluate the spec. */
const NR_TABLE_SIZE = 1024;
/** A number of the table not looked up yet. */
const UNKNOWN = -4;

/** Decides, from jail's filter spec alone, which traced rule a stopped call belongs to. */
export class TraceOrigin {
  readonly #spec: FilterSpec;
  readonly #arch: number;
  /** Per number: trace data (>= 0), ORIGIN_NOT_TRACED, ORIGIN_REFUSED or BY_ARGS. */
  readonly #byNr = new Int32Array(NR_TABLE_SIZE);
  readonly #args: bigint[] = [0n, 0n, 0n, 0n, 0n, 0n];

  /** @param spec The filter spec jail installed (`CompiledPolicy.spec`). */
  constructor(spec: FilterSpec) {
    this.#spec = spec;
    this.#arch = specArch(spec);
    // Filled per number at its first stop: all 1024 at once took about 1 ms of every start-up.
    this.#byNr.fill(UNKNOWN);
  }

  #entry(nr: number): number {
    const rule = this.#spec.syscalls.get(nr);
    return this.#byNr[nr] = rule === undefined
      ? code(unlistedAction(this.#spec, nr))
      : "rules" in rule
      ? BY_ARGS
      : code(rule);
  }

  /**
   * The rule of a call stopped at PTRACE_EVENT_SECCOMP.
   *
   * The architecture is the filter's own (x86_64 or aarch64) whenever a stop
   * happens: jail's filter kills every other ABI, and a kill outranks a trace.
   *
   * @param nr The syscall number (orig_rax on x86_64, NT_ARM_SYSTEM_CALL on aarch64).
   * @param regs The stopped thread's registers.
   * @returns The trace data of jail's rule (>= 0), {@linkcode ORIGIN_NOT_TRACED}
   *   or {@linkcode ORIGIN_REFUSED}.
   */
  ruleOf(nr: number, regs: SyscallRegisters): number {
    let known = nr >= 0 && nr < NR_TABLE_SIZE ? this.#byNr[nr] : BY_ARGS;
    if (known === UNKNOWN) known = this.#entry(nr);
    if (known !== BY_ARGS) return known;
    const args = this.#args;
    for (let i = 0; i < 6; i++) args[i] = regs.arg(i);
    return code(
      decideReference(this.#spec, {
        nr,
        arch: this.#arch,
        instructionPointer: regs.ip,
        args,
      }),
    );
  }
}

/**
 * What jail's filter answers for a call as its registers now hold it, when
 * that answer refuses it (errno or kill). The kernel runs the filters again
 * after a trace stop; where that re-check cannot see a rewritten first
 * argument (arm64: it reads `orig_x0`), the supervisor asks this instead.
 *
 * @param spec The filter spec jail installed.
 * @param nr The call's number.
 * @param regs Its registers, arguments as rewritten.
 * @returns The refusing action, or undefined when the filter lets the call through or traces it.
 */
export function refusalOf(
  spec: FilterSpec,
  nr: number,
  regs: SyscallRegisters,
): KernelAction | undefined {
  const action = decideReference(spec, {
    nr,
    arch: specArch(spec),
    instructionPointer: regs.ip,
    args: [0, 1, 2, 3, 4, 5].map((i) => regs.arg(i)),
  });
  return action.kind === "errno" || action.kind === "kill" ? action : undefined;
}

function code(action: KernelAction): number {
  switch (action.kind) {
    case "trace":
    case "notify": // The same rule, stopped by ptrace when no listener could be had.
      return action.data;
    case "allow":
    case "log":
      return ORIGIN_NOT_TRACED;
    default:
      return ORIGIN_REFUSED;
  }
}
