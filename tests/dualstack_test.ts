/**
 * Dual-stack and wildcard sockets behave inside the jail exactly as outside:
 * servers in node, python3 and deno that bind `::` (dual-stack, and v6-only
 * where the language can ask for it), `0.0.0.0` or the runtime's default, on
 * port 0, are reached from 127.0.0.1 and from ::1 exactly as natively, and
 * report the same getsockname(); client sockets bound to the wildcard before
 * they send to an allowed destination work as natively.
 *
 * Each case runs natively first (the expected answer, with sanity checks so
 * the comparison cannot pass vacuously) and then jailed, in the same fresh
 * network namespace (DESIGN.md, testing rules) with lo up. The "allowed"
 * non-loopback peers 10.77.0.99 and fd77::99 sit one veth hop away in a
 * second fresh namespace, where an unjailed `net_serve` listens on TCP and
 * UDP port 53: a real next hop, unlike an address on lo, so that a socket
 * narrowed to loopback fails there as it would towards a real server.
 */

import assert from "node:assert/strict";
import {
  buildC,
  canUnshareNet,
  jail,
  type JailRun,
  keyValues,
  native,
  PYTHON,
  spawnJail,
  until,
  which,
} from "./_helpers.ts";

/** The allowed non-loopback destinations, served inside the namespace. */
const V4_PEER = "10.77.0.99";
const V6_PEER = "fd77::99";
const PEER_PORT = 53;
/** This side of the link to them. */
const V4_LOCAL = "10.77.0.1";
const V6_LOCAL = "fd77::1";
const ALLOW = `--allow-net=${V4_PEER}:${PEER_PORT},[${V6_PEER}]:${PEER_PORT}`;

/** Env for jailed runtimes: no update checks going out on their own. */
const QUIET = { DENO_NO_UPDATE_CHECK: "1", NO_UPDATE_NOTIFIER: "1", NO_COLOR: "1" };

const NODE = await which("node");

/** The deno on PATH, else the one running this test. */
const DENO = await which("deno") || Deno.execPath();

const netns = await canUnshareNet() && await which("nsenter") !== "";
const ignore = !netns || !NODE;
if (ignore) {
  console.log(
    "dualstack_test: SKIPPED: needs `unshare -n`, nsenter and node (the cases run in a fresh " +
      "network namespace)",
  );
}

/** Probe programs, written once for the whole file. */
const DIR = Deno.makeTempDirSync({ prefix: "jail-dualstack-" });
globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(DIR, { recursive: true });
  } catch { /* already gone */ }
});

/**
 * Node: each argument names one case; each case prints `key value` lines.
 * Servers listen on port 0, print what `address()` says (the port only as
 * "set": it differs run to run), then connect from 127.0.0.1 and ::1.
 */
