/**
 * A two-host test bed for escape tests: "near" (where jail runs) and "far"
 * (another host), two fresh network namespaces joined by a veth pair.
 *
 * - near: `vnear` 10.88.0.1/24 and fd88::1/64, lo up, default routes (v4 and v6)
 *   via far, TCP Fast Open client and server bits on, and a policy rule that
 *   routes packets carrying fwmark {@linkcode MARK} from loopback to far.
 * - far: `vfar` 10.88.0.2/24 and fd88::2/64, forwarding off, a packet sniffer
 *   (AF_PACKET on `vf`) counting frames that carry {@linkcode MARKER}, and
 *   TCP/UDP listeners on {@linkcode FAR_PORT} (v4 and v6) counting what they
 *   receive. It can probe near's addresses, to prove a jailed server is not
 *   reachable from another host.
 *
 * Each namespace is held by an unjailed python3 agent that reads commands on
 * stdin; closing stdin ends it, so nothing outlives the bed even when a test
 * crashes. Neighbours are static: no packet waits on ARP/ND, so a barrier
 * datagram sent from near after a run arrives after everything the run sent.
 *
 * @module
 */

import { LineReader, within } from "./_streams.ts";

/** The string every attacker puts in the bytes it tries to get out. */
export const MARKER = "JAILESCAPEMARKER";
/** near's addresses. */
export const NEAR = { v4: "10.88.0.1", v6: "fd88::1", dev: "vnear" } as const;
/** far's addresses. */
export const FAR = { v4: "10.88.0.2", v6: "fd88::2", dev: "vfar" } as const;
/** The port far listens on (TCP and UDP, v4 and v6). */
export const FAR_PORT = 7777;
/** The UDP port far takes barrier datagrams on. */
const BARRIER_PORT = 7779;
/**
 * Packets carrying this SO_MARK are routed from near's loopback addresses to
 * far (a policy rule ahead of the local table): a route a marked socket could
 * use to send "to 127.0.0.1" out of the host.
 */
export const MARK = 0x88;
const NEAR_MAC = "02:88:00:00:00:01";
const FAR_MAC = "02:88:00:00:00:02";

/** What reached far since the last {@linkcode Testbed.reset}. */
export interface FarCounters {
  /** Frames (any protocol) arriving on far's veth that contain the marker. */
  marker: number;
  /** Frames arriving on far's veth other than barriers and probe replies. */
  frames: number;
  /** TCP connections accepted by far's listeners. */
  tcp: number;
  /** UDP datagrams received by far's listeners. */
  udp: number;
  /** The first few frames (hex prefix) that were counted in `frames`. */
  samples: string[];
  /** Route names found after the marker (`MARKER:<route>;`), in order of arrival. */
  routes: string[];
}

/** Protocol of a far-side probe. */
export type ProbeProto = "tcp" | "udp";
/** Address family of a far-side probe. */
export type ProbeFamily = 4 | 6;

