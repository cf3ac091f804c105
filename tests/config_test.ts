/**
 * Bad configs and bad flags: each one exits 125 with one line
 * `jail: <what>: <why>` that names the key, the value and what was expected
 * (and the config's path for config errors), never a stack trace.
 */

import assert from "node:assert/strict";
import { canUnshareNet, jail, type JailRun } from "./_helpers.ts";

const TYPES_URL = new URL("../src/policy/types.ts", import.meta.url).href;

interface BadCase {
  /** What is wrong. */
  name: string;
  /** Files to create in the case's directory (`$DIR` in arguments is that directory). */
  files?: Record<string, string>;
  /** jail's arguments. */
  args: string[];
  /** The whole stderr line after `jail: `, or a pattern for it. */
  message: string | RegExp;
  /** Run from the case's directory (for discovery). */
  inDir?: boolean;
  /** Wrap the run, e.g. in a network namespace. */
  prefix?: string[];
}

/** A command that says when it runs: no bad input may let it. */
const CMD = ["--", "echo", "ran"];

const CASES: BadCase[] = [
  {
    name: "unknown key, with a suggestion",
    files: { "c.json": '{ "syscals": { "mkdir": "deny" } }' },
    args: ["--config", "$DIR/c.json", ...CMD],
    message: '$DIR/c.json: syscals: unknown key: did you mean "syscalls"?',
  },
  {
    name: "unknown nested key, listing what is allowed",
    files: { "c.json": '{ "net": { "hosts": [] } }' },
    args: ["--config", "$DIR/c.json", ...CMD],
    message: "$DIR/c.json: net.hosts: unknown key: expected one of allow, deny, errno, bind, " +
      "loopback, unix",
  },
  {
    name: "wrong type",
    files: { "c.json": '{ "net": { "allow": "example.com" } }' },
    args: ["--config", "$DIR/c.json", ...CMD],
    message: '$DIR/c.json: net.allow: expected an array of strings, got "example.com"',
  },
  {
    name: "unknown syscall, with a suggestion",
    files: { "c.json": '{ "syscalls": { "conect": "deny" } }' },
    args: ["--config", "$DIR/c.json", ...CMD],
    message: '$DIR/c.json: syscalls.conect: unknown syscall "conect": did you mean "connect"?',
  },
  {
    name: "unknown errno, with a suggestion",
    files: { "c.json": '{ "syscalls": { "mkdir": { "deny": "EACESS" } } }' },
    args: ["--config", "$DIR/c.json", ...CMD],
    message: '$DIR/c.json: syscalls.mkdir.deny: unknown errno "EACESS": did you mean "EACCES"?',
  },
  {
    name: "unknown rule word, with a suggestion",
    files: { "c.json": '{ "syscalls": { "mkdir": "dney" } }' },
    args: ["--config", "$DIR/c.json", ...CMD],
    message:
      /^\$DIR\/c\.json: syscalls\.mkdir: unknown rule "dney": did you mean "deny"\? expected "allow", "deny", "kill", "trace"/,
  },
  {
    name: "malformed JSON, with line and column",
    files: { "c.json": '{\n  "syscalls": {\n    "mkdir": "deny",\n  }\n}\n' },
    args: ["--config", "$DIR/c.json", ...CMD],
    message: "$DIR/c.json: invalid JSON at line 4, column 3: expected a property name in double " +
      'quotes, found "}" (JSON allows no trailing comma)',
  },
  {
    name: "malformed JSON: a missing comma",
    files: { "c.json": '{ "timeout": "5s" "grace": "1s" }' },
    args: ["--config", "$DIR/c.json", ...CMD],
    message: `$DIR/c.json: invalid JSON at line 1, column 19: expected ',' or '}', found "\\""`,
  },
  {
    name: "a .ts config that throws",
    files: { "c.ts": 'throw new Error("no policy today");\nexport default {};\n' },
    args: ["--config", "$DIR/c.ts", ...CMD],
    message: "$DIR/c.ts: failed to load: no policy today",
  },
  {
    name: "a .ts config with a syntax error",
    files: { "c.ts": "export default {{;\n" },
    args: ["--config", "$DIR/c.ts", ...CMD],
    message: /^\$DIR\/c\.ts: failed to load: .+/,
  },
  {
    name: "a .ts config without a default export",
    files: { "c.ts": `import { defineConfig } from "${TYPES_URL}";\nexport const config = {};\n` },
    args: ["--config", "$DIR/c.ts", ...CMD],
    message: "$DIR/c.ts: no default export: expected export default defineConfig({ ... })",
  },
  {
    name: "a .ts config whose default export is not an object",
    files: { "c.ts": "export default 42;\n" },
    args: ["--config", "$DIR/c.ts", ...CMD],
    message: "$DIR/c.ts: expected an object with keys such as net, syscalls, timeout; got 42",
  },
  {
    name: "a missing config file",
    args: ["--config", "$DIR/nope.json", ...CMD],
    message: '--config: cannot read "$DIR/nope.json": No such file or directory',
  },
  {
    name: "a config file of another kind",
    files: { "c.yaml": "syscalls: {}\n" },
    args: ["--config", "$DIR/c.yaml", ...CMD],
    message: '--config: "$DIR/c.yaml": expected a .ts, .js or .json file',
  },
  {
    name: "a bad discovered ./jail.config.json",
    files: { "jail.config.json": '{ "timeout": -1 }' },
    args: CMD,
    inDir: true,
    message: 'jail.config.json: timeout: expected a duration such as "90s", "5m" or a number of ' +
      "seconds, got -1",
  },
  {
    name: "conflicting flags",
    args: ["--config", "x.json", "--no-config", ...CMD],
    message: "--config and --no-config: conflicting flags: give one of them",
  },
  {
    name: "--config without its value",
    args: ["--config"],
    message: "--config: missing value: expected --config <file> or --config=<value>",
  },
  {
    name: "a bad --timeout",
    args: ["--timeout", "abc", ...CMD],
    message: '--timeout: invalid duration "abc": expected a number of seconds or a time with ' +
      "units ms, s, m, h (90s, 5m, 1m30s; 0: none)",
  },
  {
    name: "a bad --grace",
    args: ["--grace=1y", ...CMD],
    message: '--grace: invalid duration "1y": expected a number of seconds or a time with units ' +
      "ms, s, m, h (90s, 5m, 1m30s; 0: none)",
  },
  {
    name: "a bad timeout in the config",
    files: { "c.json": '{ "timeout": "5x" }' },
    args: ["--config", "$DIR/c.json", ...CMD],
    message: '$DIR/c.json: timeout: expected a duration such as "90s", "5m" or a number of ' +
      'seconds, got "5x"',
  },
  {
    name: "--allow-net with an address out of range",
    args: ["--allow-net=300.1.1.1", ...CMD],
    message: '--allow-net: "300.1.1.1": not an IPv4 address: expected four numbers 0-255 ' +
      "separated by dots, e.g. 10.1.2.3",
  },
  {
    name: "--allow-net with a port out of range",
    args: ["--allow-net=localhost:80,host:99999", ...CMD],
    message: '--allow-net: "host:99999": bad port "99999": expected a port 0-65535 or a range ' +
      "like 8000-8999",
  },
  {
    name: "--deny-net with something that is no host",
    args: ["--deny-net=a/b/c", ...CMD],
    message: '--deny-net: "a/b/c": not a host, address or CIDR: expected e.g. example.com, ' +
      "10.0.0.0/8, [::1]:80, localhost:5432, unix:/run/*.sock",
  },
  {
    name: "--allow-net with an empty list",
    args: ["--allow-net=,", ...CMD],
    message: '--allow-net: empty list ",": give entries after = (comma-separated) or drop the = ' +
      "to mean all",
  },
  {
    name: "a bad net entry in the config",
    files: { "c.json": '{ "net": { "allow": ["localhost", "10.0.0.0/33"] } }' },
    args: ["--config", "$DIR/c.json", ...CMD],
    message: '$DIR/c.json: net.allow[1]: "10.0.0.0/33": bad prefix length: expected 0-32',
  },
  {
    name: "an unknown flag, with a suggestion",
    args: ["--allow-nett", ...CMD],
    message: "--allow-nett: unknown option: did you mean --allow-net?",
  },
  {
    name: "an unknown short flag",
    args: ["-x", ...CMD],
    message: "-x: unknown option; see jail --help",
  },
  {
    name: "a value for a flag that takes none",
    args: ["--wait=yes", ...CMD],
    message: "--wait: takes no value; see jail --help",
  },
  {
    name: "an argument index out of range",
    files: { "c.json": '{ "syscalls": { "umask": { "args": { "7": 1 } } } }' },
    args: ["--config", "$DIR/c.json", ...CMD],
    message: '$DIR/c.json: syscalls.umask.args: unknown argument index "7": expected "0" to "5" ' +
      "(rdi, rsi, rdx, r10, r8, r9)",
  },
  {
    name: "a return value that is no integer",
    files: { "c.json": '{ "syscalls": { "getppid": { "return": 1.5 } } }' },
    args: ["--config", "$DIR/c.json", ...CMD],
    message: "$DIR/c.json: syscalls.getppid.return: expected an integer (a safe integer, or a " +
      "bigint from -2^63 to 2^64-1), got 1.5",
  },
  {
    name: "clone3 allowed",
    files: { "c.json": '{ "syscalls": { "clone3": "allow" } }' },
    args: ["--config", "$DIR/c.json", ...CMD],
    message: /^\$DIR\/c\.json: syscalls\.clone3: "allow" would let a process leave the supervision/,
  },
  {
    name: "onRootExit neither kill nor wait",
    files: { "c.json": '{ "onRootExit": "maybe" }' },
    args: ["--config", "$DIR/c.json", ...CMD],
    message: '$DIR/c.json: onRootExit: expected "kill" or "wait", got "maybe"',
  },
  {
    name: "no command",
    args: [],
    message: "no command given: usage: jail [options] -- <command> [args...]",
  },
  {
    name: "no command after --",
    args: ["--allow-net", "--"],
    message: "no command given: usage: jail [options] -- <command> [args...]",
  },
];