const NODE_PROBE = `${DIR}/probe.js`;
Deno.writeTextFileSync(
  NODE_PROBE,
  `
const net = require("net"), dgram = require("dgram");
const [v4peer, v6peer, peerPort] = [process.argv[2], process.argv[3], Number(process.argv[4])];
const LISTEN = {
  dual: { host: "::", port: 0 },
  v6only: { host: "::", port: 0, ipv6Only: true },
  any4: { host: "0.0.0.0", port: 0 },
  default: { port: 0 },
  loop4: { host: "127.0.0.1", port: 0 },
  loop6: { host: "::1", port: 0 },
};
function tryConnect(host, port) {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const t = setTimeout(() => { s.destroy(); resolve("timeout"); }, 3000);
    s.on("connect", () => { clearTimeout(t); s.end(); resolve("ok"); });
    s.on("error", (e) => { clearTimeout(t); resolve(e.code); });
  });
}
function out(name, key, value) { console.log(name + "." + key + " " + value); }
async function server(name) {
  const srv = net.createServer((c) => c.end("hi"));
  const err = await new Promise((resolve) => {
    srv.once("error", (e) => resolve(e.code));
    srv.listen(LISTEN[name], () => resolve(undefined));
  });
  if (err) return out(name, "listen", err);
  const a = srv.address();
  out(name, "address", a.address + " " + a.family + " port " + (a.port > 0 ? "set" : a.port));
  out(name, "from127", await tryConnect("127.0.0.1", a.port));
  out(name, "from::1", await tryConnect("::1", a.port));
  await new Promise((r) => srv.close(r));
}
function udp(name, type, wildcard, dest) {
  return new Promise((resolve) => {
    const s = dgram.createSocket(type);
    const t = setTimeout(() => { s.close(); out(name, "send", "timeout"); resolve(); }, 3000);
    s.on("error", (e) => { clearTimeout(t); out(name, "error", e.code); s.close(); resolve(); });
    s.bind(0, wildcard, () => {
      out(name, "bound", s.address().address);
      s.send(Buffer.from("x"), peerPort, dest, (e) => {
        clearTimeout(t);
        out(name, "send", e ? e.code : "ok");
        s.close();
        resolve();
      });
    });
  });
}
function tcp(name, localAddress, host) {
  return new Promise((resolve) => {
    const s = net.connect({ host, port: peerPort, localAddress });
    const t = setTimeout(() => { s.destroy(); out(name, "connect", "timeout"); resolve(); }, 3000);
    s.on("connect", () => {
      clearTimeout(t);
      out(name, "connect", "ok");
      out(name, "local", s.localAddress);
      s.end();
      resolve();
    });
    s.on("error", (e) => { clearTimeout(t); out(name, "connect", e.code); resolve(); });
  });
}
const CLIENT = {
  udp4: () => udp("udp4", "udp4", "0.0.0.0", v4peer),
  udp6: () => udp("udp6", "udp6", "::", v6peer),
  tcp4: () => tcp("tcp4", "0.0.0.0", v4peer),
  tcp6: () => tcp("tcp6", "::", v6peer),
};
(async () => {
  for (const name of process.argv.slice(5)) await (CLIENT[name] ? CLIENT[name]() : server(name));
})();
`,
);

/** Python: the same cases with the socket module. */
const PY_PROBE = `${DIR}/probe.py`;
Deno.writeTextFileSync(
  PY_PROBE,
  `
import errno, socket, sys
v4peer, v6peer, peer_port = sys.argv[1], sys.argv[2], int(sys.argv[3])

def out(name, key, value):
    print(name + "." + key, value, flush=True)

def code(e):
    if isinstance(e, socket.timeout):
        return "timeout"
    return errno.errorcode.get(e.errno, str(e.errno))

def try_connect(host, port):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    c = socket.socket(fam, socket.SOCK_STREAM)
    c.settimeout(3)
    try:
        c.connect((host, port))
        return "ok"
    except OSError as e:
        return code(e)
    finally:
        c.close()

def listener(name):
    if name == "create_server_dual":
        return socket.create_server(("", 0), family=socket.AF_INET6, dualstack_ipv6=True)
    fam = socket.AF_INET if name == "any4" else socket.AF_INET6
    s = socket.socket(fam, socket.SOCK_STREAM)
    if name in ("dual", "v6only"):
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1 if name == "v6only" else 0)
    s.bind(("0.0.0.0" if name == "any4" else "::", 0))
    s.listen(8)
    return s

def server(name):
    try:
        s = listener(name)
    except OSError as e:
        return out(name, "listen", code(e))
    a = s.getsockname()
    out(name, "address", "%s port %s" % (a[0], "set" if a[1] > 0 else a[1]))
    if s.family == socket.AF_INET6:
        out(name, "v6only", s.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY))
    out(name, "from127", try_connect("127.0.0.1", a[1]))
    out(name, "from::1", try_connect("::1", a[1]))
    s.close()

def client(name):
    kind = socket.SOCK_DGRAM if name.startswith("udp") else socket.SOCK_STREAM
    v6 = name.endswith("6")
    s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, kind)
    s.settimeout(3)
    dest = (v6peer if v6 else v4peer, peer_port)
    try:
        s.bind(("::" if v6 else "0.0.0.0", 0))
        out(name, "bound", s.getsockname()[0])
        if kind == socket.SOCK_DGRAM:
            s.sendto(b"x", dest)
            out(name, "send", "ok")
        else:
            s.connect(dest)
            out(name, "connect", "ok")
        out(name, "local", s.getsockname()[0])
    except OSError as e:
        out(name, "error", code(e))
    finally:
        s.close()

for name in sys.argv[4:]:
    (client if name[:3] in ("udp", "tcp") else server)(name)
`,
);