const FAR_AGENT = String.raw`
import os, socket, sys, threading, json, time, errno
MARKER = sys.argv[1].encode()
PORT = int(sys.argv[2]); BARRIER = int(sys.argv[3])
NEAR4, NEAR6 = sys.argv[4], sys.argv[5]
lock = threading.Lock()
c = {"marker": 0, "frames": 0, "tcp": 0, "udp": 0, "samples": [], "routes": []}
barriers = set()
cond = threading.Condition(lock)
probing = set()
if not sys.stdin.readline(): sys.exit(0)  # "go": the veth exists
ETH_P_ALL = 3
sn = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
sn.bind(("vfar", 0))
def sniff():
    while True:
        data, addr = sn.recvfrom(65535)
        if addr[2] == socket.PACKET_OUTGOING:
            continue
        with lock:
            if b"BARRIER" in data:
                tok = data[data.index(b"BARRIER"):].split(b"/")[0]
                barriers.add(tok.decode(errors="replace")); cond.notify_all(); continue
            if MARKER in data:
                c["marker"] += 1
                for part in data.split(MARKER)[1:]:
                    if part[:1] == b":":
                        name = part[1:].split(b";")[0][:40].decode(errors="replace")
                        if name not in c["routes"]: c["routes"].append(name)
            et = data[12:14]
            if et in (b"\x08\x06",):
                continue
            # Link-local and multicast chatter (ND, MLD, IGMP) is not an escape.
            if et == b"\x86\xdd" and (data[22:24] == b"\xfe\x80" or data[38] == 0xff):
                continue
            if et == b"\x08\x00" and data[30] >= 224:
                continue
            # Replies to our own probes (source port = probed port) are expected.
            if any(p in data for p in probing):
                continue
            c["frames"] += 1
            if len(c["samples"]) < 5:
                c["samples"].append(data[:80].hex())
threading.Thread(target=sniff, daemon=True).start()
def tcp_serve(fam, addr):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if fam == socket.AF_INET6: s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((addr, PORT)); s.listen(64)
    s.setsockopt(socket.IPPROTO_TCP, 23, 64)  # TCP_FASTOPEN
    def loop():
        while True:
            conn, _ = s.accept()
            with lock: c["tcp"] += 1
            def drain(conn=conn):
                conn.settimeout(2)
                try:
                    while True:
                        d = conn.recv(65536)
                        if not d: break
                        if MARKER in d:
                            with lock:
                                c["marker"] += 1
                                for part in d.split(MARKER)[1:]:
                                    if part[:1] == b":":
                                        name = part[1:].split(b";")[0][:40].decode(errors="replace")
                                        if name not in c["routes"]: c["routes"].append(name)
                except OSError: pass
                conn.close()
            threading.Thread(target=drain, daemon=True).start()
    threading.Thread(target=loop, daemon=True).start()
def udp_serve(fam, addr, port, counted):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    if fam == socket.AF_INET6: s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((addr, port))
    def loop():
        while True:
            d, _ = s.recvfrom(65536)
            if counted:
                with lock: c["udp"] += 1
    threading.Thread(target=loop, daemon=True).start()
for fam, a in ((socket.AF_INET, "10.88.0.2"), (socket.AF_INET6, "fd88::2")):
    tcp_serve(fam, a); udp_serve(fam, a, PORT, True)
udp_serve(socket.AF_INET, "10.88.0.2", BARRIER, False)
def probe(proto, fam, port):
    af = socket.AF_INET if fam == "4" else socket.AF_INET6
    host = NEAR4 if fam == "4" else NEAR6
    tag = port.to_bytes(2, "big")
    with lock: probing.add(tag)
    try:
        s = socket.socket(af, socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM)
        s.settimeout(0.5)
        try:
            s.connect((host, port))
            if proto == "udp":
                s.send(b"PROBE")
                s.recv(100)
            return "open"
        except socket.timeout:
            return "timeout"
        except ConnectionRefusedError:
            return "refused"
        except OSError as e:
            return errno.errorcode.get(e.errno, str(e.errno))
        finally:
            s.close()
    finally:
        with lock: probing.discard(tag)
print("ready", flush=True)
for line in sys.stdin:
    w = line.split()
    if not w: continue
    if w[0] == "stats":
        with cond:
            if not cond.wait_for(lambda: w[1] in barriers, timeout=5):
                print("nobarrier", flush=True); continue
            print(json.dumps(c), flush=True)
    elif w[0] == "reset":
        with lock:
            c.update({"marker": 0, "frames": 0, "tcp": 0, "udp": 0, "samples": [], "routes": []})
        print("ok", flush=True)
    elif w[0] == "probe":
        print(probe(w[1], w[2], int(w[3])), flush=True)
`;

const NEAR_AGENT = String.raw`
import socket, sys
print("ready", flush=True)
for line in sys.stdin:
    w = line.split()
    if w and w[0] == "barrier":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.sendto(("BARRIER" + w[1] + "/").encode(), (sys.argv[1], int(sys.argv[2])))
        s.close()
        print("sent", flush=True)
`;

/** One agent process holding a namespace. */
class Agent {
  readonly child: Deno.ChildProcess;
  readonly lines: LineReader;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(args: string[]) {
    this.child = new Deno.Command("unshare", {
      args: ["-n", "python3", "-u", ...args],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    this.lines = new LineReader(this.child.stdout);
    this.#stdin = this.child.stdin.getWriter();
  }

  get pid(): number {
    return this.child.pid;
  }

  send(line: string): Promise<void> {
    return this.#stdin.write(new TextEncoder().encode(line + "\n"));
  }

  /** Sends a command and waits for its one-line reply; requests are serialised. */
  ask(line: string, ms = 10_000): Promise<string> {
    const p = this.#queue.then(async () => {
      await this.send(line);
      return await this.next(ms, line);
    });
    this.#queue = p.catch(() => {});
    return p;
  }

  /** The agent's next line; an error when it ends first or stays silent for `ms`. */
  async next(ms: number, what: string): Promise<string> {
    const line = await within(ms, `testbed: waiting for ${what}`, this.lines.next());
    if (line === undefined) throw new Error(`testbed: agent ended while waiting for ${what}`);
    return line;
  }

  async close(): Promise<void> {
    await this.#stdin.close().catch(() => {});
    const timer = setTimeout(() => {
      try {
        this.child.kill("SIGKILL");
      } catch { /* gone */ }
    }, 3_000);
    await this.lines.cancel();
    await this.child.status;
    clearTimeout(timer);
  }
}

