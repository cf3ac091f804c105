/**
 * The network jail end to end: allow and deny lists on real connections,
 * host names, unix sockets, DNS with the network closed, wildcard binds, real
 * clients (curl, python, node, deno), the check-to-use race on a sockaddr, and
 * the cost of it all.
 *
 * Every non-loopback attempt runs inside a fresh network namespace
 * (DESIGN.md, testing rules). Where servers must sit on non-loopback
 * addresses, `net_serve` (unjailed) holds the namespace and listens there;
 * jailed and control commands join it with `nsenter`. What reached each
 * server is counted by the server, so "denied" is proven on both ends.
 */

import assert from "node:assert/strict";
import {
  buildC,
  canUnshareNet,
  denials,
  jail,
  keyValues,
  native,
  ok,
  PYTHON,
  spawnJail,
  TIME_SCALE,
  until,
  which,
} from "./_helpers.ts";
import { LineReader, within } from "./_streams.ts";

const netns = await canUnshareNet() && await which("nsenter") !== "";
if (!netns) {
  console.log(
    "net_test: `unshare -n` (or nsenter) is not available here: the tests that try " +
      "non-loopback destinations are skipped",
  );
}

/** Env for jailed runtimes: no update checks going out on their own. */
const QUIET = { DENO_NO_UPDATE_CHECK: "1", NO_UPDATE_NOTIFIER: "1" };

/** A test body with a hard time limit (each command in it has its own too). */
function limited(ms: number, body: () => Promise<void>): () => Promise<void> {
  return () => within(ms * TIME_SCALE, "test", body());
}

/** A test that tries non-loopback destinations (ignored without a namespace), time-limited. */
function netnsTest(name: string, ms: number, body: () => Promise<void>): void {
  Deno.test({ name, ignore: !netns, fn: limited(ms, body) });
}

/** SIGKILLs a child that may have exited already (a failed namespace set-up). */
function kill(child: Deno.ChildProcess): void {
  try {
    child.kill("SIGKILL");
  } catch { /* already gone */ }
}

/** What reached each address of a {@linkcode Netns}'s server. */
type Counts = Record<string, { tcp: number; udp: number }>;

interface NetnsOptions {
  /** Addresses `net_serve` listens on (TCP and UDP, one port); non-loopback ones go on `lo`. */
  serve?: string[];
  /** A veth pair holding the default route: packets to anywhere else vanish, connects hang. */
  blackhole?: boolean;
  /** Files bind-mounted over others, in a mount namespace of its own: target → source. */
  binds?: Record<string, string>;
}

/**
 * A fresh network namespace (and mount namespace, with `binds`), held open by
 * an unjailed `net_serve` that counts what reaches its addresses. Commands
 * join it through {@linkcode Netns.prefix}.
 */
class Netns implements AsyncDisposable {
  readonly port: number;
  readonly #child: Deno.ChildProcess;
  readonly #out: LineReader;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  readonly #mount: boolean;

  private constructor(
    child: Deno.ChildProcess,
    out: LineReader,
    port: number,
    mount: boolean,
  ) {
    this.#child = child;
    this.#out = out;
    this.port = port;
    this.#mount = mount;
    this.#stdin = child.stdin.getWriter();
  }

