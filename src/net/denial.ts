/**
 * What the tree is told about a denied network call: the denial as data,
 * the advice that goes with a denied destination, and its one-line report.
 *
 * @module
 */

import { entryMatches, formatAddress, type SocketAddress } from "./address.ts";
import { isDnsServer } from "./dns.ts";
import type { NetCheck, NetPolicy } from "./policy.ts";
import type { Verdict } from "./verdict.ts";

/** A denied destination, for the one-line report. */
export interface NetDenial {
  call: NetCheck;
  /**
   * What was denied: `10.1.2.3:443`, `unix:/run/x.sock`, `AF_VSOCK`, `a raw socket`;
   * for "socket" and "setsockopt", and a refused control message, the whole phrase.
   */
  address: string;
  /** A host name of the policy that stands for this address. */
  host?: string;
  /** What the user can do about it, e.g. `allow with --allow-net=10.1.2.3:443`. */
  hint?: string;
  /** True when `address` is the whole phrase (`setsockopt SO_MARK`), not a destination. */
  phrase?: boolean;
  /**
   * For a denied DNS query: what it asked, e.g. `example.com (A, AAAA)`
   * (empty when the lookup was stopped before a query was seen).
   */
  dns?: string;
}

/** Where the refusals of one call go: what the call fails with, and who is told. */
export interface Refusal {
  /** The call refused. */
  call: NetCheck;
  /** errno the refused call returns. */
  errno: number;
  /** Reports the denial (one line). */
  report(denial: NetDenial): void;
}

/**
 * The one-line report of a denial, e.g.
 * `jail: denied connect to 10.1.2.3:443 (pid 1234 curl); allow with --allow-net=10.1.2.3:443`.
 */
export function denialLine(d: NetDenial, pid: number, comm: string): string {
  const who = `${d.host ? `${d.host}, ` : ""}pid ${pid} ${comm}`;
  if (d.dns !== undefined) {
    return `jail: denied DNS lookup ${d.dns ? `of ${d.dns} ` : ""}via ${d.address} (${who})`;
  }
  const what = d.call === "socket" || d.phrase ? d.address : `${d.call} to ${d.address}`;
  return `jail: denied ${what} (${who})${d.hint ? `; ${d.hint}` : ""}`;
}

/**
 * The denial of a destination `addr` under `policy`, with the advice that
 * fits it (the deny entry that matched, the `--allow-net` that would allow
 * it, or why none would).
 *
 * @param dns Reads the DNS query the call carries, when `addr` is a DNS server.
 */
export function destinationDenial(
  policy: NetPolicy,
  call: NetCheck,
  addr: SocketAddress,
  v: Verdict,
  dns?: () => string | undefined,
): NetDenial {
  const address = formatAddress(addr);
  const host = hostOf(policy, addr);
  let hint: string | undefined;
  if (v.hint) hint = v.hint;
  else if (v.deny) hint = `it matches the deny entry ${v.deny.source}`;
  else if (addr.family === "other") {
    hint = policy.deny.length === 0
      ? "only --allow-net with no list (every destination) allows this family"
      : undefined;
  } else {
    const port = addr.family === "inet" || addr.family === "inet6" ? `:${addr.port}` : "";
    hint = `allow with --allow-net=${host ? `${host}${port}` : address}`;
  }
  const query = dns && isDnsServer(addr) ? dns() : undefined;
  return { call, address, host, hint, dns: query };
}

/** A host name from the policy's lists that resolved to this IP (any port). */
function hostOf(policy: NetPolicy, addr: SocketAddress): string | undefined {
  if (addr.family !== "inet" && addr.family !== "inet6") return undefined;
  for (const e of [...policy.deny, ...policy.allow]) {
    if (e.kind === "ip" && e.host && entryMatches({ ...e, ports: undefined }, addr)) {
      return e.host;
    }
  }
  return undefined;
}
