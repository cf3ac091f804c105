/**
 * The one door to libc: {@linkcode lazySymbols} is the only `Deno.dlopen`
 * of jail, and this module with the other `ffi/` modules are the only ones
 * that touch `Deno.UnsafePointer`. Each `ffi/` module declares the libc
 * symbols it calls and binds them through {@linkcode lazySymbols}; the rest of
 * jail sees typed functions and numbers. `ffi/` imports `kernel/` (constants,
 * syscall numbers), never `src/`.
 *
 * Each isolate (the CLI's main thread, the supervisor worker) opens its own
 * handles; errno is thread-local, so each reads its own.
 *
 * ## Errors: two conventions, told apart by type
 *
 * - A {@linkcode SysResult} return: the kernel's own convention, a value
 *   `>= 0` on success and `-errno` on failure. For every call on the
 *   per-stop hot path (waitpid, ptrace, process_vm_readv/writev), where an
 *   exception per stop would cost, and for calls whose failure is an answer
 *   the caller acts on (ESRCH from a tracee that died, EAGAIN, EADDRINUSE,
 *   the errno handed back to a tracee). Nothing is allocated either way.
 * - A thrown {@linkcode ErrnoError}: for setup calls made once per run
 *   (prctl, capget/capset, clone, affinity, Landlock rulesets), whose failure
 *   ends the step. Their JSDoc says `@throws {ErrnoError}`.
 *
 * Calls that only answer a question and report no errno (`readLink`,
 * `isConnectedStream`, `interfaceIndex`, `landlockAbi`) return a plain
 * value and say what a failure gives.
 *
 * @module
 */

import { ERRNO_MESSAGES, ERRNO_NAMES } from "../kernel/errno.ts";
import { type CommonSyscall, hostNr } from "../kernel/host_syscalls.ts";

/**
 * A libc call's result in the kernel's convention: the value (`>= 0`) on
 * success, `-errno` on failure. Test with `< 0`; negate for the errno.
 */
export type SysResult = number;

/**
 * The address of `name` in `path` (default libc) in this process, read once. A symbol opened as
 * a static of type "pointer" is its address, and needs no call trampoline (about 0.02 ms against
 * 0.25 ms for a binding of `dlsym`, measured).
 *
 * @throws {Error} When the library has no such symbol.
 */
export function symbolAddress(name: string, path = "libc.so.6"): bigint {
  const key = `${path}\0${name}`;
  let address = addresses.get(key);
  if (address === undefined) {
    const p = Deno.dlopen(path, { [name]: { type: "pointer" } }).symbols[name] as Deno.PointerValue;
    if (p === null) throw new Error(`${path}'s ${name} is at NULL`);
    addresses.set(key, address = BigInt(Deno.UnsafePointer.value(p)));
  }
  return address;
}

/** Addresses already read, by library and name. */
const addresses = new Map<string, bigint>();

/**
 * Calls a symbol makes through Deno's generic call path before it gets its own
 * compiled binding (see {@linkcode lazySymbols}).
 */
export const CALLS_BEFORE_BINDING = 256;

/**
 * A symbol table whose functions are bound as they prove hot.
 *
 * Binding is not free: for each symbol Deno compiles a call trampoline with
 * Cranelift, about 0.25 ms apiece and 0.8 ms for an isolate's first, and every
 * isolate pays for every symbol it binds. The trampoline serves only calls
 * from code V8 has optimized, which no call of a start-up is: the five
 * bindings of `jail -- true` cost about 2 ms of a 30 ms run and served none of
 * its calls. So a symbol's first {@linkcode CALLS_BEFORE_BINDING} calls go
 * through `Deno.UnsafeFnPointer` (its address looked up, nothing compiled; a
 * call about 2 µs more), and the next one binds it: a loop that calls it at
 * every stop soon has its compiled binding, which the table's function then
 * calls (see `forward`). A `nonblocking` symbol, which compiles nothing, is
 * bound at its first call.
 *
 * @param symbols The library interface, as for `Deno.dlopen`.
 * @param path The library (default libc).
 */
