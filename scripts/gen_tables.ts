/**
 * Generates `kernel/x86_64_syscalls.ts`, `kernel/aarch64_syscalls.ts` and
 * `kernel/errno.ts` from the kernel tables kept in the repository
 * (`kernel/tables/*.tsv`), never from
 * the headers of the machine it runs on: a machine with older or newer headers
 * must produce the same tables, and the policy must know every syscall of the
 * kernels jail runs on, however old the build machine's headers are.
 *
 * ```sh
 * deno run -A scripts/gen_tables.ts          # rewrite the files
 * deno run -A scripts/gen_tables.ts --check  # exit 1 if any file is stale
 * ```
 *
 * {@link generate} is pure and emits code that `deno fmt` already accepts, so
 * the tests can regenerate in memory and compare byte for byte without
 * shelling out to the formatter.
 *
 * @module
 */

/** The architectures with a syscall table; each has its own numbering. */
export const TABLE_ARCHES = ["x86_64", "aarch64"] as const;

/** An architecture of {@link TABLE_ARCHES}. */
export type TableArch = typeof TABLE_ARCHES[number];

/** The kernel tables read by the generator (relative to the repository root), named in the output. */
export const SOURCE_PATHS = {
  x86_64: "kernel/tables/x86_64_syscalls.tsv",
  aarch64: "kernel/tables/aarch64_syscalls.tsv",
  errno: "kernel/tables/errno.tsv",
} as const;

/** Output files, relative to the repository root. */
export const OUTPUT_PATHS = {
  x86_64: "kernel/x86_64_syscalls.ts",
  aarch64: "kernel/aarch64_syscalls.ts",
  errno: "kernel/errno.ts",
} as const;

/**
 * Contents of the kernel tables the modules are generated from: per
 * architecture, `kernel<TAB>version`, then `number<TAB>name` lines; `errno`:
 * `name<TAB>value or aliased name<TAB>description` lines.
 */
export type SourceTexts = Record<keyof typeof SOURCE_PATHS, string>;

/** Source text of the generated modules, keyed like {@link OUTPUT_PATHS}. */
export type GeneratedTables = Record<keyof typeof OUTPUT_PATHS, string>;

/** What the header of each generated syscall module says the table holds. */
const TABLE_ORIGIN: Record<TableArch, string> = {
  x86_64: "the common and 64-bit ABIs of the\n * kernel's syscall table",
  aarch64:
    "the generic table's common, 64-bit,\n * renameat, newstat, rlimit and memfd_secret ABIs, as arm64 builds it",
};

/** One syscall of the table. */
export interface SyscallDef {
  /** Name, as the kernel's table spells it. */
  name: string;
  /** Syscall number. */
  nr: number;
}

/** One errno name, with any alias already resolved. */
export interface ErrnoDef {
  /** Symbolic name, e.g. `EPERM`. */
  name: string;
  /** Numeric value. */
  nr: number;
  /** The name this one is defined as (`EWOULDBLOCK` → `EAGAIN`), if any. */
  aliasOf?: string;
  /** Text of the trailing C comment, or `""` if there is none. */
  message: string;
}

const SYSCALL_RE = /^(\d+)\t([a-z_][a-z0-9_]*)$/;
const KERNEL_RE = /^kernel\t(\d+\.\d+)$/;
const ERRNO_RE = /^(E[A-Z0-9]+)\t(\w+)\t(.*)$/;
const IDENT_RE = /^[A-Za-z_$][\w$]*$/;

/** The syscalls of a table and the kernel version it was taken from. */
export interface SyscallTable {
  /** `6.19`. */
  kernel: string;
  /** Sorted by number. */
  defs: SyscallDef[];
}

/**
 * Parses the syscall table: `#` comments, one `kernel<TAB>version` line,
 * `number<TAB>name` lines.
 *
 * @throws {Error} on a malformed line, a missing kernel line, or duplicate
 * names or numbers, which would make the tables ambiguous.
 */
