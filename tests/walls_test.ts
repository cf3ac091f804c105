/**
 * The kernel walls the launch puts around the tree: jail
 * holds the filter chain's one seccomp listener, a Landlock domain (ptrace
 * wall; signal scope from ABI 6), a non-dumpable supervisor, and a reduced
 * capability set for root commands. Each test has the unjailed (or
 * unwalled) control that shows what the wall stops.
 *
 * `c/wall_attack.c` reaches for a process the ways a same-uid process can
 * (/proc/<pid>/mem, /proc/<pid>/fd, pidfd_getfd, process_vm_readv, a signal)
 * and prints one `what=ok|ERRNO` line each; its target is jail (its parent)
 * unless given a pid.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  buildC,
  canUnshareNet,
  jail,
  keyValues,
  native,
  NEUTRAL_DIR,
  PYTHON_PREFIXES,
  ROOT_DIR,
  until,
} from "./_helpers.ts";
import { run } from "../mod.ts";
import { CAPABILITIES, DEFAULT_KEEP } from "../src/launch/capabilities.ts";
import { SCOPE_ABI } from "../kernel/landlock.ts";
import { landlockAbi } from "../ffi/landlock.ts";

const NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"];
/** The ptrace-mode accesses (everything the attacker tries but the signal). */
const PTRACE_MODE = ["mem", "fd_link", "fd_open", "pidfd_getfd", "vm_readv"];
const ALL_ACCESSES = [...PTRACE_MODE, "signal"];

/** Parses wall_attack's `what=result` lines. */
const results = (stdout: string) => keyValues(stdout, "=");

function expectRefused(r: Record<string, string>, what: string[], context: string): void {
  for (const w of what) {
    assert.ok(r[w] !== undefined, `${context}: no result for ${w}: ${JSON.stringify(r)}`);
    assert.ok(r[w] !== "ok", `${context}: ${w} succeeded: ${JSON.stringify(r)}`);
  }
}

function expectAllowed(r: Record<string, string>, what: string[], context: string): void {
  for (const w of what) assert.equal(r[w], "ok", `${context}: ${w}: ${JSON.stringify(r)}`);
}

/** Runs a command outside any jail, where jail runs. */
const unjailed = (argv: string[]) => native(argv, { cwd: NEUTRAL_DIR });

/** A `sleep` outside the jail, optionally behind a prefix (setpriv); stopped by the returned function. */
async function outsider(prefix: string[] = []): Promise<{ pid: number; stop(): Promise<void> }> {
  // exec: the pid we learn is the sleep itself, not a shell around it.
  const child = new Deno.Command(prefix[0] ?? "sleep", {
    args: [...prefix.slice(1), ...(prefix.length ? ["sleep"] : []), "60"],
    stdout: "null",
    stderr: "null",
  }).spawn();
  // setpriv execs sleep in place: wait until it has, so that the target is the final program.
  await until("the outsider's exec of sleep", () => {
    try {
      return Deno.readTextFileSync(`/proc/${child.pid}/comm`).trim() === "sleep";
    } catch {
      return false;
    }
  });
  return {
    pid: child.pid,
    async stop() {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
      await child.status;
    },
  };
}

const attack = () => buildC("wall_attack");

// ------------------------------------------------------------------ the seccomp listener

Deno.test("walls: NEW_LISTENER in the tree gets EBUSY (unjailed it gets a listener)", async () => {
  const bin = await buildC("wall_listener");
  const control = await unjailed([bin]);
  assert.equal(control.stdout.trim(), "listener=ok");
  assert.equal(control.code, 0);
  for (const flags of [[], ["-A"]]) {
    const r = await jail(["--no-config", ...flags, "--", bin]);
    assert.equal(r.stdout.trim(), "listener=EBUSY", `${flags} ${r.stderr}`);
    assert.equal(r.code, 1);
  }
});

Deno.test("walls: a seccomp filter of the tree's own still works under jail's", async () => {
  const bin = await buildC("wall_own_filter");
  const control = await unjailed([bin]);
  assert.equal(control.stdout.trim(), "getppid=EPERM ok");
  const r = await jail(["--no-config", "--", bin]);
  assert.equal(r.stdout.trim(), "getppid=EPERM ok", r.stderr);
  assert.equal(r.code, 0);
});

