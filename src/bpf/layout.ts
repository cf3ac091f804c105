/**
 * The assembler's last pass: instructions under construction, whose jumps
 * point at their destinations, laid out so that every conditional jump fits
 * its 8-bit offsets (trampolines), then encoded with the offsets counted.
 *
 * @module
 */

import type { Insn } from "./insn.ts";
import { BPF_JA, BPF_JMP, BPF_MAX_COND_JUMP, BPF_RET, bpfClass, isCondJump } from "./opcodes.ts";

/** A jump destination: a label name, or `null` for the next instruction. */
export type JumpTarget = string | null;

/**
 * An instruction under construction. Branch destinations are object
 * references, so inserting trampolines never invalidates them.
 */
export interface Item {
  code: number;
  k: number;
  /** Position in the item list; refreshed after every insertion. */
  pos: number;
  /** Set for jumps: the label names as written, for error messages. */
  jump?: {
    /** Label of a JA, or of the true branch of a conditional jump. */
    jt: JumpTarget;
    jf: JumpTarget;
    /** Resolved destinations. */
    dt?: Item;
    df?: Item;
    /** Trampolines currently used when a destination is too far away. */
    vt?: Item;
    vf?: Item;
  };
}

/** True for a `ret`. */
export function isRet(code: number): boolean {
  return bpfClass(code) === BPF_RET;
}

/**
 * Makes every conditional branch fit in 8 bits, by sending the branches that
 * do not through a trampoline placed just after the jump: a copy of the
 * destination when that is a `ret` (same size, one less instruction run), or
 * else a `ja` with a 32-bit offset.
 *
 * Jumps are visited from last to first. Since every jump goes forward, an
 * insertion after jump J only lengthens jumps that start at or before J and
 * end after it, which are all still to be visited, so one pass suffices.
 * Visiting backwards also lets earlier jumps reuse, when within reach, the
 * trampolines that later jumps created, and any `ret` of the same value.
 */
export function layOutTrampolines(items: Item[]): void {
  // Instructions that can stand in for a destination, by what they do.
  const standIns = new Map<string | Item, Item[]>();
  const remember = (key: string | Item, item: Item) => {
    const list = standIns.get(key);
    if (list) list.push(item);
    else standIns.set(key, [item]);
  };
  for (const item of items) if (isRet(item.code)) remember(standInKey(item), item);
  const reach = (from: Item, to: Item) => to.pos - from.pos - 1 <= BPF_MAX_COND_JUMP;

  for (let idx = items.length - 1; idx >= 0; idx--) {
    const item = items[idx];
    const j = item.jump;
    if (!j || !isCondJump(item.code)) continue;
    // Inserting a trampoline for one branch lengthens the other by one, so
    // check both again until neither needs anything: at most two rounds
    // insert, as a branch sent to an adjacent trampoline stays in reach.
    let inserted = true;
    while (inserted) {
      inserted = false;
      for (const branch of ["t", "f"] as const) {
        const dest = branch === "t" ? j.dt! : j.df!;
        if (reach(item, (branch === "t" ? j.vt : j.vf) ?? dest)) continue;
        const final = finalDestination(dest);
        const key = standInKey(final);
        let via = standIns.get(key)?.find((t) => t.pos > item.pos && reach(item, t));
        if (!via) {
          via = isRet(final.code)
            ? { code: final.code, k: final.k, pos: 0 }
            : { code: BPF_JMP | BPF_JA, k: 0, pos: 0, jump: { jt: null, jf: null, dt: final } };
          items.splice(item.pos + 1, 0, via);
          for (let i = item.pos + 1; i < items.length; i++) items[i].pos = i;
          remember(key, via);
          inserted = true;
        }
        if (branch === "t") j.vt = via;
        else j.vf = via;
      }
    }
  }
}

/**
 * Equal for instructions that can replace one another as a jump destination:
 * any `ret` of the same value, or else only the destination itself.
 */
function standInKey(dest: Item): string | Item {
  return isRet(dest.code) ? `ret ${dest.code} ${dest.k}` : dest;
}

/** Follows unconditional jumps, so a trampoline never leads to another jump. */
function finalDestination(item: Item): Item {
  let at = item;
  while (at.jump && !isCondJump(at.code)) at = at.jump.dt!;
  return at;
}

/** The instruction an item becomes, its destinations turned into offsets. */
export function encodeItem(item: Item): Insn {
  const j = item.jump;
  if (!j) return { code: item.code, jt: 0, jf: 0, k: item.k };
  if (!isCondJump(item.code)) {
    return { code: item.code, jt: 0, jf: 0, k: j.dt!.pos - item.pos - 1 };
  }
  const jt = (j.vt ?? j.dt!).pos - item.pos - 1;
  const jf = (j.vf ?? j.df!).pos - item.pos - 1;
  if (jt < 0 || jf < 0 || jt > BPF_MAX_COND_JUMP || jf > BPF_MAX_COND_JUMP) {
    // layOutTrampolines guarantees this cannot happen.
    throw new Error(`Internal assembler error: jump offsets ${jt}/${jf} at ${item.pos}`);
  }
  return { code: item.code, jt, jf, k: item.k };
}