/** Deno: listeners only (Deno.connect cannot bind a local address first). */
const DENO_PROBE = `${DIR}/probe_deno.ts`;
Deno.writeTextFileSync(
  DENO_PROBE,
  `
const LISTEN: Record<string, { hostname?: string; port: number }> = {
  dual: { hostname: "::", port: 0 },
  any4: { hostname: "0.0.0.0", port: 0 },
  default: { port: 0 },
};
async function tryConnect(hostname: string, port: number): Promise<string> {
  let timer: number | undefined;
  const limit = new Promise<string>((r) => timer = setTimeout(() => r("timeout"), 3000));
  const attempt = Deno.connect({ hostname, port }).then((c) => {
    c.close();
    return "ok";
  }, (e) => e.code ?? e.name);
  try {
    return await Promise.race([attempt, limit]);
  } finally {
    clearTimeout(timer);
  }
}
for (const name of Deno.args) {
  const l = Deno.listen(LISTEN[name]);
  const a = l.addr as Deno.NetAddr;
  console.log(name + ".address " + a.hostname + " port " + (a.port > 0 ? "set" : a.port));
  console.log(name + ".from127 " + await tryConnect("127.0.0.1", a.port));
  console.log(name + ".from::1 " + await tryConnect("::1", a.port));
  l.close();
}
`,
);

/** Reads one line from a child's stdout, killing the child at `ms`. */
async function firstLine(
  child: Deno.ChildProcess,
  reader: ReadableStreamDefaultReader<Uint8Array>,
  ms: number,
): Promise<string> {
  const dec = new TextDecoder();
  let text = "";
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
  }, ms);
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += dec.decode(value);
  }
  clearTimeout(timer);
  return text.split("\n")[0];
}

/** Closes a holder's stdin (it exits at EOF), drains its stdout, reaps it. */
async function close(
  child: Deno.ChildProcess,
  stdin: WritableStreamDefaultWriter<Uint8Array>,
  stdout: ReadableStreamDefaultReader<Uint8Array>,
): Promise<void> {
  await stdin.close().catch(() => {});
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
  }, 5_000);
  while (!(await stdout.read()).done) { /* drain the final counts */ }
  await child.status;
  clearTimeout(timer);
}

/** Shell steps that give `dev` an IPv4 /24 and an IPv6 /64 address and bring it up. */
function addressed(dev: string, v4: string, v6: string): string[] {
  return [
    `ip addr add ${v4}/24 dev ${dev}`,
    `ip -6 addr add ${v6}/64 dev ${dev} nodad`,
    `ip link set ${dev} up`,
  ];
}

/**
 * Two fresh network namespaces joined by a veth pair: the test's, where the
 * commands run (lo up, `v0` holding 10.77.0.1/24 and fd77::1/64), and the
 * peer's, where an unjailed `net_serve` listens at the allowed peers on `v1`.
 * The peers are a real next hop, not local addresses: a socket bound to
 * loopback cannot send there (EINVAL), which is what a jail that narrows a
 * wildcard bind to loopback breaks. Both holders exit when their stdin
 * closes, so nothing outlives the test.
 */
