/**
 * Network destinations: parsing `--allow-net` style entries and matching a
 * decoded socket address against allow and deny lists.
 *
 * @module
 */

/** Names of the families a denial report may mention. */
const FAMILY_NAMES: Record<number, string> = {
  3: "AF_AX25",
  4: "AF_IPX",
  5: "AF_APPLETALK",
  9: "AF_X25",
  15: "AF_KEY",
  21: "AF_RDS",
  29: "AF_CAN",
  30: "AF_TIPC",
  31: "AF_BLUETOOTH",
  33: "AF_RXRPC",
  35: "AF_PHONET",
  36: "AF_IEEE802154",
  40: "AF_VSOCK",
  41: "AF_KCM",
  42: "AF_QIPCRTR",
  43: "AF_SMC",
  44: "AF_XDP",
  45: "AF_MCTP",
};

/** `AF_VSOCK` for 40, `address family 99` when unnamed. */
export function familyName(family: number): string {
  return FAMILY_NAMES[family] ?? `address family ${family}`;
}

/** A socket address taken from a tracee. */
export type SocketAddress =
  | { family: "inet"; ip: string; port: number; bytes: Uint8Array }
  | { family: "inet6"; ip: string; port: number; bytes: Uint8Array }
  | { family: "unix"; path: string; abstract: boolean }
  | { family: "unspec" }
  | { family: "other"; number: number };

/** One parsed entry of a net list. */
export type NetEntry =
  | { kind: "any"; source: string }
  | {
    kind: "ip";
    source: string;
    /** Network bytes (4 or 16), already mapped to the family it is compared in. */
    net: Uint8Array;
    prefix: number;
    ports?: [number, number];
    /** The host name it came from, for messages. */
    host?: string;
  }
  | { kind: "port"; source: string; ports: [number, number] }
  | { kind: "unix"; source: string; pattern: RegExp; abstract: boolean };

/** A bad entry in a net list. */
export class NetEntryError extends Error {
  /** @param message What is wrong and what was expected. */
  constructor(message: string) {
    super(message);
    this.name = "NetEntryError";
  }
}

/** Parses a dotted IPv4 address into 4 bytes, or undefined. */
export function parseIPv4(s: string): Uint8Array | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const b = m.slice(1).map(Number);
  return b.every((x) => x <= 255) ? Uint8Array.from(b) : undefined;
}

/** Parses an IPv6 address (with `::` and an optional dotted IPv4 tail) into 16 bytes, or undefined. */
export function parseIPv6(s: string): Uint8Array | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || !s.includes(":")) return undefined;
  let tail: number[] = [];
  const lastColon = s.lastIndexOf(":");
  const last = s.slice(lastColon + 1);
  if (last.includes(".")) {
    const v4 = parseIPv4(last);
    if (!v4) return undefined;
    tail = [(v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]];
    s = s.slice(0, lastColon + 1);
    if (!s.endsWith("::")) s = s.slice(0, -1);
  }
  const halves = s.split("::");
  if (halves.length > 2) return undefined;
  const parse = (part: string) =>
    part === ""
      ? []
      : part.split(":").map((h) => /^[0-9a-fA-F]{1,4}$/.test(h) ? parseInt(h, 16) : NaN);
  const head = parse(halves[0]);
  const rest = halves.length === 2 ? parse(halves[1]) : [];
  // "::" stands for at least one zero word.
  if (halves.length === 2 && head.length + rest.length + tail.length > 7) return undefined;
  const words = halves.length === 2
    ? [...head, ...new Array(8 - head.length - rest.length - tail.length).fill(0), ...rest, ...tail]
    : [...head, ...tail];
  if (words.length !== 8 || words.some((w) => !Number.isInteger(w) || w < 0)) return undefined;
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

/** Text form of 4 or 16 address bytes (RFC 5952; IPv4-mapped as `::ffff:a.b.c.d`). */
export function formatIP(bytes: Uint8Array): string {
  if (bytes.length === 4) return bytes.join(".");
  const v4 = unmapIPv4(bytes);
  if (v4) return `::ffff:${v4.join(".")}`;
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((bytes[i] << 8) | bytes[i + 1]);
  // Longest run of zero words becomes "::".
  let best = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen && j - i > 1) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (best < 0) return hex.join(":");
  return `${hex.slice(0, best).join(":")}::${hex.slice(best + bestLen).join(":")}`;
}

/** The IPv4 address inside an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`), or undefined. */
export function unmapIPv4(bytes: Uint8Array): Uint8Array | undefined {
  if (bytes.length !== 16) return undefined;
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return undefined;
  if (bytes[10] !== 0xff || bytes[11] !== 0xff) return undefined;
  return bytes.slice(12);
}