/** Descriptors of this process that are seccomp listeners. */
function listenersHere(): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync("/proc/self/fd")) {
    try {
      const link = Deno.readLinkSync(`/proc/self/fd/${e.name}`);
      if (link.includes("seccomp")) out.push(`${e.name} -> ${link}`);
    } catch { /* closed meanwhile */ }
  }
  return out;
}

Deno.test("walls: library runs hold the listener only while they run; the tree never has it", async () => {
  // The tree looks for a seccomp listener among its own descriptors: exit 3 when it has one;
  // 4 for the Landlock ruleset the launch made (both are left to the execve's close-on-exec).
  const look = [
    "sh",
    "-c",
    'for f in /proc/$$/fd/*; do case "$(readlink "$f")" in *seccomp*) exit 3;; ' +
    "*landlock*) exit 4;; esac; done; exit 0",
  ];
  const before = listenersHere();
  for (let i = 0; i < 3; i++) {
    const result = await run(look, { config: {} });
    assert.equal(result.code, 0, "the tree inherited a seccomp listener");
  }
  assert.deepEqual(listenersHere(), before, "a listener outlived its run");
});

// ------------------------------------------------------------------ ptrace-mode access and signals

Deno.test("walls: unjailed controls reach their parent in every way (root and uid 65534)", async () => {
  const bin = await attack();
  // A shell stays as the parent: the attacker's target.
  const root = await unjailed(["sh", "-c", `${bin}; exit $?`]);
  expectAllowed(results(root.stdout), ALL_ACCESSES, "root control");
  const nobody = await unjailed([...NOBODY, "sh", "-c", `${bin}; exit $?`]);
  expectAllowed(results(nobody.stdout), ALL_ACCESSES, "uid 65534 control");
});

Deno.test("walls: the tree cannot reach jail (root; default policy, -A, -A with SYS_PTRACE)", async () => {
  const bin = await attack();
  // Below Landlock ABI 6 (Linux 6.12) no kernel scope stops signals, and -A turns off the
  // filter's signal checks: README's "What it does not stop" says the tree can then signal jail.
  const scoped = landlockAbi() >= SCOPE_ABI;
  if (!scoped) {
    console.log(
      `  Landlock ABI ${landlockAbi()} here: with -A a signal to jail is expected to pass`,
    );
  }
  for (const flags of [[], ["-A"], ["-A", "--cap-add=SYS_PTRACE"]]) {
    const r = await jail(["--no-config", ...flags, "--", bin]);
    const context = `jailed ${flags.join(" ")}`;
    if (scoped || flags.length === 0) {
      expectRefused(results(r.stdout), ALL_ACCESSES, context);
    } else {
      expectRefused(results(r.stdout), PTRACE_MODE, context);
      expectAllowed(results(r.stdout), ["signal"], `${context} (no signal scope)`);
    }
  }
});

Deno.test("walls: a uid 65534 process inside a root jail cannot reach jail", async () => {
  const bin = await attack();
  const r = await jail(["--no-config", "-A", "--", ...NOBODY, bin]);
  expectRefused(results(r.stdout), ALL_ACCESSES, "uid 65534 in the jail");
});

Deno.test("walls: Landlock ABI 5 keeps the ptrace wall; ABI 0 leaves capabilities and non-dumpable", async () => {
  const bin = await attack();
  for (const abi of ["5", "1", "0"]) {
    const r = await jail(["--no-config", "-A", "--", bin], { env: { JAIL_LANDLOCK_ABI: abi } });
    expectRefused(results(r.stdout), PTRACE_MODE, `ABI ${abi}`);
  }
  // What Landlock adds: with CAP_SYS_PTRACE kept (and -A, so no syscall check), ABI 5 still
  // refuses, while without Landlock nothing is left between the tree and jail.
  const abi5 = await jail(["--no-config", "-A", "--cap-add=SYS_PTRACE", "--", bin], {
    env: { JAIL_LANDLOCK_ABI: "5" },
  });
  expectRefused(results(abi5.stdout), PTRACE_MODE, "ABI 5 with SYS_PTRACE");
  const none = await jail(["--no-config", "-A", "--cap-add=SYS_PTRACE", "--", bin], {
    env: { JAIL_LANDLOCK_ABI: "0" },
  });
  expectAllowed(results(none.stdout), PTRACE_MODE, "ABI 0 with SYS_PTRACE (the unwalled control)");
});

