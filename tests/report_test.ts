/**
 * Reports end to end: golden `--trace`, `--log` and `--summary` output of a
 * C probe with a fixed sequence of calls (pids, times and pointers replaced
 * by placeholders), a log that survives SIGKILL of jail, `--learn` and a
 * rerun under the learned config, and colour and progress on a terminal.
 * Non-loopback destinations only inside a fresh network namespace.
 */

import assert from "node:assert/strict";
import {
  buildC,
  canUnshareNet,
  inTempDir,
  jail,
  jailArgv,
  ok,
  PYTHON,
  shellQuote,
  until,
} from "./_helpers.ts";
import { HOST_ARCH } from "../src/arch/arch.ts";

/** The log names syscall numbers of the machine it runs on. */
const NR = HOST_ARCH.numbers;

/** A fresh directory for a test's files; removed afterwards. */
const inDir = (fn: (dir: string) => Promise<void>) => inTempDir("jail-report-", fn);

/** Replaces each distinct pid with `<p1>`, `<p2>`, ... in order of first appearance. */
class Pids {
  readonly #ids = new Map<number, string>();

  id(pid: number): string {
    let id = this.#ids.get(pid);
    if (!id) {
      id = `<p${this.#ids.size + 1}>`;
      this.#ids.set(pid, id);
    }
    return id;
  }
}