export function lazySymbols<S extends Deno.ForeignLibraryInterface>(
  symbols: S,
  path = "libc.so.6",
): Deno.DynamicLibrary<S>["symbols"] {
  const out = {} as Record<string, unknown>;
  const binds = new Map<string, () => unknown>();
  for (const name of Object.keys(symbols)) {
    const definition = symbols[name] as Deno.ForeignFunction;
    if (definition.nonblocking) {
      // Compiles nothing: bound at its first use, as a getter that gives way to the binding.
      let fn: unknown;
      const bind = () => {
        if (fn !== undefined) return fn;
        fn = Deno.dlopen(path, { [name]: definition }).symbols[name];
        Object.defineProperty(out, name, { value: fn, enumerable: true });
        return fn;
      };
      Object.defineProperty(out, name, { configurable: true, enumerable: true, get: bind });
      binds.set(name, bind);
      continue;
    }
    let slow: Call | undefined;
    const bound: { fn?: Call } = {};
    let left = CALLS_BEFORE_BINDING;
    const bind = () =>
      bound.fn ??= Deno.dlopen(path, { [name]: definition }).symbols[name] as unknown as Call;
    const next = (): Call => {
      if (--left < 0) return bind();
      if (slow === undefined) {
        const address = Deno.UnsafePointer.create(symbolAddress(name, path));
        const pointer = new Deno.UnsafeFnPointer(address as Deno.PointerObject<never>, definition);
        slow = pointer.call.bind(pointer) as Call;
      }
      return slow;
    };
    out[name] = forward(definition.parameters.length, bound, next);
    binds.set(name, bind);
  }
  binders.set(out, binds);
  return out as Deno.DynamicLibrary<S>["symbols"];
}

/** A libc function as the table calls it. */
type Call = (...args: unknown[]) => unknown;

/**
 * The table's function for one symbol, with the symbol's own number of parameters: it calls the
 * compiled binding once there is one, else what `next` gives. One function for the symbol's
 * whole life, so that each call site in jail sees one target, and the one call site here that
 * reaches the binding sees only it: V8 then makes it Deno's fast call where it optimizes the
 * loop (a table property that changed its function left call sites that saw both, and the
 * binding's slower path: 0.7 µs more a stop on ptrace stops, measured).
 */
function forward(arity: number, bound: { fn?: Call }, next: () => Call): Call {
  // Two call sites each: the first reaches only the binding, the second the generic path.
  switch (arity) {
    case 0:
      return () => bound.fn !== undefined ? bound.fn() : next()();
    case 1:
      return (a) => bound.fn !== undefined ? bound.fn(a) : next()(a);
    case 2:
      return (a, b) => bound.fn !== undefined ? bound.fn(a, b) : next()(a, b);
    case 3:
      return (a, b, c) => bound.fn !== undefined ? bound.fn(a, b, c) : next()(a, b, c);
    case 4:
      return (a, b, c, d) => bound.fn !== undefined ? bound.fn(a, b, c, d) : next()(a, b, c, d);
    case 5:
      return (a, b, c, d, e) =>
        bound.fn !== undefined ? bound.fn(a, b, c, d, e) : next()(a, b, c, d, e);
    case 6:
      return (a, b, c, d, e, f) =>
        bound.fn !== undefined ? bound.fn(a, b, c, d, e, f) : next()(a, b, c, d, e, f);
    case 7:
      return (a, b, c, d, e, f, g) =>
        bound.fn !== undefined ? bound.fn(a, b, c, d, e, f, g) : next()(a, b, c, d, e, f, g);
    default:
      return (...args) => bound.fn !== undefined ? bound.fn(...args) : next()(...args);
  }
}

/** Each {@linkcode lazySymbols} table's way to bind each of its symbols now, for {@linkcode bindSymbols}. */
const binders = new WeakMap<object, ReadonlyMap<string, () => unknown>>();

const errnoSymbols = lazySymbols({
  // int *__errno_location(void)
  __errno_location: { parameters: [], result: "pointer" },
});

/**
 * Binds symbols of a {@linkcode lazySymbols} table now, compiled, rather than
 * after their first calls, and looks up the errno accessor (called once a
 * thread): for a thread that has idle time before a step where every
 * millisecond counts (the supervisor's Worker before its start message, a
 * thread of the notification pool before its first notification). The `ffi/`
 * modules wrap it as `bind…Now`.
 *
 * @param table A table from {@linkcode lazySymbols}.
 * @param names The symbols to bind (default: all of them).
 */
export function bindSymbols<S extends Deno.ForeignLibraryInterface>(
  table: Deno.DynamicLibrary<S>["symbols"],
  names: readonly (keyof S)[] = Object.keys(table) as (keyof S)[],
): void {
  const binds = binders.get(table)!;
  for (const name of names) binds.get(name as string)!();
  void errnoSymbols.__errno_location;
}

let errnoView: Deno.UnsafePointerView | undefined;