export function parseSyscalls(table: string): SyscallTable {
  const defs: SyscallDef[] = [];
  const byName = new Set<string>();
  const byNr = new Map<number, string>();
  let kernel: string | undefined;
  table.split("\n").forEach((line, i) => {
    if (line === "" || line.startsWith("#")) return;
    const k = KERNEL_RE.exec(line);
    if (k) {
      kernel = k[1];
      return;
    }
    const m = SYSCALL_RE.exec(line);
    if (!m) throw new Error(`syscall table line ${i + 1}: expected "number<TAB>name": ${line}`);
    const nr = Number(m[1]);
    const name = m[2];
    if (byName.has(name)) throw new Error(`duplicate syscall name ${name}`);
    const other = byNr.get(nr);
    if (other !== undefined) throw new Error(`syscalls ${other} and ${name} share number ${nr}`);
    byName.add(name);
    byNr.set(nr, name);
    defs.push({ name, nr });
  });
  if (defs.length === 0) throw new Error("no syscalls in the table");
  if (kernel === undefined) {
    throw new Error('the syscall table names no kernel ("kernel<TAB>6.19")');
  }
  return { kernel, defs: defs.sort((a, b) => a.nr - b.nr) };
}

/**
 * Parses the errno table: `#` comments, then `name<TAB>value<TAB>description`
 * lines, where the value is a number or the name of an earlier entry
 * (`EWOULDBLOCK<TAB>EAGAIN`), resolved here.
 *
 * @throws {Error} on malformed lines, duplicate names or aliases that do not resolve.
 */
export function parseErrno(table: string): ErrnoDef[] {
  const raw: { name: string; value: string; message: string }[] = [];
  const seen = new Set<string>();
  table.split("\n").forEach((line, i) => {
    if (line === "" || line.startsWith("#")) return;
    const m = ERRNO_RE.exec(line);
    if (!m) {
      throw new Error(`errno table line ${i + 1}: expected "name<TAB>value<TAB>text": ${line}`);
    }
    if (seen.has(m[1])) throw new Error(`duplicate errno name ${m[1]}`);
    seen.add(m[1]);
    raw.push({ name: m[1], value: m[2], message: m[3] });
  });
  const byName = new Map(raw.map((r) => [r.name, r]));
  const resolve = (name: string, depth: number): number => {
    const r = byName.get(name);
    if (!r) throw new Error(`errno alias refers to unknown name ${name}`);
    if (/^\d+$/.test(r.value)) return Number(r.value);
    // Aliases nest one level at most; the bound just stops a cycle looping.
    if (depth > raw.length) throw new Error(`errno alias cycle through ${name}`);
    return resolve(r.value, depth + 1);
  };
  return raw.map((r) => {
    const nr = resolve(r.name, 0);
    return /^\d+$/.test(r.value)
      ? { name: r.name, nr, message: r.message }
      : { name: r.name, nr, aliasOf: r.value, message: r.message };
  });
}

function key(name: string): string {
  return IDENT_RE.test(name) ? name : JSON.stringify(name);
}

function header(path: string): string {
  return `// Generated by scripts/gen_tables.ts from ${path}; do not edit.\n`;
}

/** Renders a string array one element per line, the shape `deno fmt` keeps. */
function stringArray(items: readonly string[]): string {
  return items.length === 0
    ? "[]"
    : `[\n${items.map((s) => `  ${JSON.stringify(s)},\n`).join("")}]`;
}

function renderSyscalls(arch: TableArch, { kernel, defs }: SyscallTable): string {
  const max = defs[defs.length - 1].nr;
  const names = new Array<string>(max + 1).fill("");
  for (const d of defs) names[d.nr] = d.name;
  return `${header(SOURCE_PATHS[arch])}
/**
 * ${arch} syscall numbers of Linux ${kernel} (${TABLE_ORIGIN[arch]}).
 *
 * @module
 */

/** The kernel version whose table this is: numbers above {@link MAX_SYSCALL_NR} are newer. */
export const SYSCALL_TABLE_KERNEL = ${JSON.stringify(kernel)};

/** Number of every ${arch} syscall, keyed by name, in number order. */
export const SYSCALL_NUMBERS = {
${defs.map((d) => `  ${key(d.name)}: ${d.nr},\n`).join("")}} as const;

/** Name of a syscall in {@link SYSCALL_NUMBERS}. */
export type SyscallName = keyof typeof SYSCALL_NUMBERS;

/**
 * Syscall name indexed by number, up to {@link MAX_SYSCALL_NR}; unassigned
 * numbers hold \`""\` so lookups never need a bounds-and-hole check pair.
 */
export const SYSCALL_NAMES: readonly string[] = ${stringArray(names)};

/** Highest syscall number in {@link SYSCALL_NUMBERS}. */
export const MAX_SYSCALL_NR: number = ${max};
`;
}