/** True for 127.0.0.0/8, ::1, and IPv4-mapped loopback. */
export function isLoopback(addr: SocketAddress): boolean {
  if (addr.family === "inet") return addr.bytes[0] === 127;
  if (addr.family === "inet6") {
    const v4 = unmapIPv4(addr.bytes);
    if (v4) return v4[0] === 127;
    return addr.bytes.every((b, i) => b === (i === 15 ? 1 : 0));
  }
  return false;
}

/** True for 0.0.0.0, ::, and ::ffff:0.0.0.0. */
export function isWildcard(addr: SocketAddress): boolean {
  if (addr.family !== "inet" && addr.family !== "inet6") return false;
  const v4 = addr.family === "inet6" ? unmapIPv4(addr.bytes) : undefined;
  return (v4 ?? addr.bytes).every((b) => b === 0);
}

/**
 * Where a connect or send to a wildcard address goes: the kernel routes
 * 0.0.0.0 to 127.0.0.1 and :: to ::1 (this machine), so a destination written
 * as a wildcard is checked as that loopback address too.
 */
export function wildcardDestination(addr: SocketAddress): SocketAddress | undefined {
  if (!isWildcard(addr)) return undefined;
  if (addr.family === "inet") {
    return { family: "inet", ip: "127.0.0.1", port: addr.port, bytes: Uint8Array.of(127, 0, 0, 1) };
  }
  if (addr.family !== "inet6") return undefined;
  const bytes = new Uint8Array(16);
  if (unmapIPv4(addr.bytes)) bytes.set([0xff, 0xff, 127, 0, 0, 1], 10);
  else bytes[15] = 1;
  return { family: "inet6", ip: formatIP(bytes), port: addr.port, bytes };
}

function parsePorts(s: string, source: string): [number, number] {
  const m = /^(\d+)(?:-(\d+))?$/.exec(s);
  const lo = m ? Number(m[1]) : NaN;
  const hi = m ? Number(m[2] ?? m[1]) : NaN;
  if (!m || lo > 65535 || hi > 65535 || lo > hi) {
    throw new NetEntryError(
      `${JSON.stringify(source)}: bad port ${
        JSON.stringify(s)
      }: expected a port 0-65535 or a range like 8000-8999`,
    );
  }
  return [lo, hi];
}

function globToRegExp(glob: string): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === "*") {
      if (glob[i + 1] === "*") {
        re += ".*";
        i++;
      } else re += "[^/]*";
    } else if (c === "?") re += "[^/]";
    else re += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

/** Resolves a host name to addresses; injected so tests need no resolver. */
export type Resolver = (host: string) => string[];

/**
 * One net entry, parsed: a {@linkcode NetEntry}, or a host name whose
 * addresses are looked up once, at start ({@linkcode resolveNetSpec}).
 */
export type NetSpec =
  | NetEntry
  | { kind: "host"; source: string; host: string; ports?: [number, number] };

/**
 * Parses one net entry: `*`, `host`, `host:port`, `host:lo-hi`, `[v6]:port`,
 * `a.b.c.d/len`, `*:port`, `:port`, `unix:<glob>`, `unix:@<abstract glob>`.
 *
 * @throws {NetEntryError} When the entry is malformed.
 */
export function parseNetSpec(source: string): NetSpec {
  const s = source.trim();
  if (s === "*" || s === "") return { kind: "any", source };
  if (s.startsWith("unix:")) {
    const rest = s.slice(5);
    const abstract = rest.startsWith("@");
    return {
      kind: "unix",
      source,
      pattern: globToRegExp(abstract ? rest.slice(1) : rest),
      abstract,
    };
  }
  let host = s;
  let ports: [number, number] | undefined;
  const bracket = /^\[([^\]]+)\](?::(.+))?$/.exec(s);
  if (bracket) {
    host = bracket[1];
    if (bracket[2] !== undefined) ports = parsePorts(bracket[2], source);
  } else if ((s.match(/:/g) ?? []).length === 1) {
    const i = s.indexOf(":");
    host = s.slice(0, i);
    ports = parsePorts(s.slice(i + 1), source);
  }
  if (host === "" || host === "*") {
    if (!ports) return { kind: "any", source };
    return { kind: "port", source, ports };
  }
  let prefix: number | undefined;
  const slash = host.indexOf("/");
  if (slash >= 0) {
    prefix = Number(host.slice(slash + 1));
    host = host.slice(0, slash);
  }
  const literal = parseIPv4(host) ?? parseIPv6(host);
  if (literal) {
    const max = literal.length * 8;
    if (prefix !== undefined && !(Number.isInteger(prefix) && prefix >= 0 && prefix <= max)) {
      throw new NetEntryError(`${JSON.stringify(source)}: bad prefix length: expected 0-${max}`);
    }
    return {
      kind: "ip",
      source,
      ...normalise(literal, prefix ?? max),
      ports,
    };
  }
  if (/^[\d.]+$/.test(host)) {
    // All digits and dots: meant as an address, never a host name to look up.
    throw new NetEntryError(
      `${
        JSON.stringify(source)
      }: not an IPv4 address: expected four numbers 0-255 separated by dots, e.g. 10.1.2.3`,
    );
  }
  if (host.includes(":")) {
    throw new NetEntryError(
      `${
        JSON.stringify(source)
      }: not an IPv6 address: expected e.g. ::1, fd00::7 or [fd00::7]:443 with a port`,
    );
  }
  if (prefix !== undefined || !/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(host)) {
    throw new NetEntryError(
      `${
        JSON.stringify(source)
      }: not a host, address or CIDR: expected e.g. example.com, 10.0.0.0/8, [::1]:80, localhost:5432, unix:/run/*.sock`,
    );
  }
  return { kind: "host", source, host, ports };
}