/** errno of this thread; meaningful only right after a failed call. */
export function errno(): number {
  if (errnoView === undefined) {
    const p = errnoSymbols.__errno_location();
    if (p === null) throw new Error("__errno_location returned NULL");
    errnoView = new Deno.UnsafePointerView(p);
  }
  return errnoView.getInt32(0);
}

/** The symbolic name of an errno value, such as `ESRCH`. */
export function errnoName(code: number): string {
  return ERRNO_NAMES[code] || `errno ${code}`;
}

/** A failed libc call: which call, and the errno it left. */
export class ErrnoError extends Error {
  /** The call that failed, e.g. `ptrace(PTRACE_GETREGS)`. */
  readonly call: string;
  /** The errno value. */
  readonly errno: number;
  /** The errno's symbolic name, e.g. `ESRCH`. */
  readonly code: string;

  /**
   * @param call The call that failed.
   * @param code The errno value.
   */
  constructor(call: string, code: number) {
    const name = errnoName(code);
    super(`${call} failed: ${name} (${ERRNO_MESSAGES[code] ?? "unknown error"})`);
    this.name = "ErrnoError";
    this.call = call;
    this.errno = code;
    this.code = name;
  }
}

/**
 * Throws an {@linkcode ErrnoError} for `call` when `rc` is negative: the
 * setup convention on top of a raw libc return.
 *
 * @returns `rc`, as a number.
 * @throws {ErrnoError}
 */
export function orThrow(call: string, rc: number | bigint): number {
  if (Number(rc) < 0) throw new ErrnoError(call, errno());
  return Number(rc);
}

/**
 * The {@linkcode SysResult} of a raw libc return: `rc`, or `-errno` when it
 * is negative.
 */
export function sysResult(rc: number | bigint): SysResult {
  const n = Number(rc);
  return n < 0 ? -errno() : n;
}

/** NUL-terminated UTF-8 copy of a string, for `const char *` parameters. */
export function cstring(s: string): Uint8Array<ArrayBuffer> {
  const bytes = new TextEncoder().encode(s);
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}

/**
 * A NULL-terminated `char *[]`. The returned holder keeps the strings alive:
 * keep it referenced until the call that reads it has returned.
 */
export function cstringArray(strings: readonly string[]): {
  array: BigUint64Array<ArrayBuffer>;
  keep: Uint8Array[];
} {
  const keep = strings.map(cstring);
  const array = new BigUint64Array(keep.length + 1);
  keep.forEach((s, i) => array[i] = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(s))));
  return { array, keep };
}

/** Address of a buffer, for structures that hold pointers. */
export function addressOf(buf: ArrayBufferView): bigint {
  return BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(buf as Uint8Array<ArrayBuffer>)));
}

/** An argument of {@linkcode sys}: a value, or a buffer passed by its address (keep it referenced). */
export type SysArg = number | bigint | ArrayBufferView | null;

const generic = lazySymbols({
  // long syscall(long nr, long a1, ..., long a6): glibc's, which sets errno and returns -1.
  syscall: {
    parameters: ["i64", "i64", "i64", "i64", "i64", "i64", "i64"],
    result: "i64",
  },
});

function arg(a: SysArg | undefined): bigint {
  if (a === undefined || a === null) return 0n;
  if (typeof a === "bigint") return a;
  if (typeof a === "number") return BigInt(a);
  return addressOf(a);
}

/**
 * Any system call, by name, through one binding of libc's `syscall()`. For
 * the calls made once or a few times a run: each distinct binding costs
 * about 0.25 ms to make (see {@linkcode lazySymbols}), about 30 of them were
 * on the way to a command's first instruction, and a call through this one
 * costs a few hundred nanoseconds more than through its own. Calls on the
 * per-stop path keep their own typed bindings.
 *
 * @returns The call's result, or `-errno`.
 */
export function sys(
  name: CommonSyscall,
  a0?: SysArg,
  a1?: SysArg,
  a2?: SysArg,
  a3?: SysArg,
  a4?: SysArg,
  a5?: SysArg,
): SysResult {
  let nr = numbers.get(name);
  if (nr === undefined) numbers.set(name, nr = hostNr(name));
  return sysResult(generic.syscall(nr, arg(a0), arg(a1), arg(a2), arg(a3), arg(a4), arg(a5)));
}

/** Syscall numbers as the binding takes them, made once per name. */
const numbers = new Map<CommonSyscall, bigint>();

/** Binds {@linkcode sys}'s one binding now (see {@linkcode bindSymbols}). */
export function bindSysNow(): void {
  bindSymbols(generic);
}
