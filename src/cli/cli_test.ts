import assert from "node:assert/strict";
import { type Cli, parseCli, UsageError } from "./cli.ts";

/** What parseCli makes of no options at all: every field that a test does not set. */
const DEFAULTS: Cli = {
  command: ["x"],
  flags: {},
  config: undefined,
  noConfig: false,
  timeout: undefined,
  grace: undefined,
  wait: false,
  explain: false,
  trace: false,
  traceCalls: undefined,
  traceFile: undefined,
  log: undefined,
  summary: false,
  learn: undefined,
  help: false,
  version: false,
};

/** parseCli(`args`, then `x`) compared whole with the defaults changed by `want`. */
function parsesAs(args: string[], want: Partial<Cli>): void {
  assert.deepEqual(parseCli([...args, "--", "x"]), { ...DEFAULTS, ...want }, args.join(" "));
}

/** The message of the UsageError that parseCli throws for `args`. */
function usageError(args: string[]): string {
  try {
    parseCli(args);
  } catch (e) {
    assert.ok(e instanceof UsageError, `${args.join(" ")}: ${e}`);
    return e.message;
  }
  assert.fail(`${args.join(" ")}: no usage error`);
}

Deno.test("parseCli: no options, booleans, short options and their groups", () => {
  parsesAs([], {});
  parsesAs(["--wait", "--explain", "--summary", "--no-config"], {
    wait: true,
    explain: true,
    summary: true,
    noConfig: true,
  });
  parsesAs(["-A"], { flags: { "allow-all": true } });
  parsesAs(["--allow-all"], { flags: { "allow-all": true } });
  parsesAs(["-Ah"], { flags: { "allow-all": true }, help: true });
  parsesAs(["-V"], { version: true });
  parsesAs(["--help"], { help: true });
});

Deno.test("parseCli: value options take `--flag value` or `--flag=value`; a repeat keeps the last", () => {
  parsesAs(["--config", "c.json"], { config: "c.json" });
  parsesAs(["--config=c.json", "--config=d.ts"], { config: "d.ts" });
  parsesAs(["--timeout", "90s", "--grace=1m30s"], { timeout: 90_000, grace: 90_000 });
  parsesAs(["--timeout=0"], { timeout: 0 });
  parsesAs(["--log", "run.jsonl"], { log: "run.jsonl" });
  parsesAs(["--learn", "jail.config.ts"], { learn: { path: "jail.config.ts", format: "ts" } });
  parsesAs(["--learn=out.json"], { learn: { path: "out.json", format: "json" } });
  parsesAs(["--cap-add=NET_RAW, SYS_PTRACE", "--cap-add", "ALL"], {
    flags: { "cap-add": ["NET_RAW", "SYS_PTRACE", "ALL"] },
  });
});

Deno.test("parseCli: --trace alone goes to stderr, --trace=<file> to a file, --trace-calls implies it", () => {
  parsesAs(["--trace"], { trace: true });
  parsesAs(["--trace=t.txt"], { trace: true, traceFile: "t.txt" });
  const cli = parseCli(["--trace-calls=openat,%net", "--", "x"]);
  assert.equal(cli.trace, true);
  assert.equal(cli.traceFile, undefined);
  assert.ok(cli.traceCalls?.includes("openat"), "a name");
  assert.ok(cli.traceCalls?.includes("connect"), "a member of %net");
  assert.equal(new Set(cli.traceCalls).size, cli.traceCalls?.length, "each call once");
});