  static async open(opts: NetnsOptions = {}): Promise<Netns> {
    const serve = await buildC("net_serve");
    const addrs = opts.serve ?? [];
    const steps = ["set -e", "ip link set lo up"];
    for (const a of addrs) {
      if (a === "127.0.0.1" || a === "::1") continue;
      steps.push(
        a.includes(":") ? `ip -6 addr add ${a}/128 dev lo nodad` : `ip addr add ${a}/32 dev lo`,
      );
    }
    if (opts.blackhole) {
      steps.push(
        "ip link add v0 type veth peer name v1",
        "ip addr add 10.99.0.1/24 dev v0",
        "ip link set v0 up",
        "ip link set v1 up",
        "ip route add default dev v0",
      );
    }
    const binds = Object.entries(opts.binds ?? {});
    for (const [target, source] of binds) steps.push(`mount --bind '${source}' '${target}'`);
    steps.push('exec "$@"');
    const mount = binds.length > 0;
    const child = new Deno.Command("unshare", {
      args: [
        ...(mount ? ["-m"] : []),
        "-n",
        "sh",
        "-c",
        steps.join("\n"),
        "sh",
        serve,
        "0",
        ...addrs,
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const out = new LineReader(child.stdout);
    let ready: string | undefined;
    try {
      ready = await within(10_000, "net_serve start", out.next());
    } catch (e) {
      kill(child);
      await child.status;
      throw e;
    }
    const m = /^ready (\d+)$/.exec(ready ?? "");
    if (!m) {
      kill(child);
      await child.status;
      throw new Error(`net_serve did not start (the namespace's set-up failed): ${ready}`);
    }
    return new Netns(child, out, Number(m[1]), mount);
  }

  /** Argv prefix that runs a command inside this namespace. */
  get prefix(): string[] {
    const proc = `/proc/${this.#child.pid}`;
    // Entering the mount namespace sets the root to the namespace's own: keep the one the
    // namespace's holder has (the same, unless the suite itself runs in a chroot).
    const mount = this.#mount ? [`--mount=${proc}/ns/mnt`, `--root=${proc}/root`, "--wd=/"] : [];
    return ["nsenter", `--net=${proc}/ns/net`, ...mount, "--"];
  }

  /** What reached each served address so far. */
  async counts(): Promise<Counts> {
    await this.#stdin.write(new TextEncoder().encode("count\n"));
    const counts: Counts = {};
    for (;;) {
      const line = await within(10_000, "net_serve counts", this.#out.next());
      if (line === undefined || line === "end") return counts;
      const [proto, addr, n] = line.split(" ");
      counts[addr] ??= { tcp: 0, udp: 0 };
      counts[addr][proto as "tcp" | "udp"] = Number(n);
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#stdin.close().catch(() => {});
    const timer = setTimeout(() => {
      try {
        this.#child.kill("SIGKILL");
      } catch { /* gone */ }
    }, 5_000);
    // Drain whatever it prints last, so the pipe never blocks its exit.
    while (await this.#out.next() !== undefined) { /* discard */ }
    await this.#child.status;
    clearTimeout(timer);
  }
}

/** Tries a TCP connect to each `host:port` argument; prints `target ok:<server>` or `target <errno>`. */
const CONNECT_PROBE = `
import socket, sys
for target in sys.argv[1:]:
    host, port = target.rsplit(":", 1)
    try:
        fam, kind, proto, _, addr = socket.getaddrinfo(host.strip("[]"), int(port), type=socket.SOCK_STREAM)[0]
        s = socket.socket(fam, kind, proto)
        s.settimeout(3)
        s.connect(addr)
        print(target, "ok:" + s.recv(64).decode().split()[-1])
        s.close()
    except socket.timeout:
        print(target, "timeout")
    except socket.gaierror as e:
        print(target, "gaierror")
    except OSError as e:
        print(target, e.errno)
`;

const probe = (...targets: string[]) => [PYTHON, "-c", CONNECT_PROBE, ...targets];

/** Sums the `ok:<addr>` results of probe runs per server address. */
function reached(...outs: Record<string, string>[]): Record<string, number> {
  const n: Record<string, number> = {};
  for (const out of outs) {
    for (const v of Object.values(out)) {
      if (v.startsWith("ok:")) n[v.slice(3)] = (n[v.slice(3)] ?? 0) + 1;
    }
  }
  return n;
}

netnsTest(
  "net: allow and deny lists decide real connections: host:port, CIDR, port ranges, deny wins, IPv6",
  40_000,
  async () => {
    await using ns = await Netns.open({
      serve: ["10.1.2.3", "10.1.2.4", "10.2.0.5", "127.0.0.1", "fd00::3", "fd00::4", "::1"],
    });
    const P = ns.port;
    const Q = P + 1; // allowed by the range below, nobody listens: refused, not denied
    const R = P + 2;
    const run = (flags: string[], ...targets: string[]) =>
      jail([...flags, "--", ...probe(...targets)], { prefix: ns.prefix, timeoutMs: 30_000 });
    // Unjailed, every server is reachable: what the jail denies below is the jail's doing.
    const control = keyValues(
      (await native(probe(`10.1.2.4:${P}`, `[fd00::4]:${P}`), { prefix: ns.prefix })).stdout,
    );
    assert.deepEqual(control, {
      [`10.1.2.4:${P}`]: "ok:10.1.2.4",
      [`[fd00::4]:${P}`]: "ok:fd00::4",
    });

    const [exact, cidr, range, portOnly, denyWins, v6, v6deny, wildcard] = await Promise.all([
      run([`--allow-net=10.1.2.3:${P}`], `10.1.2.3:${P}`, `10.1.2.4:${P}`, `10.1.2.3:${Q}`),
      run(["--allow-net=10.1.2.0/24"], `10.1.2.3:${P}`, `10.1.2.4:${P}`, `10.2.0.5:${P}`),
      run([`--allow-net=10.1.2.3:${P}-${Q}`], `10.1.2.3:${P}`, `10.1.2.3:${Q}`, `10.1.2.3:${R}`),
      run([`--allow-net=*:${P}`], `10.2.0.5:${P}`, `10.2.0.5:${R}`),
      run(
        ["--allow-net=10.1.2.0/24,10.2.0.0/16", "--deny-net=10.1.2.4,10.2.0.5:" + P],
        `10.1.2.3:${P}`,
        `10.1.2.4:${P}`,
        `10.2.0.5:${P}`,
      ),
      run(
        [`--allow-net=[fd00::3]:${P},10.1.2.3`],
        `[fd00::3]:${P}`,
        `[fd00::4]:${P}`,
        `[::1]:${P}`,
        `[::ffff:10.1.2.3]:${P}`,
        `[::ffff:10.1.2.4]:${P}`,
      ),
      run(["--deny-net=[::1]"], `[::1]:${P}`, `127.0.0.1:${P}`, `[::]:${P}`, `0.0.0.0:${P}`),
      run(
        ["--allow-net", `--deny-net=127.0.0.1:${P}`],
        `0.0.0.0:${P}`,
        `[::ffff:0.0.0.0]:${P}`,
        `10.2.0.5:${P}`,
      ),
    ]);
    const runs = [exact, cidr, range, portOnly, denyWins, v6, v6deny, wildcard];
    for (const r of runs) ok(r);
    const out = runs.map((r) => keyValues(r.stdout));
    assert.deepEqual(out[0], {
      [`10.1.2.3:${P}`]: "ok:10.1.2.3",
      [`10.1.2.4:${P}`]: "13",
      [`10.1.2.3:${Q}`]: "13",
    }, "host:port: that address and port only");
    assert.deepEqual(out[1], {
      [`10.1.2.3:${P}`]: "ok:10.1.2.3",
      [`10.1.2.4:${P}`]: "ok:10.1.2.4",
      [`10.2.0.5:${P}`]: "13",
    }, "CIDR");
    assert.deepEqual(out[2], {
      [`10.1.2.3:${P}`]: "ok:10.1.2.3",
      [`10.1.2.3:${Q}`]: "111", // allowed: the kernel refuses, nobody listens
      [`10.1.2.3:${R}`]: "13",
    }, "port range");
    assert.deepEqual(out[3], {
      [`10.2.0.5:${P}`]: "ok:10.2.0.5",
      [`10.2.0.5:${R}`]: "13",
    }, "*:port");
    assert.deepEqual(out[4], {
      [`10.1.2.3:${P}`]: "ok:10.1.2.3",
      [`10.1.2.4:${P}`]: "13",
      [`10.2.0.5:${P}`]: "13",
    }, "deny wins over allow");
    assert.deepEqual(out[5], {
      [`[fd00::3]:${P}`]: "ok:fd00::3",
      [`[fd00::4]:${P}`]: "13",
      [`[::1]:${P}`]: "ok:::1",
      [`[::ffff:10.1.2.3]:${P}`]: "ok:10.1.2.3",
      [`[::ffff:10.1.2.4]:${P}`]: "13",
    }, "IPv6, loopback ::1 by default, IPv4-mapped the same as IPv4");
    assert.deepEqual(out[6], {
      [`[::1]:${P}`]: "13",
      [`127.0.0.1:${P}`]: "ok:127.0.0.1",
      [`[::]:${P}`]: "13", // :: as a destination is ::1
      [`0.0.0.0:${P}`]: "ok:127.0.0.1", // and 0.0.0.0 is 127.0.0.1: loopback, allowed
    }, "--deny-net=[::1]");
    assert.deepEqual(out[7], {
      [`0.0.0.0:${P}`]: "13",
      [`[::ffff:0.0.0.0]:${P}`]: "13",
      [`10.2.0.5:${P}`]: "ok:10.2.0.5",
    }, "a wildcard destination is no way around a loopback deny entry");

    // The reports: one line each, with the flag that would allow it, or the deny entry that matched.
    assert.deepEqual(denials(exact.stderr).map((l) => l.replace(/pid \d+/, "pid N")), [
      `jail: denied connect to 10.1.2.4:${P} (pid N python3); allow with --allow-net=10.1.2.4:${P}`,
      `jail: denied connect to 10.1.2.3:${Q} (pid N python3); allow with --allow-net=10.1.2.3:${Q}`,
    ]);
    assert.deepEqual(denials(denyWins.stderr).map((l) => l.replace(/pid \d+/, "pid N")), [
      `jail: denied connect to 10.1.2.4:${P} (pid N python3); it matches the deny entry 10.1.2.4`,
      `jail: denied connect to 10.2.0.5:${P} (pid N python3); it matches the deny entry 10.2.0.5:${P}`,
    ]);
    assert.match(
      v6.stderr,
      new RegExp(
        `^jail: denied connect to \\[fd00::4\\]:${P} \\(pid \\d+ python3\\); allow with --allow-net=\\[fd00::4\\]:${P}$`,
        "m",
      ),
    );

    // The servers saw exactly the connections the probes report, nothing denied got through.
    const counts = await ns.counts();
    const seen = reached(...out);
    for (
      const addr of ["10.1.2.3", "10.1.2.4", "10.2.0.5", "127.0.0.1", "fd00::3", "fd00::4", "::1"]
    ) {
      const control = addr === "10.1.2.4" || addr === "fd00::4" ? 1 : 0;
      assert.equal(counts[addr].tcp, (seen[addr] ?? 0) + control, `connections at ${addr}`);
    }
  },
);

/** Unjailed unix server: listens on each path (or `@abstract` name), greets with its name, counts. */
const UNIX_SERVER = `
import selectors, socket, sys
sel = selectors.DefaultSelector()
counts = {}
for name in sys.argv[1:]:
    s = socket.socket(socket.AF_UNIX)
    s.bind("\\0" + name[1:] if name.startswith("@") else name)
    s.listen(64)
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ, name)
    counts[name] = 0
sel.register(sys.stdin, selectors.EVENT_READ, None)
print("ready", flush=True)
while True:
    for key, _ in sel.select():
        if key.data is None:
            if not sys.stdin.readline():
                for name, n in counts.items():
                    print(name, n)
                sys.exit(0)
            continue
        c, _ = key.fileobj.accept()
        counts[key.data] += 1
        c.sendall(("hello " + key.data + "\\n").encode())
        c.close()
`;

/** Steps `label=target` (connect to a path or `@name`) and `cd=DIR`; prints `label ok:<server>` or `label <errno>`. */
const UNIX_PROBE = `
import os, socket, sys
for step in sys.argv[1:]:
    label, target = step.split("=", 1)
    if label == "cd":
        os.chdir(target)
        continue
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect("\\0" + target[1:] if target.startswith("@") else target)
        print(label, "ok:" + s.recv(200).decode().split()[-1])
    except OSError as e:
        print(label, e.errno)
    s.close()
`;

Deno.test({
  name:
    "net: unix sockets: glob allow and deny by real path (symlinks, .., relative paths), abstract names",
  fn: limited(30_000, async () => {
    const dir = await Deno.makeTempDir({ prefix: "jail_net_unix_" });
    const tag = `jailtest-${Deno.pid}`;
    const server = new Deno.Command(PYTHON, {
      args: [
        "-c",
        UNIX_SERVER,
        `${dir}/srv/a.sock`,
        `${dir}/srv/b.sock`,
        `@${tag}-a`,
        `@${tag}-b`,
        `@other-${Deno.pid}`,
      ],
      stdin: "piped",
      stdout: "piped",
    });
    await Deno.mkdir(`${dir}/srv`);
    await Deno.mkdir(`${dir}/pub`);
    await Deno.mkdir(`${dir}/work`);
    await Deno.symlink(`${dir}/srv/a.sock`, `${dir}/pub/link.sock`);
    await Deno.symlink(`${dir}/srv/b.sock`, `${dir}/pub/alink.sock`);
    await Deno.writeTextFile(`${dir}/closed.json`, JSON.stringify({ net: { unix: false } }));
    const child = server.spawn();
    const out = new LineReader(child.stdout);
    try {
      assert.equal(await within(10_000, "unix server start", out.next()), "ready");
      const run = (flags: string[], ...steps: string[]) =>
        jail([...flags, "--", PYTHON, "-c", UNIX_PROBE, ...steps], { cwd: dir, timeoutMs: 20_000 });
      const [open, denied, allowed] = await Promise.all([
        run([], `a=${dir}/srv/a.sock`, `abstract=@${tag}-a`),
        run(
          [`--deny-net=unix:${dir}/srv/*.sock,unix:@${tag}-*`],
          `direct=${dir}/srv/a.sock`,
          `symlink=${dir}/pub/link.sock`,
          `dotdot=${dir}/pub/../srv/a.sock`,
          `cd=${dir}/srv`,
          "relative=b.sock",
          `cd=${dir}/pub`,
          "relative_link=link.sock",
          `abstract=@${tag}-a`,
          `other_abstract=@other-${Deno.pid}`,
        ),
        run(
          [
            "--config",
            `${dir}/closed.json`,
            `--allow-net=unix:${dir}/srv/a*.sock,unix:${dir}/pub/*,unix:@${tag}-a`,
          ],
          `a=${dir}/srv/a.sock`,
          `b=${dir}/srv/b.sock`,
          `link_to_a=${dir}/pub/link.sock`,
          `link_to_b=${dir}/pub/alink.sock`,
          `abstract_a=@${tag}-a`,
          `abstract_b=@${tag}-b`,
        ),
      ]);
      for (const r of [open, denied, allowed]) ok(r);
      assert.deepEqual(keyValues(open.stdout), {
        a: `ok:${dir}/srv/a.sock`,
        abstract: `ok:@${tag}-a`,
      }, "unix sockets are allowed by default");
      assert.deepEqual(keyValues(denied.stdout), {
        direct: "13",
        symlink: "13", // a symlink to a denied socket is that socket
        dotdot: "13",
        relative: "13", // resolved against the tracee's working directory
        relative_link: "13",
        abstract: "13",
        other_abstract: `ok:@other-${Deno.pid}`,
      });
      assert.deepEqual(keyValues(allowed.stdout), {
        a: `ok:${dir}/srv/a.sock`,
        b: "13",
        link_to_a: `ok:${dir}/srv/a.sock`,
        link_to_b: "13", // an allowed place holding a symlink to a socket that is not allowed
        abstract_a: `ok:@${tag}-a`,
        abstract_b: "13",
      }, '"unix": false with an allow list');
      // One report per process and real destination, naming the deny entry.
      assert.deepEqual(denials(denied.stderr).map((l) => l.replace(/pid \d+/, "pid N")), [
        `jail: denied connect to unix:${dir}/srv/a.sock (pid N python3); it matches the deny entry unix:${dir}/srv/*.sock`,
        `jail: denied connect to unix:${dir}/srv/b.sock (pid N python3); it matches the deny entry unix:${dir}/srv/*.sock`,
        `jail: denied connect to unix:@${tag}-a (pid N python3); it matches the deny entry unix:@${tag}-*`,
      ]);
      assert.match(
        allowed.stderr,
        new RegExp(
          `^jail: denied connect to unix:${dir}/srv/b\\.sock \\(pid \\d+ python3\\); allow with --allow-net=unix:${dir}/srv/b\\.sock$`,
          "m",
        ),
      );

      // A relative bind made after chdir lands where the process stands, not where the jail does.
      const bind = await jail([
        "--",
        PYTHON,
        "-c",
        `import os, socket
os.chdir(${JSON.stringify(`${dir}/work`)})
s = socket.socket(socket.AF_UNIX); s.bind("rel.sock"); s.listen(1)
c = socket.socket(socket.AF_UNIX); c.connect("rel.sock")
print("bound", os.path.exists(${JSON.stringify(`${dir}/work/rel.sock`)}))
print("stray", os.path.exists(${JSON.stringify(`${dir}/rel.sock`)}))`,
      ], { cwd: dir, timeoutMs: 20_000 });
      ok(bind);
      assert.deepEqual(keyValues(bind.stdout), { bound: "True", stray: "False" });

      // The server saw only the connections the probes report.
      await child.stdin.close();
      const served: Record<string, string> = {};
      for (let l; (l = await within(10_000, "unix server counts", out.next())) !== undefined;) {
        const [name, n] = l.split(" ");
        served[name] = n;
      }
      const seen = reached(
        keyValues(open.stdout),
        keyValues(denied.stdout),
        keyValues(allowed.stdout),
      );
      assert.deepEqual(served, {
        [`${dir}/srv/a.sock`]: String(seen[`${dir}/srv/a.sock`]),
        [`${dir}/srv/b.sock`]: "0",
        [`@${tag}-a`]: String(seen[`@${tag}-a`]),
        [`@${tag}-b`]: "0",
        [`@other-${Deno.pid}`]: "1",
      });
    } finally {
      try {
        child.kill("SIGKILL");
      } catch { /* exited */ }
      await out.cancel();
      await child.status;
      await Deno.remove(dir, { recursive: true });
    }
  }),
});

netnsTest(
  "net: host names resolve once, at start (localhost, /etc/hosts), and name the address in reports",
  30_000,
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "jail_net_hosts_" });
    const hosts = `${dir}/hosts`;
    const hostsText =
      "127.0.0.1 localhost\n::1 localhost\n10.1.2.3 api.jailtest moving.jailtest\n" +
      "10.1.2.4 blocked.jailtest\n";
    await Deno.writeTextFile(hosts, hostsText);
    // No DNS server can be reached here: only /etc/hosts answers, and unknown names fail at once.
    await Deno.writeTextFile(`${dir}/resolv.conf`, "nameserver 10.53.53.53\n");
    await Deno.writeTextFile(`${dir}/closed.json`, JSON.stringify({ net: { loopback: false } }));
    try {
      await using ns = await Netns.open({
        serve: ["10.1.2.3", "10.1.2.4", "127.0.0.1", "::1"],
        binds: { "/etc/hosts": hosts, "/etc/resolv.conf": `${dir}/resolv.conf` },
      });
      const P = ns.port;
      const Q = P + 1;
      const run = (flags: string[], ...targets: string[]) =>
        jail([...flags, "--", ...probe(...targets)], { prefix: ns.prefix, timeoutMs: 20_000 });
      const [named, denyNamed, local] = await Promise.all([
        run(
          [`--allow-net=api.jailtest:${P}`],
          `api.jailtest:${P}`,
          `10.1.2.4:${P}`,
          `api.jailtest:${Q}`,
        ),
        run(
          ["--allow-net=10.1.2.0/24", "--deny-net=blocked.jailtest"],
          `10.1.2.3:${P}`,
          `blocked.jailtest:${P}`,
        ),
        run(
          ["--config", `${dir}/closed.json`, `--allow-net=localhost:${P}`],
          `localhost:${P}`,
          `127.0.0.1:${P}`,
          `[::1]:${P}`,
          `127.0.0.1:${Q}`,
        ),
      ]);
      for (const r of [named, denyNamed, local]) ok(r);
      assert.deepEqual(keyValues(named.stdout), {
        [`api.jailtest:${P}`]: "ok:10.1.2.3",
        [`10.1.2.4:${P}`]: "13",
        [`api.jailtest:${Q}`]: "13",
      });
      assert.match(
        named.stderr,
        new RegExp(
          `^jail: denied connect to 10\\.1\\.2\\.3:${Q} \\(api\\.jailtest, pid \\d+ python3\\); allow with --allow-net=api\\.jailtest:${Q}$`,
          "m",
        ),
        "the policy's name for the address, and a flag in its terms",
      );
      assert.deepEqual(keyValues(denyNamed.stdout), {
        [`10.1.2.3:${P}`]: "ok:10.1.2.3",
        [`blocked.jailtest:${P}`]: "13",
      });
      assert.match(
        denyNamed.stderr,
        new RegExp(
          `^jail: denied connect to 10\\.1\\.2\\.4:${P} \\(blocked\\.jailtest, pid \\d+ python3\\); it matches the deny entry blocked\\.jailtest$`,
          "m",
        ),
      );
      assert.deepEqual(keyValues(local.stdout), {
        [`localhost:${P}`]: "ok:::1",
        [`127.0.0.1:${P}`]: "ok:127.0.0.1",
        [`[::1]:${P}`]: "ok:::1",
        [`127.0.0.1:${Q}`]: "13",
      }, "localhost:PORT (every address it resolves to) with loopback otherwise closed");

      // Resolved once: the name moving to another address later does not move the permission.
      const moved = await jail([
        `--allow-net=moving.jailtest:${P}`,
        "--",
        PYTHON,
        "-c",
        `open("/etc/hosts", "w").write(${
          JSON.stringify(hostsText.replace("moving.jailtest", ""))
        } + "10.1.2.4 moving.jailtest\\n")
exec(${JSON.stringify(CONNECT_PROBE)})`,
        `moving.jailtest:${P}`,
        `10.1.2.3:${P}`,
      ], { prefix: ns.prefix, timeoutMs: 20_000 });
      ok(moved);
      assert.deepEqual(keyValues(moved.stdout), {
        [`moving.jailtest:${P}`]: "13", // now 10.1.2.4: not what was allowed
        [`10.1.2.3:${P}`]: "ok:10.1.2.3",
      });

      // A name that does not resolve is an error at start, naming the flag.
      const bad = await jail(["--allow-net=nowhere.jailtest", "--", "true"], {
        prefix: ns.prefix,
        timeoutMs: 20_000,
      });
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /--allow-net.*nowhere\.jailtest.*does not resolve/);

      const counts = await ns.counts();
      assert.equal(counts["10.1.2.4"].tcp, 0, "nothing denied reached 10.1.2.4");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

netnsTest(
  "net: DNS with the network closed fails at once, where an unjailed lookup hangs; the name is reported",
  30_000,
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "jail_net_dns_" });
    await Deno.writeTextFile(`${dir}/resolv.conf`, "nameserver 10.53.53.53\n");
    try {
      // The only route leads into a veth pair where packets vanish: a real lookup waits for its timeout.
      await using ns = await Netns.open({
        blackhole: true,
        binds: { "/etc/resolv.conf": `${dir}/resolv.conf` },
      });
      const lookup = `
import socket, time
start = time.monotonic()
try:
    socket.getaddrinfo("example.com", 80)
    print("result resolved")
except socket.gaierror as e:
    print("result gaierror", e.errno)
print("elapsed_ms", int((time.monotonic() - start) * 1000))
`;
      const bounded = (argv: string[]) =>
        native(["timeout", "-s", "KILL", "2.5", ...argv], { prefix: ns.prefix, timeoutMs: 10_000 });
      const [pyControl, getentControl, py, curl, getent] = await Promise.all([
        bounded([PYTHON, "-c", lookup]),
        bounded(["getent", "hosts", "example.com"]),
        jail(["--", PYTHON, "-c", lookup], { prefix: ns.prefix, timeoutMs: 20_000 }),
        jail(["--log", `${dir}/curl.jsonl`, "--", "curl", "-sS", "http://example.org/"], {
          prefix: ns.prefix,
          timeoutMs: 20_000,
        }),
        (async () => {
          const start = performance.now();
          const run = await jail(["--", "getent", "hosts", "example.com"], {
            prefix: ns.prefix,
            timeoutMs: 20_000,
          });
          return { ...run, ms: performance.now() - start };
        })(),
      ]);
      // Unjailed: still waiting for an answer when killed at 2.5 s.
      for (const c of [pyControl, getentControl]) {
        assert.equal(c.code, 137, `the control hangs until killed: ${c.stdout}${c.stderr}`);
        assert.ok(c.ms >= 2_400, `${c.ms} ms`);
      }
      ok(py);
      const out = keyValues(py.stdout);
      assert.match(out.result, /^gaierror /);
      assert.ok(
        Number(out.elapsed_ms) < 1_000 * TIME_SCALE,
        `jailed lookup took ${out.elapsed_ms} ms`,
      );
      // The query is read from the datagram that was never sent: one line, with the name.
      assert.deepEqual(denials(py.stderr).map((l) => l.replace(/pid \d+/, "pid N")), [
        "jail: denied DNS lookup of example.com (A, AAAA) via 10.53.53.53:53 (pid N python3)",
      ]);
      assert.deepEqual(denials(curl.stderr).map((l) => l.replace(/pid \d+/, "pid N")), [
        "jail: denied DNS lookup of example.org (A, AAAA) via 10.53.53.53:53 (pid N curl)",
      ]);
      assert.equal(curl.code, 6, curl.stderr);
      // The log's event for the denied call carries the question too.
      const log = (await Deno.readTextFile(`${dir}/curl.jsonl`)).trim().split("\n").map((l) =>
        JSON.parse(l)
      );
      assert.ok(
        log.some((r) => r.decision === "deny" && r.dns === "example.org (A, AAAA)"),
        JSON.stringify(log.filter((r) => r.decision === "deny")),
      );
      assert.equal(getent.code, 2, getent.stderr);
      assert.ok(
        getent.ms < 2_000 * TIME_SCALE,
        `jailed getent took ${getent.ms} ms, jail start included`,
      );
      // getent sends its single query with send(), which the kernel refuses (the socket was
      // never connected) without a stop here: reported once, without the name.
      assert.deepEqual(denials(getent.stderr).map((l) => l.replace(/pid \d+/, "pid N")), [
        "jail: denied DNS lookup via 10.53.53.53:53 (pid N getent)",
      ]);
      console.log(
        `  dns: unjailed lookups still hanging at ${Math.round(pyControl.ms)} ms; jailed ` +
          `getaddrinfo failed in ${out.elapsed_ms} ms, getent in ${
            Math.round(getent.ms)
          } ms with jail start`,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

/** Binds wildcard addresses (including AF_UNSPEC, which IPv4 binds as 0.0.0.0); prints what getsockname says. */
const BIND_PROBE = `
import ctypes, socket, struct
libc = ctypes.CDLL(None, use_errno=True)
def bound(family, addr):
    s = socket.socket(family)
    try:
        s.bind(addr)
    except OSError as e:
        return "errno%d" % e.errno
    s.listen(1)
    c = socket.socket(family)
    c.connect(s.getsockname())  # reachable over loopback either way
    return s.getsockname()[0]
print("v4", bound(socket.AF_INET, ("0.0.0.0", 0)))
print("v6", bound(socket.AF_INET6, ("::", 0)))
print("mapped", bound(socket.AF_INET6, ("::ffff:0.0.0.0", 0)))
s = socket.socket(socket.AF_INET)
unspec = struct.pack("<HH4s8x", 0, 0, bytes(4))
rc = libc.bind(s.fileno(), unspec, len(unspec))
print("unspec", s.getsockname()[0] if rc == 0 else "errno%d" % ctypes.get_errno())
`;

netnsTest(
  'net: bind to 0.0.0.0 / :: stays a wildcard by default ("guard", alias "rewrite"); net.bind "allow" and "deny"',
  30_000,
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "jail_net_bind_" });
    for (const mode of ["allow", "deny", "rewrite"]) {
      await Deno.writeTextFile(`${dir}/${mode}.json`, JSON.stringify({ net: { bind: mode } }));
    }
    try {
      await using ns = await Netns.open();
      const py = [PYTHON, "-c", BIND_PROBE];
      const [control, guard, rewrite, allow, deny] = await Promise.all([
        native(py, { prefix: ns.prefix }),
        jail(["--", ...py], { prefix: ns.prefix }),
        jail(["--config", `${dir}/rewrite.json`, "--", ...py], { prefix: ns.prefix }),
        jail(["--config", `${dir}/allow.json`, "--", ...py], { prefix: ns.prefix }),
        jail(["--config", `${dir}/deny.json`, "--", ...py], { prefix: ns.prefix }),
      ]);
      for (const r of [control, guard, rewrite, allow, deny]) ok(r);
      const all = { v4: "0.0.0.0", v6: "::", mapped: "::ffff:0.0.0.0", unspec: "0.0.0.0" };
      assert.deepEqual(keyValues(control.stdout), all);
      // Guarded binds are native (the filter that guards them is tested over a veth pair).
      assert.deepEqual(keyValues(guard.stdout), all);
      assert.deepEqual(keyValues(rewrite.stdout), all, '"rewrite" is the former name of "guard"');
      assert.equal(guard.stderr, "", "a guarded bind is silent");
      assert.deepEqual(keyValues(allow.stdout), all);
      assert.deepEqual(keyValues(deny.stdout), {
        v4: "errno13",
        v6: "errno13",
        mapped: "errno13",
        unspec: "errno13",
      });
      assert.match(
        deny.stderr,
        /^jail: denied bind to 0\.0\.0\.0:0 \(pid \d+ python3\); net\.bind is "deny": bind to 127\.0\.0\.1 or ::1$/m,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

netnsTest(
  "net: real clients (curl, python, node, deno) reach a loopback server, and fail at once elsewhere",
  40_000,
  async () => {
    let served = 0;
    await using server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      () => {
        served++;
        return new Response("hello from the test server");
      },
    );
    const port = server.addr.port;
    const url = `http://127.0.0.1:${port}/`;
    const GET = "GET / HTTP/1.0\\r\\nHost: test\\r\\n\\r\\n";
    const loopback: Record<string, string[]> = {
      curl: ["curl", "-sS", url],
      python_socket: [
        PYTHON,
        "-c",
        `import socket
s = socket.create_connection(("127.0.0.1", ${port}))
s.sendall(b"${GET}")
print(s.makefile("rb").read().decode().split("\\r\\n\\r\\n", 1)[1])`,
      ],
      python_urllib: [
        PYTHON,
        "-c",
        `import urllib.request; print(urllib.request.urlopen("${url}").read().decode())`,
      ],
      node_fetch: ["node", "-e", `fetch("${url}").then((r) => r.text()).then(console.log)`],
      node_net: [
        "node",
        "-e",
        `let d = ""; const s = require("net").connect(${port}, "127.0.0.1", () => s.end("${GET}"));
s.on("data", (c) => d += c).on("end", () => console.log(d.split("\\r\\n\\r\\n")[1]));`,
      ],
      deno_fetch: [Deno.execPath(), "eval", `console.log(await (await fetch("${url}")).text())`],
    };
    const names = Object.keys(loopback);
    const got = await Promise.all(
      names.map((n) => jail(["--", ...loopback[n]], { env: QUIET, timeoutMs: 30_000 })),
    );
    got.forEach((r, i) => {
      ok(r, names[i]);
      assert.equal(r.stdout.trim(), "hello from the test server", names[i]);
      assert.equal(denials(r.stderr).length, 0, `${names[i]}: ${r.stderr}`);
    });
    assert.equal(served, names.length);

    // Elsewhere: each client tries three times; the unjailed control hangs in the black hole.
    await using ns = await Netns.open({ blackhole: true });
    const far = "http://10.1.2.3:80/";
    const elsewhere: Record<string, string[]> = {
      curl: ["curl", "-sS", "-v", "--retry", "2", "--retry-all-errors", "--retry-delay", "0", far],
      python_socket: [
        PYTHON,
        "-c",
        `import socket, time
t = time.monotonic()
for i in range(3):
    try:
        socket.create_connection(("10.1.2.3", 80), timeout=10)
    except OSError as e:
        print("attempt%d" % i, type(e).__name__, e.errno)
print("elapsed_ms", int((time.monotonic() - t) * 1000))`,
      ],
      python_urllib: [
        PYTHON,
        "-c",
        `import time, urllib.error, urllib.request
t = time.monotonic()
for i in range(3):
    try:
        urllib.request.urlopen("${far}", timeout=10)
    except urllib.error.URLError as e:
        print("attempt%d" % i, type(e.reason).__name__, e.reason.errno)
print("elapsed_ms", int((time.monotonic() - t) * 1000))`,
      ],
      node_fetch: [
        "node",
        "-e",
        `const t = Date.now();
(async () => {
  for (let i = 0; i < 3; i++) {
    try { await fetch("${far}", { signal: AbortSignal.timeout(10000) }); }
    catch (e) { console.log("attempt" + i, e.cause?.code); }
  }
  console.log("elapsed_ms", Date.now() - t);
})();`,
      ],
      node_net: [
        "node",
        "-e",
        `const t = Date.now();
const net = require("net");
const attempt = (i) => i === 3 ? console.log("elapsed_ms", Date.now() - t) :
  net.connect(80, "10.1.2.3").on("error", (e) => { console.log("attempt" + i, e.code); attempt(i + 1); });
attempt(0);`,
      ],
      deno_fetch: [
        Deno.execPath(),
        "eval",
        `const t = Date.now();
for (let i = 0; i < 2; i++) {
  try { await fetch("${far}", { signal: AbortSignal.timeout(10000) }); }
  catch (e) { console.log("attempt" + i, /Permission denied \\(os error 13\\)/.test(String(e.cause)) ? "os-error-13" : String(e.cause)); }
}
try { await Deno.connect({ hostname: "10.1.2.3", port: 80 }); }
catch (e) { console.log("attempt2", e.constructor.name); }
console.log("elapsed_ms", Date.now() - t);`,
      ],
    };
    const [control, ...denied] = await Promise.all([
      native(["curl", "-sS", "--connect-timeout", "2", far], { prefix: ns.prefix }),
      ...names.map((n) =>
        jail(["--", ...elsewhere[n]], { prefix: ns.prefix, env: QUIET, timeoutMs: 30_000 })
      ),
    ]);
    assert.equal(control.code, 28, `unjailed curl times out: ${control.stderr}`);
    assert.ok(control.ms >= 1_900);
    const expected: Record<string, string> = {
      python_socket: "PermissionError 13",
      python_urllib: "PermissionError 13",
      node_fetch: "EACCES",
      node_net: "EACCES",
    };
    const comm: Record<string, string> = { curl: "curl", deno_fetch: "deno", node_fetch: "node" };
    const times: string[] = [];
    denied.forEach((r, i) => {
      const name = names[i];
      const out = keyValues(r.stdout);
      if (name === "curl") {
        assert.equal(r.code, 7, r.stderr);
        assert.match(r.stderr, /Immediate connect fail for 10\.1\.2\.3: Permission denied/);
        assert.equal(r.stderr.match(/curl: \(7\)/g)?.length, 3, "three attempts");
      } else if (name === "deno_fetch") {
        assert.deepEqual(
          [out.attempt0, out.attempt1, out.attempt2],
          ["os-error-13", "os-error-13", "PermissionDenied"],
          r.stdout + r.stderr,
        );
      } else {
        assert.deepEqual(
          [out.attempt0, out.attempt1, out.attempt2],
          [expected[name], expected[name], expected[name]],
          `${name}: ${r.stdout}${r.stderr}`,
        );
      }
      if (out.elapsed_ms) {
        assert.ok(
          Number(out.elapsed_ms) < 1_500 * TIME_SCALE,
          `${name}: ${out.elapsed_ms} ms for 3 attempts`,
        );
        times.push(`${name} ${out.elapsed_ms} ms`);
      }
      // Exactly one report per process and destination, however often the client retried.
      const who = comm[name] ?? (name.startsWith("node") ? "node" : "python3");
      assert.deepEqual(
        denials(r.stderr).map((l) => l.replace(/pid \d+/, "pid N")),
        [`jail: denied connect to 10.1.2.3:80 (pid N ${who}); allow with --allow-net=10.1.2.3:80`],
        `${name}: ${r.stderr}`,
      );
    });
    console.log(`  three denied attempts each: ${times.join(", ")}`);

    // Per process: two curls, two reports.
    const twice = await jail(["--", "sh", "-c", `curl -sS ${far}; curl -sS ${far}; true`], {
      prefix: ns.prefix,
      timeoutMs: 20_000,
    });
    const pids = denials(twice.stderr).map((l) => /pid (\d+)/.exec(l)![1]);
    assert.equal(pids.length, 2, twice.stderr);
    assert.notEqual(pids[0], pids[1]);
  },
);

/** `net_race` / `net_connect_loop` output as numbers. */
function figures(stdout: string): Record<string, number> {
  return Object.fromEntries(Object.entries(keyValues(stdout)).map(([k, v]) => [k, Number(v)]));
}

netnsTest(
  "net: check-to-use race: a thread flipping the sockaddr never gets a connect or datagram to the denied address",
  60_000,
  async () => {
    const race = await buildC("net_race");
    // 10.1.2.3 sits on lo with a listener: a connect that won the race WOULD land there.
    await using ns = await Netns.open({ serve: ["127.0.0.1", "10.1.2.3"], blackhole: true });
    const inNs = { prefix: ns.prefix, timeoutMs: 30_000 };
    const P = String(ns.port);
    const N = "10000";
    const flip = (mode: string, good = "127.0.0.1", n = N) => [race, mode, good, "10.1.2.3", P, n];

    // The test can fail: unjailed, and jailed with -A (nothing checked), the flip reaches 10.1.2.3.
    const control = figures((await native(flip("tcp", "127.0.0.1", "2000"), inNs)).stdout);
    const open = await jail(["-A", "--", ...flip("tcp", "127.0.0.1", "2000")], inNs);
    ok(open);
    // The server counts datagrams as it reads them, which may be after it answers a count: ask
    // again (bounded) until the unjailed ones show, so that the jailed counts start from there.
    // On a loaded machine the flipping thread may not run while the sender does (no datagram
    // won the race): run the unjailed sender again, a few times at most.
    let udpControl: Record<string, number> = {};
    let c0 = await ns.counts();
    for (let run = 0; run < 5 && !(c0["10.1.2.3"]?.udp > 0); run++) {
      udpControl = figures((await native(flip("udp", "127.0.0.1", "2000"), inNs)).stdout);
      for (let i = 0; i < 50 && !(c0["10.1.2.3"]?.udp > 0); i++) c0 = await ns.counts();
    }
    assert.ok(control.bad > 0, `unjailed: ${JSON.stringify(control)}`);
    assert.ok(figures(open.stdout).bad > 0, `-A: ${open.stdout}`);
    assert.equal(c0["10.1.2.3"].tcp, control.bad + figures(open.stdout).bad, "getpeername agrees");
    assert.ok(c0["10.1.2.3"].udp > 0, `unjailed datagrams reached 10.1.2.3: ${udpControl.ok}`);

    // Jailed: every connect and sendto either reaches 127.0.0.1 or is denied.
    const tcp = await jail(["--", ...flip("tcp")], inNs);
    const udp = await jail(["--", ...flip("udp")], inNs);
    // A sibling's shutdown() on a socket in SYN_SENT resets it to unconnected: the connect the
    // tracee resumes would start over from memory. 10.5.5.5 is allowed and never answers.
    const shut = await jail(
      ["--allow-net=10.5.5.5", "--", ...flip("tcp-shutdown", "10.5.5.5", "5000")],
      inNs,
    );
    for (const r of [tcp, udp, shut]) ok(r);
    const c1 = await ns.counts();
    const t = figures(tcp.stdout), u = figures(udp.stdout), s = figures(shut.stdout);
    assert.equal(t.bad, 0, tcp.stdout);
    assert.equal(s.bad, 0, shut.stdout);
    assert.equal(c1["10.1.2.3"].tcp, c0["10.1.2.3"].tcp, "no connection reached 10.1.2.3");
    assert.equal(c1["10.1.2.3"].udp, c0["10.1.2.3"].udp, "no datagram reached 10.1.2.3");
    // Both sides of the flip were exercised, and what was allowed arrived where it was checked.
    assert.ok(t.ok > 0 && t.errno_13 > 0, tcp.stdout);
    assert.ok(u.ok > 0 && u.errno_13 > 0, udp.stdout);
    assert.ok(s.errno_13 > 0 && s.attempts - s.errno_13 > 0, shut.stdout);
    assert.equal(c1["127.0.0.1"].tcp - c0["127.0.0.1"].tcp, t.ok);
    assert.equal(c1["127.0.0.1"].udp - c0["127.0.0.1"].udp, u.ok);
    for (const r of [tcp, udp]) {
      assert.equal(denials(r.stderr).length, 1, `one report for thousands of denials: ${r.stderr}`);
    }
    console.log(
      `  race, ${N} each under jail: connect ${t.elapsed_ms} ms (${t.ok} to 127.0.0.1, ` +
        `${t.errno_13} denied, 0 to 10.1.2.3); sendto ${u.elapsed_ms} ms (${u.ok} sent, ` +
        `${u.errno_13} denied, 0 arrived at 10.1.2.3); connect with shutdown(), 5000, ${s.elapsed_ms} ms ` +
        `(${s.attempts - s.errno_13} allowed, 0 to 10.1.2.3)\n` +
        `  unjailed, 2000 each: ${control.bad} connects and ${
          c0["10.1.2.3"].udp
        } datagrams reached 10.1.2.3 (connect loop ${control.elapsed_ms} ms)`,
    );
  },
);

netnsTest(
  "net: sendmsg(MSG_FASTOPEN) with a NULL name on a connected socket cannot be raced to a denied address",
  60_000,
  async () => {
    const race = await buildC("net_race");
    await using ns = await Netns.open({ serve: ["127.0.0.1", "10.1.2.3"] });
    const inNs = { prefix: ns.prefix, timeoutMs: 40_000 };
    const argv = (n: string) => [race, "fastopen", "127.0.0.1", "10.1.2.3", String(ns.port), n];
    // The test can fail: unjailed and with -A, the disconnected socket fast-opens to 10.1.2.3.
    const control = figures((await native(argv("500"), inNs)).stdout);
    const open = await jail(["-A", "--", ...argv("500")], inNs);
    ok(open);
    // The server counts datagrams as it reads them, which may be after it answers a count: ask
    // again (bounded) until the unjailed ones show, so that the jailed counts start from there.
    let c0 = await ns.counts();
    for (let i = 0; i < 50 && !(c0["10.1.2.3"]?.udp > 0); i++) c0 = await ns.counts();
    assert.ok(control.bad > 0, `unjailed: ${JSON.stringify(control)}`);
    assert.ok(figures(open.stdout).bad > 0, `-A: ${open.stdout}`);
    // The disconnecting thread may cut a connection to 10.1.2.3 before getpeername looks.
    assert.ok(c0["10.1.2.3"].tcp >= control.bad + figures(open.stdout).bad, "the server agrees");

    const run = await jail(["--", ...argv("2000")], inNs);
    ok(run);
    const j = figures(run.stdout);
    const c1 = await ns.counts();
    assert.equal(j.bad, 0, run.stdout);
    assert.equal(c1["10.1.2.3"].tcp, c0["10.1.2.3"].tcp, "no connection reached 10.1.2.3");
    assert.equal(j.attempts, 2000, run.stdout);
    console.log(
      `  fastopen race: unjailed ${control.bad}/500 and -A ${figures(open.stdout).bad}/500 ` +
        `(${
          c0["10.1.2.3"].tcp
        } connections) reached 10.1.2.3; jailed 0/2000 (${j.ok} sent to the peer, ${j.elapsed_ms} ms)`,
    );
  },
);

netnsTest(
  "net: sendmsg on a connected stream socket cannot be raced by swapping a UDP socket in under its number",
  60_000,
  async () => {
    const race = await buildC("net_race");
    await using ns = await Netns.open({ serve: ["127.0.0.1", "10.1.2.3"] });
    const inNs = { prefix: ns.prefix, timeoutMs: 40_000 };
    const argv = (n: string) => [race, "fdswap", "127.0.0.1", "10.1.2.3", String(ns.port), n];
    // The test can fail: unjailed and with -A, datagrams reach 10.1.2.3 through the swapped socket.
    // On a loaded machine the swapping thread may not run while the sender does (the race never
    // won): run the unjailed and -A senders again, a few times at most.
    let control: Record<string, number> = {};
    let open: Awaited<ReturnType<typeof jail>> | undefined;
    let c0 = await ns.counts();
    for (let round = 0; round < 4 && !(c0["10.1.2.3"]?.udp > 0); round++) {
      control = figures((await native(argv("50000"), inNs)).stdout);
      open = await jail(["-A", "--", ...argv("50000")], inNs);
      ok(open);
      c0 = await ns.counts();
    }
    assert.ok(
      c0["10.1.2.3"].udp > 0,
      `unjailed and -A: ${JSON.stringify(control)} ${open?.stdout}`,
    );

    const run = await jail(["--", ...argv("20000")], inNs);
    ok(run);
    const j = figures(run.stdout);
    const c1 = await ns.counts();
    assert.equal(
      c1["10.1.2.3"].udp,
      c0["10.1.2.3"].udp,
      `no datagram reached 10.1.2.3: ${run.stdout}`,
    );
    assert.ok(j.ok > 0, `sends on the TCP socket went through: ${run.stdout}`);
    console.log(
      `  fd swap race: unjailed and -A, ${c0["10.1.2.3"].udp} datagrams reached 10.1.2.3; ` +
        `jailed 0 of 20000 (${j.ok} sent on TCP, ${j.elapsed_ms} ms)`,
    );
  },
);

/** Destinations the kernel reads in ways a naive check would not. */
const ESCAPE_PROBE = `
import ctypes, socket, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
port = int(sys.argv[1])
def rc_errno(rc):
    return 0 if rc >= 0 else ctypes.get_errno()
# UDP over IPv4 reads an AF_UNSPEC destination as AF_INET.
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
unspec = struct.pack("<H", 0) + struct.pack(">H", port) + socket.inet_aton("10.1.2.4") + bytes(8)
print("unspec_sendto", rc_errno(libc.sendto(u.fileno(), b"x", 1, 0, unspec, 16)))
# A family that may reach another machine (AF_VSOCK: the hypervisor host), tried on a unix
# socket so that nothing is sent even unjailed: the kernel answers EINVAL, the jail EACCES.
x = socket.socket(socket.AF_UNIX)
vm = struct.pack("<HHIIB3x", 40, 0, 9999, 2, 0)
print("vsock_family", rc_errno(libc.connect(x.fileno(), vm, len(vm))))
try:
    socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    print("raw", 0)
except OSError as e:
    print("raw", e.errno)
# Netlink stays open: getaddrinfo and ip use it.
n = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
n.bind((0, 0))
print("netlink", n.sendto(struct.pack("=LHHLL", 16, 18, 0x301, 1, 0), (0, 0)))
`;

netnsTest(
  "net: AF_UNSPEC datagrams, other families and raw sockets are denied and reported in plain words",
  30_000,
  async () => {
    await using ns = await Netns.open({ serve: ["10.1.2.4"] });
    const inNs = { prefix: ns.prefix, timeoutMs: 20_000 };
    const argv = [PYTHON, "-c", ESCAPE_PROBE, String(ns.port)];
    const control = await native(argv, inNs);
    ok(control, "control");
    assert.deepEqual(keyValues(control.stdout), {
      unspec_sendto: "0",
      vsock_family: "22",
      raw: "0",
      netlink: "16",
    });
    const c0 = await ns.counts();
    assert.equal(c0["10.1.2.4"].udp, 1, "unjailed, the AF_UNSPEC datagram arrives at 10.1.2.4");

    const run = await jail(["--", ...argv], inNs);
    ok(run);
    assert.deepEqual(keyValues(run.stdout), {
      unspec_sendto: "13",
      vsock_family: "13",
      raw: "13",
      netlink: "16",
    });
    assert.equal((await ns.counts())["10.1.2.4"].udp, 1, "jailed, nothing more arrived");
    assert.deepEqual(denials(run.stderr).map((l) => l.replace(/pid \d+/, "pid N")), [
      `jail: denied sendto to 10.1.2.4:${ns.port} (pid N python3); allow with --allow-net=10.1.2.4:${ns.port}`,
      "jail: denied connect to AF_VSOCK (pid N python3); only --allow-net with no list (every destination) allows this family",
      "jail: denied a raw socket (pid N python3); raw sockets need --allow-net with no list (every destination)",
    ]);
  },
);

netnsTest(
  "net: measure 10,000 connects: loopback native vs jailed, denied jailed, against a traced getppid",
  60_000,
  async () => {
    const loop = await buildC("net_connect_loop");
    const getppid = await buildC("policy_getppid_loop");
    const dir = await Deno.makeTempDir({ prefix: "jail_net_bench_" });
    await Deno.writeTextFile(
      `${dir}/trace.json`,
      JSON.stringify({ syscalls: { getppid: "trace" } }),
    );
    try {
      await using ns = await Netns.open();
      const inNs = { prefix: ns.prefix, timeoutMs: 30_000 };
      const N = 10_000;
      const loopback = [loop, "127.0.0.1", "0", String(N)];
      const nativeLo = figures((await native(loopback, inNs)).stdout);
      const jailedLo = await jail(["--", ...loopback], inNs);
      const denied = await jail(["--", loop, "10.1.2.3", "80", String(N)], inNs);
      const nativePpid = await native([getppid, String(N)], inNs);
      const tracedPpid = await jail(
        ["--config", `${dir}/trace.json`, "--", getppid, String(N)],
        inNs,
      );
      for (const r of [jailedLo, denied, tracedPpid]) ok(r);
      const jl = figures(jailedLo.stdout), dn = figures(denied.stdout);
      // The outputs name the errno of any connect that failed.
      assert.equal(nativeLo.ok, N, JSON.stringify(nativeLo));
      assert.equal(jl.ok, N, jailedLo.stdout);
      assert.equal(dn.errno_13, N, denied.stdout);
      assert.equal(denials(denied.stderr).length, 1);
      const ns0 = Number(/ns=(\d+)/.exec(nativePpid.stdout)![1]);
      const ns1 = Number(/ns=(\d+)/.exec(tracedPpid.stdout)![1]);
      const us = (ms: number) => (ms * 1000 / N).toFixed(1);
      const stop = (ns1 - ns0) / 1000 / N;
      const perConnect = (jl.elapsed_ms - nativeLo.elapsed_ms) * 1000 / N;
      console.log(
        [
          `  ${N} connects                         total ms   µs each`,
          `  loopback, native                   ${nativeLo.elapsed_ms.toFixed(0).padStart(8)} ${
            us(nativeLo.elapsed_ms).padStart(9)
          }`,
          `  loopback, jailed (duplicate fd)    ${jl.elapsed_ms.toFixed(0).padStart(8)} ${
            us(jl.elapsed_ms).padStart(9)
          }`,
          `  10.1.2.3, jailed (denied)          ${dn.elapsed_ms.toFixed(0).padStart(8)} ${
            us(dn.elapsed_ms).padStart(9)
          }`,
          `  traced getppid stop, over native   ${((ns1 - ns0) / 1e6).toFixed(0).padStart(8)} ${
            stop.toFixed(1).padStart(9)
          }`,
          `  jailed connect over native: ${perConnect.toFixed(1)} µs, of which the stop ${
            stop.toFixed(1)
          } µs ` +
          `and the duplicate-socket work ${(perConnect - stop).toFixed(1)} µs`,
        ].join("\n"),
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("net: listen on a never-bound socket binds the wildcard with the guard filter locked on", async () => {
  // SO_LOCK_FILTER (44) reads 1 once a locked filter sits on the socket.
  const script = `import socket
for fam in (socket.AF_INET, socket.AF_INET6):
    s = socket.socket(fam); s.listen(); print(s.getsockname()[0], s.getsockopt(socket.SOL_SOCKET, 44))`;
  const r = await jail(["--", "python3", "-c", script]);
  assert.equal(r.stdout, "0.0.0.0 1\n:: 1\n");
  // The control: unguarded, the kernel binds the wildcard with no filter.
  const open = await jail(["-A", "--", "python3", "-c", script]);
  assert.equal(open.stdout, "0.0.0.0 0\n:: 0\n");
});

/**
 * Two network namespaces joined by a veth pair: "here" (10.77.0.1, fd77::1),
 * where a command runs through {@linkcode Veth.prefix}, and "there"
 * (10.77.0.2, fd77::2), the rest of the network as far as the command can
 * tell, entered with {@linkcode Veth.there}. Nothing is routed beyond them.
 * The namespace "there" is held by a `cat` whose stdin is the setup shell's
 * pipe: it ends with the shell, whatever ends the shell.
 */
const VETH_SETUP = `
set -e
ip link set lo up
exec {hold}> >(exec unshare -n cat >/dev/null)
there=$!
until [ "$(readlink /proc/$there/ns/net)" != "$(readlink /proc/self/ns/net)" ]; do :; done
ip link add v0 type veth peer name v1 netns "$there"
ip addr add 10.77.0.1/24 dev v0
ip -6 addr add fd77::1/64 dev v0 nodad
ip link set v0 up
nsenter --net=/proc/$there/ns/net sh -c 'set -e; ip link set lo up
  ip addr add 10.77.0.2/24 dev v1; ip -6 addr add fd77::2/64 dev v1 nodad; ip link set v1 up'
echo "there $there"
"$@"
`;

/** The argv prefix that runs a command in a fresh "here" namespace; its first stdout line names "there". */
const vethPrefix = ["unshare", "-n", "bash", "-c", VETH_SETUP, "bash"];

/** Argv prefix that runs a command in the namespace "there" of a run started with {@linkcode vethPrefix}. */
function there(stdout: string): string[] {
  const m = /^there (\d+)$/m.exec(stdout);
  if (!m) throw new Error(`no veth namespace in: ${stdout}`);
  return ["nsenter", `--net=/proc/${m[1]}/ns/net`, "--"];
}

/**
 * A server on wildcard addresses: TCP on 0.0.0.0 and on :: (dual-stack),
 * UDP auto-bound by a first sendto to 127.0.0.1, UDP bound to ::. Checks
 * that loopback clients reach each, prints `ports t4 t6 u4 u6` and the
 * local names, then counts what arrives until stdin closes, and prints it.
 */
const WILDCARD_SERVER = `
import socket, sys, threading
t4 = socket.socket(); t4.bind(("0.0.0.0", 0)); t4.listen(16)
t6 = socket.socket(socket.AF_INET6); t6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
t6.bind(("::", 0)); t6.listen(16)
u4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u4.sendto(b"", ("127.0.0.1", 9))
u6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); u6.bind(("::", 0))
names = [t4.getsockname()[0], t6.getsockname()[0], u4.getsockname()[0], u6.getsockname()[0]]
print("names", " ".join(names))
for host, s in [("127.0.0.1", t4), ("127.0.0.1", t6), ("::1", t6)]:
    c = socket.create_connection((host, s.getsockname()[1]), timeout=2); s.accept()[0].close(); c.close()
for host, fam, s in [("127.0.0.1", socket.AF_INET, u4), ("::1", socket.AF_INET6, u6)]:
    c = socket.socket(fam, socket.SOCK_DGRAM); c.sendto(b"hi", (host, s.getsockname()[1]))
    assert s.recv(8) == b"hi"
print("loopback ok")
counts = {"t4": 0, "t6": 0, "u4": 0, "u6": 0}
def tcp(name, s):
    while True:
        s.accept()[0].close(); counts[name] += 1
def udp(name, s):
    while True:
        s.recv(64); counts[name] += 1
for name, s, f in [("t4", t4, tcp), ("t6", t6, tcp), ("u4", u4, udp), ("u6", u6, udp)]:
    threading.Thread(target=f, args=(name, s), daemon=True).start()
print("ports", t4.getsockname()[1], t6.getsockname()[1], u4.getsockname()[1], u6.getsockname()[1], flush=True)
sys.stdin.readline()
print("counts", counts["t4"], counts["t6"], counts["u4"], counts["u6"], flush=True)
`;

/**
 * From "there": datagrams to each UDP port, then TCP connects (1 s each) to
 * each TCP port over IPv4 and IPv6; the connects' waits also give the
 * datagrams time to land. Prints `target ok|timeout|errno`.
 */
const REMOTE_PROBE = `
import socket, sys
t4, t6, u4, u6 = map(int, sys.argv[1:5])
for host, fam, port in [("10.77.0.1", socket.AF_INET, u4), ("fd77::1", socket.AF_INET6, u6), ("10.77.0.1", socket.AF_INET, u6)]:
    s = socket.socket(fam, socket.SOCK_DGRAM)
    for _ in range(3): s.sendto(b"x", (host, port))
for name, host, port in [("t4", "10.77.0.1", t4), ("t6", "fd77::1", t6), ("t6v4", "10.77.0.1", t6)]:
    try:
        socket.create_connection((host, port), timeout=1).close(); print(name, "ok")
    except socket.timeout:
        print(name, "timeout")
    except OSError as e:
        print(name, e.errno)
`;

netnsTest(
  "net: wildcard binds stay wildcards, reachable over loopback, guarded against every other peer",
  60_000,
  async () => {
    const results: Record<
      string,
      { names: string; remote: Record<string, string>; counts: string }
    > = {};
    for (const mode of ["jailed", "open"] as const) {
      const live = spawnJail(
        [...(mode === "open" ? ["-A"] : []), "--", PYTHON, "-c", WILDCARD_SERVER],
        { prefix: vethPrefix, timeoutMs: 40_000 },
      );
      try {
        // The whole line: with PYTHONUNBUFFERED each of print's pieces is a write of its own.
        await until("server ports", () => /^ports( \d+){4}\n/m.test(live.stdout()), 20_000);
        const out = keyValues(live.stdout());
        const remote = await native([PYTHON, "-c", REMOTE_PROBE, ...out.ports.split(" ")], {
          prefix: there(live.stdout()),
          timeoutMs: 20_000,
        });
        ok(remote, "remote probe");
        await live.write("count\n");
        const run = await live.done;
        ok(run);
        const all = keyValues(run.stdout);
        assert.equal(all.loopback, "ok", run.stdout);
        results[mode] = { names: all.names, remote: keyValues(remote.stdout), counts: all.counts };
      } catch (e) {
        await live.stop();
        throw e;
      }
    }
    const wild = "0.0.0.0 :: 0.0.0.0 ::";
    assert.equal(results.open.names, wild);
    assert.equal(results.jailed.names, wild, "getsockname shows the address asked for");
    // The control: unguarded, every peer there reaches every server.
    assert.deepEqual(results.open.remote, { t4: "ok", t6: "ok", t6v4: "ok" });
    assert.equal(results.open.counts, "1 2 3 6");
    // Guarded: the SYNs and datagrams from there are dropped by the socket filter.
    assert.deepEqual(results.jailed.remote, { t4: "timeout", t6: "timeout", t6v4: "timeout" });
    assert.equal(results.jailed.counts, "0 0 0 0");
  },
);

/** Echoes two TCP connections and two datagrams on port 7007 (dual-stack), then exits. */
const ECHO_THERE = `
import socket, threading
t = socket.socket(socket.AF_INET6); t.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); t.bind(("::", 7007)); t.listen(4)
u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); u.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
u.bind(("::", 7007))
def udp():
    for _ in range(2):
        data, peer = u.recvfrom(64); u.sendto(b"pong", peer)
th = threading.Thread(target=udp); th.start()
print("ready", flush=True)
for _ in range(2):
    c = t.accept()[0]; c.recv(64); c.sendall(b"pong"); c.close()
th.join()
`;

/** Waits for a line, then talks to there from sockets bound to the wildcard first. */
const WILDCARD_CLIENT = `
import socket, sys
sys.stdin.readline()
for v, fam, wild, host in [("4", socket.AF_INET, "0.0.0.0", "10.77.0.2"), ("6", socket.AF_INET6, "::", "fd77::2")]:
    for kind, typ in [("tcp", socket.SOCK_STREAM), ("udp", socket.SOCK_DGRAM)]:
        try:
            s = socket.socket(fam, typ); s.bind((wild, 0)); s.settimeout(5)
            if typ == socket.SOCK_STREAM:
                s.connect((host, 7007)); s.sendall(b"ping")
            else:
                s.sendto(b"ping", (host, 7007))
            print(kind + v, s.recv(8).decode(), s.getsockname()[0])
        except OSError as e:
            print(kind + v, "errno", e.errno)
`;

netnsTest(
  "net: a client bound to the wildcard reaches an allowed peer (TCP and UDP, v4 and v6)",
  60_000,
  async () => {
    const live = spawnJail(
      ["--allow-net=10.77.0.2:7007,[fd77::2]:7007", "--", PYTHON, "-c", WILDCARD_CLIENT],
      { prefix: vethPrefix, timeoutMs: 40_000 },
    );
    try {
      await until("veth namespaces", () => /^there /m.test(live.stdout()), 20_000);
      const argv = [...there(live.stdout()), PYTHON, "-c", ECHO_THERE];
      const echo = new Deno.Command(argv[0], { args: argv.slice(1), stdout: "piped" }).spawn();
      const reader = new LineReader(echo.stdout);
      try {
        assert.equal(await within(10_000, "echo server", reader.next()), "ready");
        await live.write("go\n");
        const run = await live.done;
        ok(run);
        assert.deepEqual(keyValues(run.stdout), {
          there: keyValues(run.stdout).there,
          // A connected TCP socket takes its route's source address, natively.
          tcp4: "pong 10.77.0.1",
          udp4: "pong 0.0.0.0",
          tcp6: "pong fd77::1",
          udp6: "pong ::",
        });
        assert.equal((await echo.status).code, 0);
      } finally {
        try {
          echo.kill("SIGKILL");
        } catch { /* done */ }
        while (await reader.next() !== undefined) { /* drain */ }
        await echo.status;
      }
    } catch (e) {
      await live.stop();
      throw e;
    }
  },
);

/**
 * Socket options and control messages that choose an interface, next hop or
 * route, beside harmless ones; and attempts to remove or pre-empt the guard
 * filter. Prints `name result` (0 or an errno).
 */
const ROUTE_PROBE = `
import ctypes, socket, struct
libc = ctypes.CDLL(None, use_errno=True)
lo = socket.if_nametoindex("lo")
def opt(fam, level, name, val, kind=socket.SOCK_DGRAM):
    s = socket.socket(fam, kind)  # a fresh socket each: options interact (a bound device)
    try:
        s.setsockopt(level, name, val); return 0
    except OSError as e:
        return e.errno
    finally:
        s.close()
def send(s, cmsgs, dest):
    try:
        s.sendmsg([b"x"], cmsgs, 0, dest); return 0
    except OSError as e:
        return e.errno
V4, V6, TCP = socket.AF_INET, socket.AF_INET6, socket.SOCK_STREAM
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
out = {
    "so_bindtodevice": opt(V4, 1, 25, b"lo\\0"),
    "so_bindtoifindex": opt(V4, 1, 62, lo),
    "so_mark": opt(V4, 1, 36, 7),
    "ip_options": opt(V4, 0, 4, b"\\x01\\x01\\x01\\x01"),
    "ip_unicast_if": opt(V4, 0, 50, struct.pack("!I", lo)),
    "ipv6_unicast_if": opt(V6, 41, 76, struct.pack("!I", lo)),
    "ipv6_pktinfo": opt(V6, 41, 50, bytes(20)),
    "ipv6_multicast_if": opt(V6, 41, 17, lo),
    # Allowed: receive flags and options that share a name number with a refused one.
    "ip_pktinfo": opt(V4, 0, 8, 1),
    "ipv6_recvpktinfo": opt(V6, 41, 49, 1),
    "ipv6_2292pktinfo": opt(V6, 41, 2, 1),
    "so_keepalive": opt(V4, 1, 9, 1, TCP),
    "tcp_keepidle": opt(V4, 6, 4, 30, TCP),
}
dest = ("127.0.0.1", 9)
pktinfo = lambda index: struct.pack("=iII", index, 0, 0)
out.update({
    "cmsg_ttl": send(u, [(0, 2, struct.pack("=i", 9))], dest),
    "cmsg_pktinfo_lo": send(u, [(0, 8, pktinfo(lo))], dest),
    "cmsg_pktinfo_any": send(u, [(0, 8, pktinfo(0))], dest),
    "cmsg_pktinfo_other": send(u, [(0, 8, pktinfo(2))], dest),
    "cmsg_retopts": send(u, [(0, 7, b"\\x01\\x01\\x01\\x01")], dest),
    "cmsg_mark": send(u, [(1, 36, struct.pack("=I", 7))], dest),
    "cmsg_v6_pktinfo_other": send(u6, [(41, 50, bytes(16) + struct.pack("=i", 2))], ("::1", 9)),
})
# The guard on u (auto-bound by the sends above, when jailed): can it be taken off or replaced?
one = ctypes.c_int(1)
rc = libc.setsockopt(u.fileno(), 1, 27, ctypes.byref(one), 4)
out["detach"] = 0 if rc == 0 else ctypes.get_errno()
accept_all = (ctypes.c_uint64 * 1)(0xFFFFFFFF00000006)  # ret #-1
class Fprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]
prog = Fprog(1, ctypes.addressof(accept_all))
rc = libc.setsockopt(u.fileno(), 1, 26, ctypes.byref(prog), ctypes.sizeof(prog))
out["replace"] = 0 if rc == 0 else ctypes.get_errno()
# Pre-empting: lock a filter of our own on a fresh socket, then bind the wildcard.
w = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
libc.setsockopt(w.fileno(), 1, 26, ctypes.byref(prog), ctypes.sizeof(prog))
libc.setsockopt(w.fileno(), 1, 44, ctypes.byref(one), 4)
try:
    w.bind(("0.0.0.0", 0)); out["preempt_bind"] = 0
except OSError as e:
    out["preempt_bind"] = e.errno
try:
    w.listen(); out["preempt_listen"] = 0
except OSError as e:
    out["preempt_listen"] = e.errno
# socket(AF_INET, SOCK_PACKET): a packet socket under another name.
try:
    socket.socket(socket.AF_INET, 10 | socket.SOCK_CLOEXEC, 0x0300).close(); out["sock_packet"] = 0
except OSError as e:
    out["sock_packet"] = e.errno
for k, v in out.items():
    print(k, v)
`;

netnsTest(
  "net: options and control messages that choose a route are refused; the guard cannot be removed or pre-empted",
  30_000,
  async () => {
    await using ns = await Netns.open({ blackhole: true });
    const argv = [PYTHON, "-c", ROUTE_PROBE];
    const [control, run] = await Promise.all([
      native(argv, { prefix: ns.prefix }),
      jail(["--", ...argv], { prefix: ns.prefix }),
    ]);
    ok(control, "control");
    ok(run);
    const refused = [
      "so_bindtodevice",
      "so_bindtoifindex",
      "so_mark",
      "ip_options",
      "ip_unicast_if",
      "ipv6_unicast_if",
      "ipv6_pktinfo",
      "ipv6_multicast_if",
    ];
    const allowed = [
      "ip_pktinfo",
      "ipv6_recvpktinfo",
      "ipv6_2292pktinfo",
      "so_keepalive",
      "tcp_keepidle",
      "cmsg_ttl",
      "cmsg_pktinfo_lo",
      "cmsg_pktinfo_any",
    ];
    const refusedCmsg = [
      "cmsg_pktinfo_other",
      "cmsg_retopts",
      "cmsg_mark",
      "cmsg_v6_pktinfo_other",
    ];
    const c = keyValues(control.stdout);
    const j = keyValues(run.stdout);
    // The control: as root, unjailed, each of these works (interface 2 is the veth).
    for (const k of [...refused, ...allowed, ...refusedCmsg.slice(0, 3)]) {
      assert.equal(c[k], "0", `control ${k}`);
    }
    // ::1 through the veth (which has no IPv6 address): the kernel took interface 2 as asked.
    assert.equal(c.cmsg_v6_pktinfo_other, "101");
    assert.equal(c.detach, "2", "unjailed, the socket carries no filter (ENOENT)");
    assert.equal(c.preempt_bind, "0");
    for (const k of refused) assert.equal(j[k], "1", `jailed ${k}: EPERM`);
    for (const k of allowed) assert.equal(j[k], "0", `jailed ${k}`);
    for (const k of refusedCmsg) assert.equal(j[k], "13", `jailed ${k}: the policy's errno`);
    assert.equal(j.detach, "1", "the guard is locked: SO_DETACH_FILTER fails with EPERM");
    assert.equal(j.replace, "1", "and SO_ATTACH_FILTER too");
    assert.equal(j.preempt_bind, "13", "a locked filter of the tree's own: the bind is refused");
    assert.equal(j.preempt_listen, "13");
    assert.equal(j.sock_packet, "13");
    assert.notEqual(c.sock_packet, "13");
    const r = denials(run.stderr).map((l) => l.replace(/pid \d+/, "pid N"));
    assert.ok(
      r.includes(
        "jail: denied setsockopt SO_BINDTODEVICE (pid N python3); it could choose the packet's interface or route",
      ),
      r.join("\n"),
    );
    assert.ok(
      r.includes(
        "jail: denied sendmsg with a control message (level 0, type 8) choosing interface 2 (pid N python3); it could choose the packet's interface or route",
      ),
      r.join("\n"),
    );
  },
);

/** Node's `server.listen(0)` binds :: dual-stack; both loopbacks must reach it. */
const NODE_LISTEN = `
const net = require("net");
const server = net.createServer((c) => c.end("hi\\n"));
server.listen(0, async () => {
  const { address, port } = server.address();
  console.log("address", address);
  for (const host of ["127.0.0.1", "::1"]) {
    const got = await new Promise((done) => {
      const c = net.connect(port, host);
      let d = "";
      c.on("data", (b) => d += b).on("end", () => done(d.trim())).on("error", (e) => done(e.code));
    });
    console.log(host, got);
  }
  server.close();
});
`;

Deno.test("net: node's listen(0) stays on :: and serves IPv4 and IPv6 loopback clients", async () => {
  const r = await jail(["--", "node", "-e", NODE_LISTEN], { env: QUIET, timeoutMs: 30_000 });
  ok(r);
  assert.deepEqual(keyValues(r.stdout), { address: "::", "127.0.0.1": "hi", "::1": "hi" });
});

netnsTest(
  "net: a blocking connect of another family (vsock) is waited for by jail, with the same outcome",
  30_000,
  async () => {
    const probe = `
import socket
for cid in (2, 3):
    try:
        s = socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM); s.connect((cid, 1234)); print(cid, 0)
    except OSError as e:
        print(cid, e.errno)
`;
    const argv = [PYTHON, "-c", probe];
    // A deny list keeps the network restricted under -A, so the connect stops at jail.
    const [control, run] = await Promise.all([
      native(argv, { prefix: ["unshare", "-n"] }),
      jail(["-A", "--deny-net=10.0.0.0/8", "--", ...argv], { prefix: ["unshare", "-n"] }),
    ]);
    ok(control, "control");
    ok(run);
    assert.deepEqual(keyValues(run.stdout), keyValues(control.stdout));
  },
);