/** stderr with pids (in trace brackets, `spawn by`, `(pid N`, tree lines), times, pointers and the probe's path replaced. */
function normaliseText(text: string, probe: string): string {
  const pids = new Pids();
  return text
    .replaceAll(probe, "<probe>")
    .replace(
      /(?<=\[|\[\d+\/|spawn by |\(pid |^[ │├└─]*)\d+(?=[\] /]|$)/gm,
      (n) => pids.id(Number(n)),
    )
    .replace(/\b0x[0-9a-f]{6,}\b/g, "<ptr>")
    .replace(/ in \d+\.\d\d s;/g, " in <s> s;");
}

/** Log lines, checked for types, then with pids, times, pointers and paths replaced. */
function normaliseLog(text: string, probe: string, config: string): string[] {
  const pids = new Pids();
  assert.ok(text.endsWith("\n"), "the log ends with a complete line");
  return text.trimEnd().split("\n").map((line) => {
    const r = JSON.parse(line);
    assert.match(r.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, line);
    r.time = "<time>";
    for (const k of ["pid", "ppid", "tid"]) {
      if (k in r) {
        assert.ok(Number.isInteger(r[k]) && r[k] > 0, `${k} in ${line}`);
        r[k] = pids.id(r[k]);
      }
    }
    if (r.args) r.args = r.args.map((a: string) => /^0x[0-9a-f]{6,}$/.test(a) ? "<ptr>" : a);
    if (r.cwd) r.cwd = "<cwd>";
    if (r.jail) r.jail = "<version>";
    if (r.policy === config) r.policy = "<config>";
    return JSON.stringify(r).replaceAll(probe, "<probe>");
  });
}

const PROBE_CONFIG = JSON.stringify({ syscalls: { getppid: { return: 7 } } });

const GOLDEN_TRACE = `\
[<p1>] spawn by <p2>
[<p1> report_probe] exec <probe> ["<probe>"]
[<p1> report_probe] getppid() = 7  return by syscalls.getppid
[<p1> report_probe] bind(3, {AF_INET, 0.0.0.0:0}, 16) = 0  allow by net
[<p1> report_probe] connect(3, {AF_INET, 127.0.0.1:9}, 16) = 0  allow by net
jail: denied connect to 127.0.0.7:80 (pid <p1> report_probe); it matches the deny entry 127.0.0.7
[<p1> report_probe] connect(4, {AF_INET, 127.0.0.7:80}, 16) = -1 EACCES (Permission denied)  deny by net
jail: denied sendto to 127.0.0.7:53 (pid <p1> report_probe); it matches the deny entry 127.0.0.7
[<p1> report_probe] sendto(3, <ptr>, 1, 0, {AF_INET, 127.0.0.7:53}, 16) = -1 EACCES (Permission denied)  deny by net
[<p3> report_probe] spawn by <p1>
[<p3> true] exec /bin/true ["true", "two words"]
[<p3> true] exit 0
[<p4> report_probe] spawn by <p1>
[<p4> report_probe] killed by SIGKILL
[<p1> report_probe] exit 3
`;

const GOLDEN_SUMMARY = `\
jail: summary: exit status 3; 3 processes in <s> s; 2 denied, 1 rewritten
  <p1> report_probe  exit 3
  ├─ <p3> true 'two words'  exit 0
  └─ <p4> report_probe  killed by SIGKILL
jail: denied and rewritten calls:
  rule              decision  call     destination   count  by
  net               deny      connect  127.0.0.7:80      1  report_probe
  net               deny      sendto   127.0.0.7:53      1  report_probe
  syscalls.getppid  return    getppid  -                 1  report_probe
`;

const GOLDEN_MARKDOWN = `\
### jail: \`<probe>\`

exit status 3; 3 processes in <s> s; 2 denied, 1 rewritten.

\`\`\`text
<p1> report_probe  exit 3
├─ <p2> true 'two words'  exit 0
└─ <p3> report_probe  killed by SIGKILL
\`\`\`

| rule | decision | call | destination | count | by |
| --- | --- | --- | --- | ---: | --- |
| net | deny | connect | 127.0.0.7:80 | 1 | report_probe |
| net | deny | sendto | 127.0.0.7:53 | 1 | report_probe |
| syscalls.getppid | return | getppid | - | 1 | report_probe |

`;

const GOLDEN_LOG = [
  `{"v":1,"event":"start","time":"<time>","pid":"<p1>","argv":["<probe>"],"cwd":"<cwd>","jail":"<version>","policy":"<config>"}`,
  `{"v":1,"event":"spawn","time":"<time>","pid":"<p2>","ppid":"<p1>"}`,
  `{"v":1,"event":"exec","time":"<time>","pid":"<p2>","ppid":"<p1>","exe":"<probe>","argv":["<probe>"]}`,
  `{"v":1,"event":"syscall","time":"<time>","pid":"<p2>","tid":"<p2>","ppid":"<p1>","exe":"<probe>","syscall":"getppid","nr":${NR.getppid},"args":["0x1","0x2","0x3","0x4","0x5","0x6"],"decision":"return","result":7,"rule":"syscalls.getppid"}`,
  `{"v":1,"event":"syscall","time":"<time>","pid":"<p2>","tid":"<p2>","ppid":"<p1>","exe":"<probe>","syscall":"bind","nr":${NR.bind},"args":["0x3","<ptr>","0x10"],"addr":[{"family":"AF_INET","address":"0.0.0.0:0"}],"decision":"allow","result":0,"rule":"net"}`,
  `{"v":1,"event":"syscall","time":"<time>","pid":"<p2>","tid":"<p2>","ppid":"<p1>","exe":"<probe>","syscall":"connect","nr":${NR.connect},"args":["0x3","<ptr>","0x10"],"addr":[{"family":"AF_INET","address":"127.0.0.1:9"}],"decision":"allow","result":0,"rule":"net"}`,
  `{"v":1,"event":"syscall","time":"<time>","pid":"<p2>","tid":"<p2>","ppid":"<p1>","exe":"<probe>","syscall":"connect","nr":${NR.connect},"args":["0x4","<ptr>","0x10"],"addr":[{"family":"AF_INET","address":"127.0.0.7:80"}],"decision":"deny","result":-1,"errno":"EACCES","rule":"net"}`,
  `{"v":1,"event":"syscall","time":"<time>","pid":"<p2>","tid":"<p2>","ppid":"<p1>","exe":"<probe>","syscall":"sendto","nr":${NR.sendto},"args":["0x3","<ptr>","0x1","0x0","<ptr>","0x10"],"addr":[{"family":"AF_INET","address":"127.0.0.7:53"}],"decision":"deny","result":-1,"errno":"EACCES","rule":"net"}`,
  `{"v":1,"event":"spawn","time":"<time>","pid":"<p3>","ppid":"<p2>","exe":"<probe>"}`,
  `{"v":1,"event":"exec","time":"<time>","pid":"<p3>","ppid":"<p2>","exe":"/bin/true","argv":["true","two words"]}`,
  `{"v":1,"event":"exit","time":"<time>","pid":"<p3>","ppid":"<p2>","exe":"/bin/true","code":0}`,
  `{"v":1,"event":"spawn","time":"<time>","pid":"<p4>","ppid":"<p2>","exe":"<probe>"}`,
  `{"v":1,"event":"exit","time":"<time>","pid":"<p4>","ppid":"<p2>","exe":"<probe>","signal":"SIGKILL"}`,
  `{"v":1,"event":"exit","time":"<time>","pid":"<p2>","ppid":"<p1>","exe":"<probe>","code":3}`,
  `{"v":1,"event":"end","time":"<time>","exit":3,"code":3,"processes":3}`,
];

Deno.test("report: --trace, --log and --summary of one run match the golden output", async (t) => {
  const probe = await buildC("report_probe");
  await inDir(async (dir) => {
    const config = `${dir}/probe.json`;
    await Deno.writeTextFile(config, PROBE_CONFIG);
    const log = `${dir}/run.jsonl`;
    const md = `${dir}/step_summary.md`;
    await Deno.writeTextFile(md, "earlier step\n");
    const run = await jail(
      [
        "--config",
        config,
        "--deny-net=127.0.0.7",
        "--trace",
        "--summary",
        "--log",
        log,
        "--",
        probe,
      ],
      { env: { GITHUB_STEP_SUMMARY: md } },
    );
    assert.equal(run.code, 3, run.stderr);
    assert.equal(run.stdout, "getppid 7\nbind 0\nconnect 0\nconnect 13\nsendto 13\n");
    await t.step("trace and summary on stderr", () => {
      assert.equal(normaliseText(run.stderr, probe), GOLDEN_TRACE + GOLDEN_SUMMARY);
    });
    await t.step("log lines (schema v1)", async () => {
      assert.deepEqual(normaliseLog(await Deno.readTextFile(log), probe, config), GOLDEN_LOG);
    });
    await t.step("markdown appended to GITHUB_STEP_SUMMARY", async () => {
      const text = await Deno.readTextFile(md);
      assert.ok(text.startsWith("earlier step\n"), "appended, not replaced");
      assert.equal(normaliseText(text.slice("earlier step\n".length), probe), GOLDEN_MARKDOWN);
    });
  });
});

Deno.test("report: without report flags jail prints only its denial lines", async () => {
  const probe = await buildC("report_probe");
  await inDir(async (dir) => {
    const config = `${dir}/probe.json`;
    await Deno.writeTextFile(config, PROBE_CONFIG);
    const run = await jail(["--config", config, "--deny-net=127.0.0.7", "--", probe], {
      env: { GITHUB_STEP_SUMMARY: `${dir}/md` },
    });
    assert.equal(run.code, 3);
    assert.deepEqual(run.stderr.trimEnd().split("\n").map((l) => l.replace(/pid \d+/, "pid N")), [
      "jail: denied connect to 127.0.0.7:80 (pid N report_probe); it matches the deny entry 127.0.0.7",
      "jail: denied sendto to 127.0.0.7:53 (pid N report_probe); it matches the deny entry 127.0.0.7",
    ]);
    await assert.rejects(Deno.stat(`${dir}/md`), Deno.errors.NotFound);
  });
});

Deno.test("report: the log holds every line the tree caused when jail itself is SIGKILLed", async () => {
  const [probe, reaper] = await Promise.all([buildC("report_probe"), buildC("reaper")]);
  await inDir(async (dir) => {
    const config = `${dir}/probe.json`;
    await Deno.writeTextFile(config, PROBE_CONFIG);
    const log = `${dir}/run.jsonl`;
    // The reaper exits only when every descendant is gone: its exit proves the teardown.
    const child = new Deno.Command(reaper, {
      args: jailArgv([
        "--config",
        config,
        "--deny-net=127.0.0.7",
        "--log",
        log,
        "--",
        "sh",
        "-c",
        `${probe}; echo ready; exec cat`,
      ]),
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
      env: { NO_COLOR: "1" },
    }).spawn();
    let stdout = "";
    const pump = (async () => {
      for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) stdout += chunk;
    })();
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    try {
      await until("ready", () => stdout.includes("ready\n"), 20_000);
      // The tree has made all its calls; now jail dies without any chance to flush.
      const records = () =>
        Deno.readTextFileSync(log).trimEnd().split("\n").map((l) => JSON.parse(l));
      const jailPid = records()[0].pid;
      Deno.kill(jailPid, "SIGKILL");
      const status = await child.status;
      assert.equal(status.code, 128 + 9, "the reaper saw jail die of SIGKILL");
      const text = Deno.readTextFileSync(log);
      assert.ok(text.endsWith("\n"), "no torn line");
      const sh = records().find((r) => r.event === "exec").exe;
      assert.match(sh, /\/sh$/);
      // The probe's own calls (the shell makes some of its own: dash calls getppid at start).
      const events = records().filter((r) => r.event !== "syscall" || r.exe === probe).map((r) =>
        (r.event === "syscall" ? `${r.syscall} ${r.decision}` : `${r.event} ${r.exe ?? ""}`.trim())
          .replaceAll(probe, "<probe>").replace(sh, "<sh>")
      );
      // Each of these was on disk before the process it records went on. (An exit line is
      // written when jail reaps the process, which may be just after its parent saw it die.)
      assert.deepEqual(events.filter((e) => !e.startsWith("exit ")).slice(0, 13), [
        "start",
        "spawn",
        "exec <sh>",
        "spawn <sh>",
        "exec <probe>",
        "getppid return",
        "bind allow",
        "connect allow",
        "connect deny",
        "sendto deny",
        "spawn <probe>",
        "exec /bin/true",
        "spawn <probe>",
      ]);
      assert.ok(!events.includes("end"), "jail was killed before it could write the end");
    } finally {
      clearTimeout(timer);
      await child.stdin.close().catch(() => {});
      await pump.catch(() => {});
      await child.status;
    }
  });
});

const CLIENT = `
import socket, sys
# A loopback test server of its own: loopback is allowed by default, so never learned.
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(1)
c = socket.create_connection(srv.getsockname()); a, _ = srv.accept()
c.sendall(b"x"); assert a.recv(1) == b"x"
for host in sys.argv[1:]:
    s = socket.socket()
    try:
        s.connect((host, 18080)); print(host, "ok", s.recv(10).decode())
    except OSError as e:
        print(host, "errno", e.errno)
`;

/** Listens on 10.1.2.3:18080, returns once listening, serves one connection in the background. */
const SERVER = `
import os, socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.1.2.3", 18080)); s.listen(4); s.settimeout(20)
if os.fork() > 0: os._exit(0)
os.dup2(os.open(os.devnull, os.O_RDWR), 1)
try:
    c, _ = s.accept(); c.sendall(b"hi"); c.close()
except OSError:
    pass
`;

Deno.test({
  name: "report: --learn, then the learned config allows the same run and denies a new destination",
  ignore: !(await canUnshareNet()),
  fn: async () => {
    const reaper = await buildC("reaper");
    await inDir(async (dir) => {
      await Deno.writeTextFile(`${dir}/client.py`, CLIENT);
      await Deno.writeTextFile(`${dir}/server.py`, SERVER);
      // A fresh namespace with 10.1.2.3 on lo and a server on it; the reaper reaps the server.
      const netns = [
        reaper,
        "unshare",
        "-n",
        "sh",
        "-c",
        `ip link set lo up && ip addr add 10.1.2.3/32 dev lo && "$0" ${dir}/server.py && exec "$@"`,
        PYTHON,
      ];
      const client = [PYTHON, `${dir}/client.py`];
      const learned = `${dir}/jail.config.ts`;

      const learning = await jail(["--learn", learned, "--", ...client, "10.1.2.3"], {
        prefix: netns,
      });
      ok(learning, "learning");
      assert.equal(learning.stdout, "10.1.2.3 ok hi\n");
      assert.match(learning.stderr, /^jail: learned 1 destination and 1 program; wrote /m);
      assert.doesNotMatch(learning.stderr, /learn: \+/, "no progress lines off a terminal");
      const text = await Deno.readTextFile(learned);
      assert.match(text, /^ {6}"10\.1\.2\.3:18080", \/\/ connect once by python/m);
      assert.doesNotMatch(text, /127\.0\.0\.1/, "loopback is allowed anyway");
      const config = (await import(`file://${learned}`)).default;
      assert.deepEqual(config, { net: { allow: ["10.1.2.3:18080"] }, run: { allow: [PYTHON] } });

      const again = await jail(["--config", learned, "--", ...client, "10.1.2.3"], {
        prefix: netns,
      });
      ok(again, "the same run under the learned config");
      assert.equal(again.stdout, "10.1.2.3 ok hi\n");

      const more = await jail(["--config", learned, "--", ...client, "10.1.2.3", "10.1.2.4"], {
        prefix: netns,
      });
      ok(more, "a run with a new destination");
      assert.equal(more.stdout, "10.1.2.3 ok hi\n10.1.2.4 errno 13\n");
      assert.match(more.stderr, /^jail: denied connect to 10\.1\.2\.4:18080 /m);
    });
  },
});

Deno.test("report: --learn writes JSON by extension and leaves loopback out", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const served = (async () => {
    for (let i = 0; i < 2; i++) (await listener.accept()).close();
  })();
  try {
    await inDir(async (dir) => {
      const code = `import socket; socket.create_connection(("127.0.0.1", ${port})).close()`;
      const learned = `${dir}/jail.config.json`;
      const learning = await jail(["--learn", learned, "--", PYTHON, "-c", code]);
      ok(learning, "learning");
      assert.deepEqual(JSON.parse(await Deno.readTextFile(learned)), {
        net: { allow: [] },
        run: { allow: [PYTHON] },
      });
      ok(await jail(["--config", learned, "--", PYTHON, "-c", code]), "rerun");
    });
    await served;
  } finally {
    listener.close();
  }
});