class Ns implements AsyncDisposable {
  readonly #holders: {
    child: Deno.ChildProcess;
    stdin: WritableStreamDefaultWriter<Uint8Array>;
    stdout: ReadableStreamDefaultReader<Uint8Array>;
  }[] = [];

  /** `net_serve <serveArgs>` in a fresh network namespace set up by `steps` (sh, set -e). */
  #spawn(serve: string, steps: string[], serveArgs: string[]) {
    const script = ["set -e", "ip link set lo up", ...steps, 'exec "$@"'].join("\n");
    const child = new Deno.Command("unshare", {
      args: ["-n", "sh", "-c", script, "sh", serve, ...serveArgs],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const h = { child, stdin: child.stdin.getWriter(), stdout: child.stdout.getReader() };
    this.#holders.push(h);
    return h;
  }

  static async open(): Promise<Ns> {
    const serve = await buildC("net_serve");
    const ns = new Ns();
    try {
      // The peer's namespace waits (on a line of stdin) until its end of the pair arrives.
      const peer = ns.#spawn(
        serve,
        ["read go", ...addressed("v1", V4_PEER, V6_PEER)],
        [`${PEER_PORT}`, V4_PEER, V6_PEER],
      );
      // `unshare -n sh` execs in place: the child's pid is in the peer's namespace.
      const here = ns.#spawn(serve, [
        `ip link add v0 type veth peer name v1 netns ${peer.child.pid}`,
        ...addressed("v0", V4_LOCAL, V6_LOCAL),
      ], ["0"]);
      const held = await firstLine(here.child, here.stdout, 10_000);
      if (!held.startsWith("ready")) throw new Error(`test namespace did not start: ${held}`);
      await peer.stdin.write(new TextEncoder().encode("go\n"));
      const ready = await firstLine(peer.child, peer.stdout, 10_000);
      if (ready !== `ready ${PEER_PORT}`) throw new Error(`peer did not start: ${ready}`);
    } catch (e) {
      await ns[Symbol.asyncDispose]();
      throw e;
    }
    return ns;
  }

  /** Argv prefix that runs a command inside the test's namespace. */
  get prefix(): string[] {
    return ["nsenter", `--net=/proc/${this.#holders[1].child.pid}/ns/net`, "--"];
  }

  /** Argv prefix that runs a command in the peer's namespace, one hop away. */
  get peerPrefix(): string[] {
    return ["nsenter", `--net=/proc/${this.#holders[0].child.pid}/ns/net`, "--"];
  }

  async [Symbol.asyncDispose](): Promise<void> {
    for (const h of this.#holders) await close(h.child, h.stdin, h.stdout);
  }
}

/**
 * Runs `argv` natively then jailed (with the peers allowed) in one fresh
 * namespace; checks the native answer with `expect`, then that the jailed
 * one is the same.
 */
async function same(
  argv: string[],
  expect: Record<string, string | RegExp>,
): Promise<void> {
  await using ns = await Ns.open();
  const nat = await native(argv, { prefix: ns.prefix, env: QUIET, timeoutMs: 30_000 });
  assert.equal(nat.code, 0, `native run failed:\n${nat.stdout}${nat.stderr}`);
  const want = keyValues(nat.stdout);
  for (const [k, v] of Object.entries(expect)) {
    if (v instanceof RegExp) assert.match(want[k] ?? "", v, `native ${k}: ${nat.stdout}`);
    else assert.equal(want[k], v, `native ${k}: ${nat.stdout}`);
  }
  const jailed = await jail([ALLOW, "--", ...argv], {
    prefix: ns.prefix,
    env: QUIET,
    timeoutMs: 60_000,
  });
  assert.deepEqual(
    keyValues(jailed.stdout),
    want,
    `jailed differs from native (exit ${jailed.code})\nstderr: ${jailed.stderr}`,
  );
  assert.equal(jailed.code, 0, jailed.stderr);
}

/** The probes' first arguments: where the peers are. */
const PEERS = [V4_PEER, V6_PEER, `${PEER_PORT}`];
/** The client cases, each probe's own way: UDP and TCP, IPv4 and IPv6, from the wildcard. */
const CLIENTS = ["udp4", "udp6", "tcp4", "tcp6"];
/** What every client probe's TCP connects find: the peer reached, from this side's address. */
const TCP_CLIENTS = {
  "tcp4.connect": "ok",
  "tcp4.local": V4_LOCAL,
  "tcp6.connect": "ok",
  "tcp6.local": V6_LOCAL,
};

const t = (name: string, fn: () => Promise<void>) =>
  Deno.test({ name, ignore, sanitizeResources: false, sanitizeOps: false, fn });

t(
  "dualstack: the express repro: listen(0) on the default host, then GET from 127.0.0.1",
  async () => {
    const repro = `const http=require("http");` +
      `const srv=http.createServer((q,r)=>r.end("ok")).listen(0,()=>` +
      `http.get({host:"127.0.0.1",port:srv.address().port},(res)=>{let b="";` +
      `res.on("data",(d)=>b+=d);res.on("end",()=>{console.log("got "+b);srv.close()})})` +
      `.on("error",(e)=>{console.log("got "+e.code);srv.close()}))`;
    await same([NODE, "-e", repro], { got: "ok" });
  },
);