/**
 * Runs one case in a fresh directory (removed again); returns the run, the message with $DIR
 * filled in, and the directory's name, for the message.
 */
async function runCase(c: BadCase): Promise<{ dir: string; run: JailRun; want: string | RegExp }> {
  const dir = await Deno.makeTempDir({ prefix: "jail_config_" });
  try {
    for (const [name, text] of Object.entries(c.files ?? {})) {
      await Deno.writeTextFile(`${dir}/${name}`, text);
    }
    const args = c.args.map((a) => a.replaceAll("$DIR", dir));
    // Every case runs in a directory of its own so that no real config is discovered.
    const run = await jail(args, { cwd: dir, prefix: c.prefix, timeoutMs: 30_000 });
    const want = typeof c.message === "string" ? c.message.replaceAll("$DIR", dir) : new RegExp(
      c.message.source.replaceAll("\\$DIR", dir.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")),
    );
    return { dir, run, want };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * What a case's message may start with: the config file (given or discovered) or a flag of the
 * case, or, when it gives no command, the usage line: the key comes first.
 */
function culprits(c: BadCase, dir: string): string[] {
  const args = c.args.map((a) => a.replaceAll("$DIR", dir));
  const command = args.includes("--") ? args.slice(args.indexOf("--") + 1) : [];
  const files = Object.keys(c.files ?? {}).flatMap((f) => [`${dir}/${f}:`, `${f}:`]);
  const flags = args.filter((a) => a.startsWith("-") && a !== "--").map((a) => a.split("=")[0]);
  return [
    ...files,
    ...flags.flatMap((f) => [`${f}:`, `${f} `]),
    ...(command.length === 0 ? ["no command given:"] : []),
  ];
}

function check(c: BadCase, dir: string, run: JailRun, want: string | RegExp): void {
  const where = `${c.name}: stderr ${JSON.stringify(run.stderr)}`;
  assert.equal(run.code, 125, where);
  assert.equal(run.stdout, "", `${where}: the command ran`);
  assert.ok(!/^ {4}at /m.test(run.stderr), `${where}: a stack trace`);
  const text = run.stderr.replace(/\n$/, "");
  assert.ok(!text.includes("\n"), `${where}: more than one line`);
  assert.ok(text.startsWith("jail: "), where);
  const message = text.slice("jail: ".length);
  const names = culprits(c, dir);
  assert.ok(names.some((n) => message.startsWith(n)), `${where}: names none of ${names}`);
  if (typeof want === "string") assert.equal(message, want, c.name);
  else assert.match(message, want, c.name);
}

Deno.test(`config: ${CASES.length} bad inputs each exit 125 with one clear line`, async () => {
  // Four at a time: each is a separate deno process.
  const results: { dir: string; run: JailRun; want: string | RegExp }[] = [];
  for (let i = 0; i < CASES.length; i += 4) {
    results.push(...await Promise.all(CASES.slice(i, i + 4).map(runCase)));
  }
  CASES.forEach((c, i) => check(c, results[i].dir, results[i].run, results[i].want));
});

Deno.test({
  name: "config: a host name that does not resolve is named with its flag or key",
  // A lookup is network traffic: only in a namespace with nothing but loopback.
  ignore: !(await canUnshareNet()),
  fn: async () => {
    const prefix = ["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$0" "$@"'];
    const cases: BadCase[] = [
      {
        name: "flag",
        args: ["--allow-net=nosuch.invalid:443", ...CMD],
        prefix,
        message: '--allow-net: "nosuch.invalid:443": host nosuch.invalid does not resolve',
      },
      {
        name: "config",
        files: { "c.json": '{ "net": { "deny": ["nosuch.invalid"] } }' },
        args: ["--config", "$DIR/c.json", ...CMD],
        prefix,
        message: '$DIR/c.json: net.deny[0]: "nosuch.invalid": host nosuch.invalid does not resolve',
      },
    ];
    for (const c of cases) {
      const { dir, run, want } = await runCase(c);
      check(c, dir, run, want);
    }
  },
});

Deno.test("config: a good config and flags run the command", async () => {
  const dir = await Deno.makeTempDir({ prefix: "jail_config_" });
  try {
    await Deno.writeTextFile(
      `${dir}/c.ts`,
      `import { defineConfig } from "${TYPES_URL}";\n` +
        `export default defineConfig({ net: { allow: ["localhost:5432"] }, timeout: "10m", ` +
        `grace: 1, onRootExit: "kill", syscalls: { mkdir: { deny: "EACCES" } } });\n`,
    );
    const run = await jail([
      "--config",
      `${dir}/c.ts`,
      "--allow-net=127.0.0.1:8000-8999,[::1]:80",
      "--deny-net=unix:/run/docker.sock",
      "--timeout=5m",
      "--",
      "sh",
      "-c",
      `mkdir ${dir}/x 2>/dev/null; echo $?`,
    ], { cwd: dir });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.trim(), "1");
    assert.equal(run.stderr, "");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