function renderErrno(defs: readonly ErrnoDef[]): string {
  // Canonical names first so that, within a number, an alias never precedes
  // the name it stands for.
  const ordered = defs
    .map((d, i) => ({ d, i }))
    .sort((a, b) =>
      a.d.nr - b.d.nr || Number(a.d.aliasOf !== undefined) - Number(b.d.aliasOf !== undefined) ||
      a.i - b.i
    )
    .map(({ d }) => d);
  const max = ordered[ordered.length - 1].nr;
  const names = new Array<string>(max + 1).fill("");
  const messages = new Array<string>(max + 1).fill("");
  for (const d of ordered) {
    // The first canonical definition wins the name; an alias only fills in a
    // message the canonical definition lacks.
    if (d.aliasOf === undefined && names[d.nr] === "") names[d.nr] = d.name;
    if (messages[d.nr] === "") messages[d.nr] = d.message;
  }
  return `${header(SOURCE_PATHS.errno)}
/**
 * Linux errno values for x86_64 and aarch64 (both use the asm-generic numbering), from
 * the kernel's asm-generic errno headers.
 *
 * @module
 */

/**
 * Value of every errno name, aliases included (\`EWOULDBLOCK\` is \`EAGAIN\`),
 * in number order.
 */
export const ERRNO_NUMBERS = {
${ordered.map((d) => `  ${key(d.name)}: ${d.nr},\n`).join("")}} as const;

/** Name of an errno value in {@link ERRNO_NUMBERS}, aliases included. */
export type ErrnoName = keyof typeof ERRNO_NUMBERS;

/**
 * Canonical (non-alias) name indexed by errno number; unassigned numbers,
 * including 0, hold \`""\`.
 */
export const ERRNO_NAMES: readonly string[] = ${stringArray(names)};

/**
 * Kernel description indexed by errno number, e.g. \`"Permission
 * denied"\` at 13; unassigned numbers hold \`""\`. These are the kernel's
 * comments, which sometimes differ from glibc's \`strerror()\` wording.
 */
export const ERRNO_MESSAGES: readonly string[] = ${stringArray(messages)};

/**
 * MAX_ERRNO (linux/err.h): a syscall's return value in \`-MAX_ERRNO..-1\` is
 * an error; seccomp clamps a larger SECCOMP_RET_ERRNO datum to it.
 */
export const MAX_ERRNO = 4095;
`;
}

/**
 * Renders the generated modules from the kernel tables. Pure and
 * deterministic; the output is already in `deno fmt` style.
 */
export function generate(sources: SourceTexts): GeneratedTables {
  return {
    x86_64: renderSyscalls("x86_64", parseSyscalls(sources.x86_64)),
    aarch64: renderSyscalls("aarch64", parseSyscalls(sources.aarch64)),
    errno: renderErrno(parseErrno(sources.errno)),
  };
}

/** Reads the tables at {@link SOURCE_PATHS}, from this repository. */
export async function readSources(): Promise<SourceTexts> {
  const root = new URL("../", import.meta.url);
  const [x86_64, aarch64, errno] = await Promise.all(
    [SOURCE_PATHS.x86_64, SOURCE_PATHS.aarch64, SOURCE_PATHS.errno].map((p) =>
      Deno.readTextFile(new URL(p, root))
    ),
  );
  return { x86_64, aarch64, errno };
}

async function main(args: string[]): Promise<number> {
  const root = new URL("../", import.meta.url);
  const out = generate(await readSources());
  const files = (Object.keys(OUTPUT_PATHS) as (keyof typeof OUTPUT_PATHS)[]).map((k) =>
    [new URL(OUTPUT_PATHS[k], root), out[k]] as const
  );

  if (args.includes("--check")) {
    let stale = 0;
    for (const [url, text] of files) {
      const current = await Deno.readTextFile(url).catch(() => undefined);
      if (current !== text) {
        console.error(`stale: ${url.pathname}`);
        stale++;
      }
    }
    return stale === 0 ? 0 : 1;
  }

  for (const [url, text] of files) await Deno.writeTextFile(url, text);
  // generate() already emits formatted code; running the formatter anyway
  // keeps the files clean if the template and the fmt config ever drift.
  const fmt = await new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--quiet", ...files.map(([url]) => url.pathname)],
    cwd: root,
  }).output();
  if (!fmt.success) {
    console.error(new TextDecoder().decode(fmt.stderr));
    return 1;
  }
  for (const [url] of files) console.log(`wrote ${url.pathname}`);
  return 0;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
