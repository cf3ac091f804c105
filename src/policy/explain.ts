/**
 * `--explain`: a compiled policy told back in words, the traced rules and
 * the lists they check first, then the seccomp filter disassembled.
 *
 * @module
 */

import { ARCHES } from "../arch/arch.ts";
import { disassemble } from "../bpf/disasm.ts";
import { decodeInstructions } from "../bpf/assembler.ts";
import type { NetEntry } from "../net/address.ts";
import type { CompiledPolicy } from "./compile.ts";
import { explainFs } from "./fs_compile.ts";

/** A readable account of a compiled policy: the rules, then the filter. */
export function explainPolicy(p: CompiledPolicy): string {
  const lines = [`traced rules (${p.rules.length}):`];
  p.rules.forEach((r, i) => {
    const what = r.net
      ? `net check ${r.net}`
      : r.fs
      ? `fs check`
      : r.hook !== undefined
      ? `function rule`
      : r.target
      ? `target check (the tree's tasks only)`
      : r.signal
      ? `signal to the tree's members of the group`
      : r.decision.action;
    lines.push(
      `  TRACE|${i}  ${r.syscall}: ${what}${r.decision.rule ? ` (${r.decision.rule})` : ""}`,
    );
  });
  if (p.net) {
    const list = (es: NetEntry[]) => es.map((e) => e.source).join(", ") || "(none)";
    lines.push(
      `net: allow ${list(p.net.allow)}; deny ${
        list(p.net.deny)
      }; loopback ${p.net.loopback}; unix ${p.net.unix}; bind to 0.0.0.0/:: ${p.net.wildcardBind}`,
    );
  }
  if (p.fs) lines.push(explainFs({ policy: p.fs, landlock: p.landlock }));
  if (p.skippedSyscalls.length > 0) {
    lines.push(`not on ${p.arch}, rules left out: ${p.skippedSyscalls.join(", ")}`);
  }
  const program = decodeInstructions(p.filter);
  const names = ARCHES[p.arch].names;
  lines.push(`seccomp filter (${program.length} instructions):`);
  lines.push(disassemble(program, { syscallName: (nr) => names[nr] || undefined }));
  return lines.join("\n");
}
