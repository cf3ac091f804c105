/**
 * Why this host does not let jail trace its child: read once, when
 * `PTRACE_SEIZE` failed, from what the kernel shows of jail itself, so the
 * one-line error names the real cause (as strace does) rather than a list of
 * guesses.
 *
 * @module
 */

import { ERRNO_NUMBERS } from "../../kernel/errno.ts";
import { CAPABILITIES } from "../../kernel/capability.ts";

/** What the kernel shows about jail's own process and the host's ptrace settings. */
export interface HostFacts {
  /** `/proc/self/status` of jail. */
  status?: string;
  /** `/proc/sys/kernel/yama/ptrace_scope`, when Yama is present. */
  yamaScope?: string;
}

/** CAP_SYS_PTRACE's bit in the capability sets. */
const CAP_SYS_PTRACE = BigInt(CAPABILITIES.SYS_PTRACE);
const EPERM = ERRNO_NUMBERS.EPERM;

/** A field of `/proc/<pid>/status`, e.g. `TracerPid`, trimmed. */
function field(status: string, name: string): string | undefined {
  const m = new RegExp(`^${name}:\\s*(.*)$`, "m").exec(status);
  return m?.[1].trim();
}

/**
 * The cause of a failed `PTRACE_SEIZE` of jail's own child, as a sentence
 * for the error line: being traced already, Yama's `ptrace_scope`, a seccomp
 * filter on jail itself, or a missing capability.
 *
 * @param errno The errno of the failed seize.
 * @param facts What the host shows (read with {@linkcode readHostFacts}).
 * @returns The most specific explanation the facts support.
 */
export function explainSeizeFailure(errno: number, facts: HostFacts): string {
  const status = facts.status ?? "";
  const tracer = Number(field(status, "TracerPid") ?? "0");
  if (tracer > 0) {
    return `jail is itself being traced (by pid ${tracer}: a debugger, strace or another jail); ` +
      `a process has one tracer, and jail must be the tracer of the command`;
  }
  if (errno !== EPERM) return "the kernel refused to trace a child process";
  const scope = facts.yamaScope?.trim();
  if (scope === "3") {
    return "kernel.yama.ptrace_scope is 3: ptrace is disabled on this host until reboot";
  }
  const capEff = BigInt(`0x${field(status, "CapEff") ?? "0"}`);
  const hasPtraceCap = (capEff >> CAP_SYS_PTRACE & 1n) === 1n;
  if (scope === "2" && !hasPtraceCap) {
    return "kernel.yama.ptrace_scope is 2: only a process with CAP_SYS_PTRACE may trace; " +
      "run jail as root, or set the sysctl to 1 (which allows tracing one's own children)";
  }
  if (field(status, "Seccomp") === "2") {
    return "jail itself runs under a seccomp filter (a container runtime's profile?) that refuses " +
      "ptrace; allow ptrace in that profile (docker: --security-opt seccomp=... with ptrace allowed)";
  }
  if (facts.status !== undefined && !hasPtraceCap && /^Uid:\s*0\s/m.test(status)) {
    return "jail runs as root without CAP_SYS_PTRACE (a container?); add it (docker: --cap-add=SYS_PTRACE)";
  }
  return "ptrace is forbidden here by a security module or policy this check cannot see";
}

/** Reads the facts {@linkcode explainSeizeFailure} uses; missing files are left out. */
export function readHostFacts(): HostFacts {
  const read = (path: string) => {
    try {
      return Deno.readTextFileSync(path);
    } catch {
      return undefined;
    }
  };
  return {
    status: read("/proc/self/status"),
    yamaScope: read("/proc/sys/kernel/yama/ptrace_scope"),
  };
}