Deno.test("parseCli: the --allow-net= forms: alone is everything, lists split, trim and add up", () => {
  parsesAs(["--allow-net"], { flags: { "allow-net": ["*"] } });
  parsesAs(["--deny-net"], { flags: { "deny-net": ["*"] } });
  parsesAs(["--allow-net=localhost:5432, 10.0.0.0/8", "--allow-net=[::1]:80"], {
    flags: { "allow-net": ["localhost:5432", "10.0.0.0/8", "[::1]:80"] },
  });
  // Entries are kept as written: loadPolicy parses them, naming the flag in its errors.
  parsesAs(["--deny-net=unix:/run/*.sock,300.1.1.1"], {
    flags: { "deny-net": ["unix:/run/*.sock", "300.1.1.1"] },
  });
  // Only a list with no entry at all is refused (below); an empty one between others drops out.
  parsesAs(["--deny-read=a,,b"], { flags: { "deny-read": ["a", "b"] } });
  parsesAs(["--allow-read=/etc", "--deny-write=/tmp/x", "--allow-run"], {
    flags: { "allow-read": ["/etc"], "deny-write": ["/tmp/x"], "allow-run": ["*"] },
  });
});

Deno.test("parseCli: the command starts after -- or at the first word that is no option", () => {
  const command = (args: string[]) => parseCli(args).command;
  assert.deepEqual(command(["--wait", "ls", "-l", "--allow-net"]), ["ls", "-l", "--allow-net"]);
  assert.deepEqual(command(["--config", "c.json", "ls"]), ["ls"], "a value is no command");
  assert.deepEqual(command(["--", "--wait"]), ["--wait"]);
  assert.deepEqual(command(["-", "x"]), ["-", "x"], "- is a word");
  assert.deepEqual(command(["--allow-net", "--", "localhost"]), ["localhost"]);
  assert.deepEqual(command(["--wait"]), []);
  assert.deepEqual(command([]), []);
});

Deno.test("parseCli: each usage error names the key, the value and what was expected", () => {
  const cases: [string[], string][] = [
    [
      ["--allow-net", "localhost"],
      "--allow-net takes its value with '=': --allow-net=localhost (or --allow-net -- localhost " +
      "to run localhost with --allow-net alone)",
    ],
    [
      ["--trace", "out.txt"],
      "--trace takes its value with '=': --trace=out.txt (or --trace -- out.txt to run out.txt " +
      "with --trace alone)",
    ],
    [
      ["--allow-net="],
      '--allow-net: empty list "": give entries after = (comma-separated) or drop the = to mean all',
    ],
    [
      ["--deny-net=, ,"],
      '--deny-net: empty list ", ,": give entries after = (comma-separated) or drop the = to ' +
      "mean all",
    ],
    [["--allow-nett"], "--allow-nett: unknown option: did you mean --allow-net?"],
    [["--frobnicate=1"], "--frobnicate: unknown option; see jail --help"],
    [["-x"], "-x: unknown option; see jail --help"],
    [
      ["-Ax"],
      "-Ax: unknown option (short options are -A, -h and -V; they take no value); see jail --help",
    ],
    [["--wait=yes"], "--wait: takes no value; see jail --help"],
    [["--config"], "--config: missing value: expected --config <file> or --config=<value>"],
    [
      ["--config", "--wait"],
      "--config: missing value: expected --config <file> or --config=<value>",
    ],
    [["--cap-add"], "--cap-add: missing value: expected --cap-add <names> or --cap-add=<value>"],
    [
      ["--timeout"],
      "--timeout: missing value: expected --timeout <duration> or --timeout=<value>",
    ],
    [
      ["--grace=1y"],
      '--grace: invalid duration "1y": expected a number of seconds or a time with units ms, s, ' +
      "m, h (90s, 5m, 1m30s; 0: none)",
    ],
    [["--cap-add=,"], "--cap-add: empty list: expected names such as --cap-add=NET_RAW"],
    [
      ["--learn", "x.yaml"],
      '--learn: "x.yaml": expected a .ts or .json file name, e.g. jail.config.ts',
    ],
    [["--log="], "--log: empty file name: expected --log <file>"],
    [["--trace="], "--trace: empty file name: expected --trace or --trace=<file>"],
    [
      ["--trace-calls=openat,,x"],
      '--trace-calls: empty entry in "openat,,x": expected names and classes such as ' +
      "--trace-calls=openat,%net",
    ],
  ];
  for (const [args, message] of cases) assert.equal(usageError(args), message, args.join(" "));
  assert.match(usageError(["--trace-calls=conect"]), /^--trace-calls: .*"conect".*connect/);
});