t("dualstack: node servers on ::, :: v6-only, 0.0.0.0, default host and loopback", async () => {
  await same([
    NODE,
    NODE_PROBE,
    ...PEERS,
    "dual",
    "v6only",
    "any4",
    "default",
    "loop4",
    "loop6",
  ], {
    "dual.address": ":: IPv6 port set",
    "dual.from127": "ok",
    "dual.from::1": "ok",
    "v6only.from127": "ECONNREFUSED",
    "v6only.from::1": "ok",
    "any4.address": "0.0.0.0 IPv4 port set",
    "any4.from127": "ok",
    "any4.from::1": "ECONNREFUSED",
    "default.from127": "ok",
    "loop4.from::1": "ECONNREFUSED",
    "loop6.from127": "ECONNREFUSED",
  });
});

t(
  "dualstack: python3 servers on :: (V6ONLY 0 and 1), 0.0.0.0, create_server dualstack",
  async () => {
    await same([
      PYTHON,
      PY_PROBE,
      ...PEERS,
      "dual",
      "v6only",
      "any4",
      "create_server_dual",
    ], {
      "dual.address": ":: port set",
      "dual.v6only": "0",
      "dual.from127": "ok",
      "dual.from::1": "ok",
      "v6only.v6only": "1",
      "v6only.from127": "ECONNREFUSED",
      "v6only.from::1": "ok",
      "any4.from127": "ok",
      "any4.from::1": "ECONNREFUSED",
      "create_server_dual.from127": "ok",
      "create_server_dual.from::1": "ok",
    });
  },
);

t("dualstack: deno servers on ::, 0.0.0.0 and the default host", async () => {
  await same([DENO, "run", "-A", "--no-check", DENO_PROBE, "dual", "any4", "default"], {
    "dual.address": ":: port set",
    "dual.from127": "ok",
    "dual.from::1": "ok",
    "any4.from::1": "ECONNREFUSED",
    "default.from127": "ok",
  });
});

t(
  "dualstack: node clients bound to the wildcard send to an allowed peer (udp/tcp, v4/v6)",
  async () => {
    await same([NODE, NODE_PROBE, ...PEERS, ...CLIENTS], {
      "udp4.bound": "0.0.0.0",
      "udp4.send": "ok",
      "udp6.bound": "::",
      "udp6.send": "ok",
      ...TCP_CLIENTS,
    });
  },
);

t("dualstack: the udp4 repro: bind(0) then send to an allowed 10.77.0.99:53", async () => {
  const repro = `const s=require('dgram').createSocket('udp4');` +
    `s.bind(0,()=>s.send(Buffer.from('x'),53,'${V4_PEER}',e=>{console.log('send '+(e?e.code:'ok'));s.close()}))`;
  await same([NODE, "-e", repro], { send: "ok" });
});

t(
  "dualstack: python3 clients bound to the wildcard send to an allowed peer (udp/tcp, v4/v6)",
  async () => {
    await same([PYTHON, PY_PROBE, ...PEERS, ...CLIENTS], {
      "udp4.bound": "0.0.0.0",
      "udp4.send": "ok",
      "udp4.local": "0.0.0.0",
      "udp6.send": "ok",
      ...TCP_CLIENTS,
    });
  },
);

/**
 * A server on `::` (TCP, and UDP on the same port) that prints its port,
 * counts what reaches it, and on a "barrier" datagram prints the counts and
 * exits.
 */
const WIDE_SERVER = `${DIR}/wide_server.js`;
Deno.writeTextFileSync(
  WIDE_SERVER,
  `
const net = require("net"), dgram = require("dgram");
let tcp = 0;
const udp = [];
// The peer closes at once, maybe before "hi" lands: its RST must not end the server.
const srv = net.createServer((c) => { tcp++; c.on("error", () => {}); c.end("hi"); });
srv.listen(0, "::", () => {
  const port = srv.address().port;
  const u = dgram.createSocket("udp6");
  u.on("message", (m) => {
    if (m.toString() !== "barrier") return udp.push(m.toString());
    console.log("tcp " + tcp);
    console.log("udp " + (udp.sort().join(",") || "none"));
    u.close();
    srv.close();
  });
  u.bind(port, "::", () => console.log("port " + port + " " + u.address().address));
});
`,
);