/**
 * The entries a parsed net entry stands for: a host name becomes one entry
 * per address it resolves to.
 *
 * @throws {NetEntryError} When a host does not resolve.
 */
export function resolveNetSpec(spec: NetSpec, resolve: Resolver): NetEntry[] {
  if (spec.kind !== "host") return [spec];
  const { source, host, ports } = spec;
  const ips = resolve(host);
  if (ips.length === 0) {
    throw new NetEntryError(`${JSON.stringify(source)}: host ${host} does not resolve`);
  }
  return ips.map((ip) => {
    const bytes = parseIPv4(ip) ?? parseIPv6(ip)!;
    return {
      kind: "ip",
      source,
      ...normalise(bytes, bytes.length * 8),
      ports,
      host,
    };
  });
}

/**
 * Parses one net entry and resolves its host name, if any.
 *
 * @throws {NetEntryError} When the entry is malformed or a host does not resolve.
 */
export function parseNetEntry(source: string, resolve: Resolver): NetEntry[] {
  return resolveNetSpec(parseNetSpec(source), resolve);
}

/**
 * IPv4-mapped IPv6 networks inside `::ffff:0:0/96` are kept as IPv4; a
 * shorter prefix stays IPv6 and is compared with the mapped form of IPv4
 * destinations.
 */
function normalise(bytes: Uint8Array, prefix: number): { net: Uint8Array; prefix: number } {
  const v4 = unmapIPv4(bytes);
  return v4 && prefix >= 96 ? { net: v4, prefix: prefix - 96 } : { net: bytes, prefix };
}

function mapIPv4(v4: Uint8Array): Uint8Array {
  const out = new Uint8Array(16);
  out[10] = out[11] = 0xff;
  out.set(v4, 12);
  return out;
}

function inNet(ip: Uint8Array, net: Uint8Array, prefix: number): boolean {
  if (ip.length !== net.length) return false;
  let bits = prefix;
  for (let i = 0; i < ip.length && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((ip[i] & mask) !== (net[i] & mask)) return false;
  }
  return true;
}

/** True when `entry` covers `addr`. */
export function entryMatches(entry: NetEntry, addr: SocketAddress): boolean {
  if (entry.kind === "any") return true;
  if (addr.family === "unix") {
    return entry.kind === "unix" && entry.abstract === addr.abstract &&
      entry.pattern.test(addr.path);
  }
  if (addr.family !== "inet" && addr.family !== "inet6") return false;
  const inPorts = (p?: [number, number]) => !p || (addr.port >= p[0] && addr.port <= p[1]);
  if (entry.kind === "port") return inPorts(entry.ports);
  if (entry.kind !== "ip") return false;
  // A destination is the same whether written as IPv4 or IPv4-mapped IPv6.
  const ip = entry.net.length === 4
    ? (addr.family === "inet" ? addr.bytes : unmapIPv4(addr.bytes))
    : (addr.family === "inet6" ? addr.bytes : mapIPv4(addr.bytes));
  return ip !== undefined && inNet(ip, entry.net, entry.prefix) && inPorts(entry.ports);
}

/** Text of an address for messages and suggested flags: `10.1.2.3:443`, `[2001:db8::1]:443`, `unix:/path`. */
export function formatAddress(addr: SocketAddress): string {
  switch (addr.family) {
    case "inet":
      return `${addr.ip}:${addr.port}`;
    case "inet6": {
      const v4 = unmapIPv4(addr.bytes);
      return v4 ? `${formatIP(v4)}:${addr.port}` : `[${addr.ip}]:${addr.port}`;
    }
    case "unix":
      return `unix:${addr.abstract ? "@" : ""}${addr.path}`;
    case "unspec":
      return "AF_UNSPEC";
    default:
      return familyName(addr.number);
  }
}