Deno.test("report: a bad --learn file name or an unwritable --log stops jail before the command runs", async () => {
  const bad = await jail(["--learn", "policy.yaml", "--", "sh", "-c", "echo ran"]);
  assert.equal(bad.code, 125);
  assert.equal(bad.stdout, "");
  assert.match(bad.stderr, /^jail: --learn: "policy\.yaml": expected a \.ts or \.json file name/m);
  const log = await jail(["--log", "/nonexistent-dir/run.jsonl", "--", "sh", "-c", "echo ran"]);
  assert.equal(log.code, 125);
  assert.equal(log.stdout, "");
  assert.match(log.stderr, /^jail: --log \/nonexistent-dir\/run\.jsonl: cannot write: /m);
  const missing = await jail(["--log"]);
  assert.equal(missing.code, 125);
  assert.match(missing.stderr, /--log: missing value: expected --log <file>/);
});

/** Runs jail on a pseudo-terminal (util-linux `script`); returns what the terminal showed. */
async function onTerminal(args: string[], env: Record<string, string>): Promise<string> {
  const quoted = shellQuote(jailArgv(args));
  const child = new Deno.Command("script", {
    args: ["-qec", quoted, "/dev/null"],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env,
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  const out = await child.output();
  clearTimeout(timer);
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout).replaceAll("\r\n", "\n");
}

const hasScript = await new Deno.Command("script", { args: ["-V"], stdout: "null", stderr: "null" })
  .output().then((o) => o.success, () => false);

Deno.test({
  name: "report: on a terminal --trace colours unless NO_COLOR, and --learn shows what it learns",
  ignore: !hasScript,
  fn: async () => {
    await inDir(async (dir) => {
      const args = ["--trace", "--learn", `${dir}/l.json`, "--", "/bin/true"];
      const colour = await onTerminal(args, { NO_COLOR: "" });
      assert.ok(colour.includes('\x1b[36mexec\x1b[0m /bin/true ["/bin/true"]'), colour);
      assert.match(colour, /^jail: learn: \+ run \/bin\/true$/m);
      const plain = await onTerminal(args, { NO_COLOR: "1" });
      assert.ok(!plain.includes("\x1b"), plain);
      assert.match(plain, /^\[\d+ true\] exec \/bin\/true \["\/bin\/true"\]$/m);
    });
  },
});