Deno.test("walls: signals leave the tree only below Landlock ABI 6", async () => {
  const bin = await attack();
  const target = await outsider();
  try {
    // This kernel's own ABI first: scoped from 6 on; below, the part after it is all there is.
    const abi = landlockAbi();
    const native = await jail(["--no-config", "-A", "--", bin, String(target.pid)]);
    const rn = results(native.stdout);
    if (abi >= SCOPE_ABI) expectRefused(rn, ["signal"], `ABI ${abi}`);
    else {
      console.log(`  Landlock ABI ${abi} here: no signal scope, the signal is expected to pass`);
      expectAllowed(rn, ["signal"], `ABI ${abi} (no signal scope)`);
    }
    // The Landlock domain's ptrace wall covers every process outside the tree, not jail alone.
    expectRefused(rn, PTRACE_MODE, `ABI ${abi}, an outsider`);
    const abi5 = await jail(["--no-config", "-A", "--", bin, String(target.pid)], {
      env: { JAIL_LANDLOCK_ABI: "5" },
    });
    expectAllowed(results(abi5.stdout), ["signal"], "ABI 5 (no signal scope)");
  } finally {
    await target.stop();
  }
});

Deno.test("walls: jail run as uid 65534 starts its command (dumpable only around the clone) and stays out of its tree's reach", async () => {
  const bin = await attack();
  const home = await Deno.makeTempDir({ prefix: "jail-walls-home-" });
  await Deno.chown(home, 65534, 65534);
  try {
    const env = { HOME: home, DENO_DIR: `${home}/deno` };
    const r = await jail(["--no-config", "-A", "--", bin], { prefix: NOBODY, env });
    // The attacker exits with its number of wins; below Landlock ABI 6, -A lets its signal
    // through (README, "What it does not stop"), and that is its only win.
    const scoped = landlockAbi() >= SCOPE_ABI;
    assert.equal(r.code, scoped ? 0 : 1, r.stderr);
    expectRefused(results(r.stdout), scoped ? ALL_ACCESSES : PTRACE_MODE, "uid 65534 jail");
    if (!scoped) expectAllowed(results(r.stdout), ["signal"], "uid 65534 jail, no signal scope");
    const id = await jail(["--no-config", "--", "id", "-u"], { prefix: NOBODY, env });
    assert.equal(id.stdout, "65534\n", id.stderr);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("walls: jail run as uid 65534 without Landlock: non-dumpable is what stops the tree", async () => {
  const bin = await attack();
  const home = await Deno.makeTempDir({ prefix: "jail-walls-home-" });
  await Deno.chown(home, 65534, 65534);
  const target = await outsider(NOBODY);
  try {
    const env = { JAIL_LANDLOCK_ABI: "0", HOME: home, DENO_DIR: `${home}/deno` };
    const atJail = await jail(["--no-config", "-A", "--", bin], { prefix: NOBODY, env });
    expectRefused(results(atJail.stdout), PTRACE_MODE, "at jail (non-dumpable)");
    // Control: the same attacker, same uid, same run, at a dumpable process of that uid.
    const atOther = await jail(["--no-config", "-A", "--", bin, String(target.pid)], {
      prefix: NOBODY,
      env,
    });
    expectAllowed(results(atOther.stdout), PTRACE_MODE, "at a dumpable uid 65534 process");
  } finally {
    await target.stop();
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("walls: without Landlock nor CAP_SYS_PTRACE, a library run is refused while another tree lives (jail would be dumpable for its clone)", async () => {
  const home = await Deno.makeTempDir({ prefix: "jail-walls-home-" });
  await Deno.chown(home, 65534, 65534);
  const script = `${home}/two_runs.ts`;
  await Deno.writeTextFile(
    script,
    [
      `import { run, spawn } from ${JSON.stringify(`${ROOT_DIR}/mod.ts`)};`,
      `const first = spawn(["sleep", "30"]);`,
      `for await (const e of first) if (e.kind === "exec") break;`,
      `try {`,
      `  const second = await run(["true"]);`,
      `  console.log("second", second.code);`,
      `} catch (e) {`,
      `  console.log("refused:", (e as Error).message);`,
      `}`,
      `first.kill();`,
      `await first.status;`,
      `console.log("after", (await run(["true"])).code);`,
    ].join("\n"),
  );
  try {
    const deno = [Deno.execPath(), "run", "-A", "--no-check", script];
    const env = {
      HOME: home,
      DENO_DIR: `${home}/deno`,
      DENO_NO_UPDATE_CHECK: "1",
      JAIL_LANDLOCK_ABI: "0",
    };
    const noLandlock = await native([...NOBODY, ...deno], { env, timeoutMs: 30_000 });
    assert.match(noLandlock.stdout, /^refused: cannot start a second tree/m, noLandlock.stderr);
    // Control: once the first tree is gone, the same process runs a tree again.
    assert.match(noLandlock.stdout, /^after 0$/m, noLandlock.stderr);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

/** Runs its arguments under a seccomp filter that fails `landlock_restrict_self` with EPERM. */
const DENY_LANDLOCK = `
import ctypes, os, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
prog = b"".join([
    struct.pack("HBBI", 0x20, 0, 0, 0),           # A = seccomp_data.nr
    struct.pack("HBBI", 0x15, 0, 1, 446),         # landlock_restrict_self?
    struct.pack("HBBI", 0x06, 0, 0, 0x00050001),  # SECCOMP_RET_ERRNO | EPERM
    struct.pack("HBBI", 0x06, 0, 0, 0x7fff0000),  # SECCOMP_RET_ALLOW
])
buf = ctypes.create_string_buffer(prog)
fprog = ctypes.create_string_buffer(struct.pack("HxxxxxxQ", 4, ctypes.addressof(buf)))
assert libc.prctl(38, 1, 0, 0, 0) == 0  # PR_SET_NO_NEW_PRIVS
assert libc.prctl(22, 2, ctypes.c_ulong(ctypes.addressof(fprog)), 0, 0) == 0
os.execvp(sys.argv[1], sys.argv[1:])
`;

Deno.test("walls: a step of the launch that fails ends the run with 125, naming the step and errno, before the command runs", async () => {
  const dir = await Deno.makeTempDir({ prefix: "jail-walls-step-" });
  try {
    const mark = `${dir}/ran`;
    const r = await jail(["--no-config", "--", "touch", mark], {
      prefix: ["python3", "-c", DENY_LANDLOCK],
    });
    assert.equal(r.code, 125, r.stderr);
    assert.equal(r.stderr, "jail: starting the command: landlock_restrict_self failed: EPERM\n");
    await assert.rejects(() => Deno.stat(mark), Deno.errors.NotFound);
    // Control: the same command and prefix, with no Landlock domain to install, runs.
    const none = await jail(["--no-config", "--", "touch", mark], {
      prefix: ["python3", "-c", DENY_LANDLOCK],
      env: { JAIL_LANDLOCK_ABI: "0" },
    });
    assert.equal(none.code, 0, none.stderr);
    await Deno.stat(mark);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("walls: the command is dumpable again after exec (jail's own state is not inherited)", async () => {
  const r = await jail([
    "--no-config",
    "--",
    "python3",
    "-c",
    "import ctypes; print(ctypes.CDLL(None).prctl(3, 0, 0, 0, 0))", // PR_GET_DUMPABLE
  ]);
  assert.equal(r.stdout.trim(), "1", r.stderr);
});

Deno.test("walls: the minimal Landlock domain keeps cross-directory rename and link working", async () => {
  const dir = await Deno.makeTempDir({ prefix: "jail-walls-refer-" });
  try {
    // rename(2) and link(2) themselves: mv would hide an EXDEV behind a copy.
    const script = `set -e; mkdir -p "$1/a" "$1/b"; echo x > "$1/a/f"; python3 -c ` +
      `"import os, sys; d = sys.argv[1]; os.rename(d + '/a/f', d + '/b/f'); ` +
      `os.link(d + '/b/f', d + '/a/g'); print('moved')" "$1"`;
    for (const abi of ["7", "5", "2", "1"]) {
      await Deno.remove(`${dir}/a`, { recursive: true }).catch(() => {});
      await Deno.remove(`${dir}/b`, { recursive: true }).catch(() => {});
      const r = await jail(["--no-config", "--", "sh", "-c", script, "sh", dir], {
        env: { JAIL_LANDLOCK_ABI: abi },
      });
      assert.equal(r.stdout.trim(), "moved", `ABI ${abi}: ${r.stderr}`);
    }
    // Control: a domain that does not handle REFER (ABI 1 file rules) refuses the rename.
    await Deno.remove(`${dir}/a`, { recursive: true });
    await Deno.remove(`${dir}/b`, { recursive: true });
    // python3's own files too: a virtualenv's (its pyvenv.cfg) are not necessarily under /usr.
    const reads = `--allow-read=${
      [
        "/usr",
        "/lib",
        "/lib64",
        "/bin",
        "/etc",
        "/proc",
        Deno.env.get("HOME"),
        dir,
        ...PYTHON_PREFIXES,
      ].join(",")
    }`;
    const r = await jail(["--no-config", reads, "--", "sh", "-c", script, "sh", dir], {
      env: { JAIL_LANDLOCK_ABI: "1" },
    });
    assert.match(r.stderr, /Invalid cross-device link/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("walls: exec failures are still reported (127 not found, 126 not executable)", async () => {
  const missing = await jail(["--no-config", "--", "/nonexistent/program"]);
  assert.equal(missing.code, 127, missing.stderr);
  const notExec = await Deno.makeTempFile({ prefix: "jail-walls-noexec-" });
  try {
    const r = await jail(["--no-config", "--", notExec]);
    assert.equal(r.code, 126, r.stderr);
  } finally {
    await Deno.remove(notExec);
  }
});

// ------------------------------------------------------------------ capabilities

/** Capability masks of /proc/self/status inside the jail. */
async function jailedCaps(flags: string[]): Promise<Record<string, bigint>> {
  const r = await jail(["--no-config", ...flags, "--", "cat", "/proc/self/status"]);
  const out: Record<string, bigint> = {};
  for (const m of r.stdout.matchAll(/^(Cap\w+):\s+([0-9a-f]+)$/gm)) out[m[1]] = BigInt(`0x${m[2]}`);
  return out;
}

function mask(names: readonly string[]): bigint {
  return names.reduce((m, n) => m | (1n << BigInt(CAPABILITIES[n])), 0n);
}

Deno.test("caps: a root command keeps the default set; --cap-add and -A widen it", async () => {
  const host = BigInt(
    `0x${/^CapBnd:\s+([0-9a-f]+)$/m.exec(Deno.readTextFileSync("/proc/self/status"))![1]}`,
  );
  assert.ok(
    host & mask(["NET_RAW", "SYS_ADMIN"]),
    "these tests need a root with full capabilities",
  );
  const def = await jailedCaps([]);
  const want = mask(DEFAULT_KEEP) & host;
  assert.equal(def.CapBnd, want);
  assert.equal(def.CapEff, want);
  assert.equal(def.CapPrm, want);
  assert.equal(def.CapInh, 0n);
  assert.equal(def.CapAmb, 0n);
  const added = await jailedCaps(["--cap-add=net_raw,CAP_SYS_PTRACE"]);
  assert.equal(added.CapEff, (mask([...DEFAULT_KEEP, "NET_RAW", "SYS_PTRACE"])) & host);
  const all = await jailedCaps(["--cap-add=ALL"]);
  assert.equal(all.CapBnd, host);
  const observe = await jailedCaps(["-A"]);
  assert.equal(
    observe.CapEff & mask(["SYS_PTRACE", "SYS_MODULE", "BPF"]),
    0n,
    "-A keeps these out",
  );
  assert.equal(observe.CapEff & mask(["SYS_ADMIN", "NET_RAW"]), mask(["SYS_ADMIN", "NET_RAW"]));
});

Deno.test("caps: a library run narrows its tree's bounding set, never the caller's thread's", async () => {
  const own = () =>
    BigInt(
      `0x${/^CapBnd:\s+([0-9a-f]+)$/m.exec(Deno.readTextFileSync("/proc/thread-self/status"))![1]}`,
    );
  const before = own();
  const want = (mask(DEFAULT_KEEP) & before).toString(16).padStart(16, "0");
  // The supervisor's Worker drops the bounding set on its own thread, which the tree inherits.
  const result = await run(["sh", "-c", `grep -q '^CapBnd:.${want}$' /proc/self/status`], {
    config: {},
  });
  assert.equal(result.code, 0, `the tree's bounding set is not ${want}`);
  assert.equal(own(), before, "the caller's thread lost bounding capabilities");
});

Deno.test("caps: a raw socket needs --cap-add=NET_RAW", async () => {
  const raw = "import socket\ntry:\n socket.socket(socket.AF_INET, socket.SOCK_RAW, 1)\n" +
    " print('ok')\nexcept OSError as e:\n print(e.errno)";
  const control = await unjailed(["python3", "-c", raw]);
  assert.equal(control.stdout.trim(), "ok");
  // --allow-net: an open network, where the policy itself lets raw sockets through.
  const r = await jail(["--no-config", "--allow-net", "--", "python3", "-c", raw]);
  assert.equal(r.stdout.trim(), "1", `EPERM expected: ${r.stderr}`);
  const kept = await jail([
    "--no-config",
    "--allow-net",
    "--cap-add=NET_RAW",
    "--",
    "python3",
    "-c",
    raw,
  ]);
  assert.equal(kept.stdout.trim(), "ok", kept.stderr);
});

Deno.test({
  name: "caps: unshare -n needs --cap-add=SYS_ADMIN",
  ignore: !(await canUnshareNet()),
  fn: async () => {
    const r = await jail(["--no-config", "--", "unshare", "-n", "true"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Operation not permitted/);
    const kept = await jail(["--no-config", "--cap-add=SYS_ADMIN", "--", "unshare", "-n", "true"]);
    assert.equal(kept.code, 0, kept.stderr);
  },
});

Deno.test({
  name: "caps: a tun device (NET_ADMIN) needs --cap-add=NET_ADMIN, inside unshare -n",
  ignore: !(await canUnshareNet()),
  fn: async () => {
    const args = ["--", "ip", "tuntap", "add", "dev", "jt0", "mode", "tun"];
    const r = await jail(["--no-config", ...args], { prefix: ["unshare", "-n"] });
    assert.ok(r.code !== 0, "tun device created without NET_ADMIN");
    assert.match(r.stderr, /Operation not permitted/);
    const kept = await jail(["--no-config", "--cap-add=NET_ADMIN", ...args], {
      prefix: ["unshare", "-n"],
    });
    assert.equal(kept.code, 0, kept.stderr);
  },
});

Deno.test({
  // The supervisor performs the tree's checked sendmsg itself (src/net/act_send.ts), and netlink
  // checks CAP_NET_ADMIN against the sender when the message names a destination: the
  // supervisor makes such calls with its effective capabilities narrowed to the tracee's
  // (src/net/acting_caps.ts), so the tree cannot launder capabilities it gave up.
  name: "caps: ip link add (netlink, NET_ADMIN) needs --cap-add=NET_ADMIN, inside unshare -n",
  // canUnshareNet runs `unshare -n ip ...`: false (and says why) without either tool.
  ignore: Deno.uid() !== 0 || !(await canUnshareNet()),
  fn: async () => {
    const args = ["--", "ip", "link", "add", "v0", "type", "veth", "peer", "name", "v1"];
    const r = await jail(["--no-config", ...args], { prefix: ["unshare", "-n"] });
    assert.ok(r.code !== 0, "veth created without NET_ADMIN");
    assert.match(r.stderr, /Operation not permitted/);
    const kept = await jail(["--no-config", "--cap-add=NET_ADMIN", ...args], {
      prefix: ["unshare", "-n"],
    });
    assert.equal(kept.code, 0, kept.stderr);
  },
});

Deno.test("caps: an unknown name exits 125 with a suggestion (flag and config key)", async () => {
  const flag = await jail(["--no-config", "--cap-add=NET_RAQ", "--", "true"]);
  assert.equal(flag.code, 125);
  assert.match(flag.stderr, /--cap-add: unknown capability "NET_RAQ": did you mean "NET_RAW"\?/);
  const dir = await Deno.makeTempDir({ prefix: "jail-walls-config-" });
  try {
    await Deno.writeTextFile(`${dir}/jail.config.json`, '{ "capabilities": ["cap_sys_ptrac"] }');
    const cfg = await jail(["--", "true"], { cwd: dir });
    assert.equal(cfg.code, 125);
    assert.match(
      cfg.stderr,
      /capabilities\[0\]: unknown capability "cap_sys_ptrac": did you mean "SYS_PTRACE"\?/,
    );
    await Deno.writeTextFile(`${dir}/jail.config.json`, '{ "capabilities": ["NET_RAW"] }');
    const ok = await jail(["--", "grep", "CapEff", "/proc/self/status"], { cwd: dir });
    assert.equal(ok.code, 0, ok.stderr);
    assert.ok(BigInt(`0x${ok.stdout.trim().split(/\s+/)[1]}`) & mask(["NET_RAW"]));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