async function sh(prefix: string[], script: string): Promise<void> {
  const argv = [...prefix, "sh", "-c", "set -e\n" + script];
  const out = await new Deno.Command(argv[0], {
    args: argv.slice(1),
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`testbed setup failed: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
}

/**
 * The two-namespace bed. `await using bed = await Testbed.open()`; run
 * commands in near with {@linkcode Testbed.near}; read what reached far with
 * {@linkcode Testbed.counters} after a run has ended.
 */
export class Testbed implements AsyncDisposable {
  readonly #near: Agent;
  readonly #far: Agent;
  #barrier = 0;

  private constructor(near: Agent, far: Agent) {
    this.#near = near;
    this.#far = far;
  }

  /** Creates both namespaces, the veth pair, the sniffer and the listeners. */
  static async open(): Promise<Testbed> {
    const near = new Agent(["-c", NEAR_AGENT, FAR.v4, String(BARRIER_PORT)]);
    const far = new Agent([
      "-c",
      FAR_AGENT,
      MARKER,
      String(FAR_PORT),
      String(BARRIER_PORT),
      NEAR.v4,
      NEAR.v6,
    ]);
    const bed = new Testbed(near, far);
    try {
      await near.next(10_000, "near agent start");
      await sh(
        [],
        `ip link add name ${NEAR.dev} address ${NEAR_MAC} netns ${near.pid} type veth ` +
          `peer name ${FAR.dev} address ${FAR_MAC} netns ${far.pid}`,
      );
      await sh(
        bed.nearNs,
        `ip link set lo up
ip addr add ${NEAR.v4}/24 dev ${NEAR.dev}
ip -6 addr add ${NEAR.v6}/64 dev ${NEAR.dev} nodad
ip link set ${NEAR.dev} up
ip route add default via ${FAR.v4}
ip -6 route add default via ${FAR.v6}
ip neigh add ${FAR.v4} lladdr ${FAR_MAC} dev ${NEAR.dev} nud permanent
ip -6 neigh add ${FAR.v6} lladdr ${FAR_MAC} dev ${NEAR.dev} nud permanent
echo 3 > /proc/sys/net/ipv4/tcp_fastopen
ip rule add pref 100 lookup local
ip rule del pref 0
ip rule add fwmark ${MARK} lookup ${MARK} pref 10
ip route add 127.0.0.0/8 via ${FAR.v4} table ${MARK}
ip -6 rule add pref 100 lookup local
ip -6 rule del pref 0
ip -6 rule add fwmark ${MARK} lookup ${MARK} pref 10
ip -6 route add ::1/128 via ${FAR.v6} table ${MARK}`,
      );
      await sh(
        bed.farNs,
        `ip link set lo up
echo 0 > /proc/sys/net/ipv4/ip_forward
echo 0 > /proc/sys/net/ipv6/conf/all/forwarding
echo 3 > /proc/sys/net/ipv4/tcp_fastopen
ip addr add ${FAR.v4}/24 dev ${FAR.dev}
ip -6 addr add ${FAR.v6}/64 dev ${FAR.dev} nodad
ip link set ${FAR.dev} up
ip neigh add ${NEAR.v4} lladdr ${NEAR_MAC} dev ${FAR.dev} nud permanent
ip -6 neigh add ${NEAR.v6} lladdr ${NEAR_MAC} dev ${FAR.dev} nud permanent`,
      );
      const ready = await far.ask("go", 10_000);
      if (ready !== "ready") throw new Error(`testbed: far agent said ${ready}`);
      return bed;
    } catch (e) {
      await bed[Symbol.asyncDispose]();
      throw e;
    }
  }

  /** Argv prefix that runs a command in near. */
  get near(): string[] {
    return this.nearNs;
  }

  /** `nsenter` prefix for near's network namespace. */
  get nearNs(): string[] {
    return ["nsenter", `--net=/proc/${this.#near.pid}/ns/net`, "--"];
  }

  /** `nsenter` prefix for far's network namespace. */
  get farNs(): string[] {
    return ["nsenter", `--net=/proc/${this.#far.pid}/ns/net`, "--"];
  }

  /** Path of far's network namespace (for attackers that try to join it). */
  get farNsPath(): string {
    return `/proc/${this.#far.pid}/ns/net`;
  }

  /** Zeroes far's counters. */
  async reset(): Promise<void> {
    const r = await this.#far.ask("reset");
    if (r !== "ok") throw new Error(`testbed: reset said ${r}`);
  }

  /**
   * What reached far since the last reset. Call after the run has ended: a
   * barrier datagram from near is awaited first, so that every frame sent
   * before it has been counted.
   */
  async counters(): Promise<FarCounters> {
    const n = `${++this.#barrier}x${Date.now()}`;
    const sent = await this.#near.ask(`barrier ${n}`);
    if (sent !== "sent") throw new Error(`testbed: barrier said ${sent}`);
    const r = await this.#far.ask(`stats BARRIER${n}`);
    if (!r.startsWith("{")) throw new Error(`testbed: barrier ${n} never reached far (${r})`);
    return JSON.parse(r);
  }

  /** True when any frame carrying {@linkcode MARKER} reached far since the last reset. */
  async markerSeen(): Promise<boolean> {
    return (await this.counters()).marker > 0;
  }

  /**
   * Tries to reach near's address on `port` from far: TCP connect, or a UDP
   * datagram awaiting any reply. `open` = reachable; `refused` = nothing
   * listens there; `timeout` = no answer at all (for UDP: something may have
   * received it but not replied).
   */
  async probeFromFar(proto: ProbeProto, family: ProbeFamily, port: number): Promise<string> {
    return await this.#far.ask(`probe ${proto} ${family} ${port}`, 10_000);
  }

  /** Ends both agents (and with them the namespaces and the veth pair). */
  async [Symbol.asyncDispose](): Promise<void> {
    await Promise.all([this.#near.close(), this.#far.close()]);
  }
}