/** From the peer's namespace: a datagram and a TCP connect to each of our addresses. */
const PEER_CLIENT = `
import errno, socket, sys
port = int(sys.argv[1])
targets = ((socket.AF_INET, sys.argv[2]), (socket.AF_INET6, sys.argv[3]))
for fam, host in targets:
    u = socket.socket(fam, socket.SOCK_DGRAM)
    u.sendto(("peer-" + host).encode(), (host, port))
    u.close()
for fam, host in targets:
    c = socket.socket(fam, socket.SOCK_STREAM)
    c.settimeout(2)
    try:
        c.connect((host, port))
        print(host, "ok")
    except socket.timeout:
        print(host, "timeout")
    except OSError as e:
        print(host, errno.errorcode.get(e.errno, str(e.errno)))
    c.close()
`;

/**
 * A loopback datagram, sent after the peer's: the server reports once one
 * arrives. To both loopbacks, so a server narrowed to either still reports.
 */
const BARRIER = `
import socket, sys
for fam, host in ((socket.AF_INET6, "::1"), (socket.AF_INET, "127.0.0.1")):
    u = socket.socket(fam, socket.SOCK_DGRAM)
    u.sendto(b"barrier", (host, int(sys.argv[1])))
    u.close()
`;

/**
 * Runs {@linkcode WIDE_SERVER} natively or jailed (no peer allowed), lets the
 * peer try it, then reports what the peer saw and what reached the server.
 */
async function wideServer(ns: Ns, jailed: boolean): Promise<Record<string, string>> {
  const argv = [NODE, WIDE_SERVER];
  let stdout: () => string;
  let done: Promise<JailRun>;
  if (jailed) {
    const live = spawnJail(["--", ...argv], { prefix: ns.prefix, env: QUIET, timeoutMs: 30_000 });
    stdout = live.stdout;
    done = live.done;
  } else {
    // native() collects at exit; this run must be read while it runs.
    let text = "";
    stdout = () => text;
    const child = new Deno.Command(ns.prefix[0], {
      args: [...ns.prefix.slice(1), ...argv],
      stdout: "piped",
      stderr: "inherit",
      env: QUIET,
    }).spawn();
    const timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
    }, 30_000);
    const dec = new TextDecoder();
    done = (async () => {
      for await (const chunk of child.stdout) text += dec.decode(chunk);
      const st = await child.status;
      clearTimeout(timer);
      return { code: st.code, signal: st.signal, stdout: text, stderr: "" };
    })();
  }
  await until("server's port", () => /^port \d+/m.test(stdout()), 15_000);
  const [, port, address] = /^port (\d+) (\S+)/m.exec(stdout())!;
  const peer = await native([PYTHON, "-c", PEER_CLIENT, port, V4_LOCAL, V6_LOCAL], {
    prefix: ns.peerPrefix,
    env: QUIET,
    timeoutMs: 30_000,
  });
  assert.equal(peer.code, 0, peer.stderr);
  const barrier = await native([PYTHON, "-c", BARRIER, port], {
    prefix: ns.prefix,
    env: QUIET,
    timeoutMs: 30_000,
  });
  assert.equal(barrier.code, 0, barrier.stderr);
  const end = await done;
  assert.equal(end.code, 0, end.stdout + end.stderr);
  const { port: _, ...counts } = keyValues(end.stdout);
  return { address, ...keyValues(peer.stdout), ...counts };
}

t("dualstack: a jailed server on :: is not reachable from a peer that is not allowed", async () => {
  await using ns = await Ns.open();
  // Natively the peer one hop away reaches it over TCP and UDP, v4 and v6.
  assert.deepEqual(await wideServer(ns, false), {
    address: "::",
    [V4_LOCAL]: "ok",
    [V6_LOCAL]: "ok",
    tcp: "2",
    udp: [`peer-${V4_LOCAL}`, `peer-${V6_LOCAL}`].sort().join(","),
  });
  // Jailed, the bind stays a wildcard but nothing from the peer gets in.
  const jailed = await wideServer(ns, true);
  assert.equal(jailed.address, "::");
  assert.notEqual(jailed[V4_LOCAL], "ok");
  assert.notEqual(jailed[V6_LOCAL], "ok");
  assert.equal(jailed.tcp, "0");
  assert.equal(jailed.udp, "none");
});
