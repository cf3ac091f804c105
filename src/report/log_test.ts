import assert from "node:assert/strict";
import { endRecord, LOG_VERSION, logRecord, LogWriter, startRecord } from "./log.ts";
import { connectCall, remote } from "./_events.ts";

Deno.test("logRecord() pins the v1 schema of each event, keys in order", () => {
  const lines = [
    logRecord({ kind: "spawn", time: 0, pid: 10, ppid: 1 }),
    logRecord({ kind: "exec", time: 1, pid: 10, ppid: 1, exe: "/bin/sh", argv: ["sh", "x.sh"] }),
    logRecord({
      kind: "exec",
      time: 1,
      pid: 10,
      ppid: 1,
      exe: "/tmp/x.sh",
      interpreter: "/usr/bin/dash",
      argv: ["/bin/sh", "/tmp/x.sh"],
    }),
    logRecord(connectCall({
      time: 2,
      tid: 11,
      exe: "/bin/sh",
      addr: [remote("10.1.2.3:80")],
      action: "deny",
      errno: 13,
      rule: "net",
    })),
    logRecord({
      kind: "syscall",
      time: 2,
      pid: 10,
      tid: 10,
      ppid: 1,
      nr: 83,
      name: "mkdir",
      args: ["0x1", "0x2", "0x3", "0x4", "0x5", "0x6"],
      action: "args",
      newArgs: { "1": "0x1c0" },
      rule: "syscalls.mkdir",
    }),
    logRecord({ kind: "exit", time: 3, pid: 10, ppid: 1, exe: "/bin/sh", code: 0 }),
    logRecord({ kind: "exit", time: 3, pid: 12, ppid: 10, signal: 9 }),
    startRecord({ time: 0, pid: 1, argv: ["sh"], cwd: "/w", version: "0.1.0", policy: "x.json" }),
    endRecord({ time: 4, exitCode: 124, timedOut: true, message: "timed out", processes: 2 }),
    endRecord({ time: 4, exitCode: 137, signal: 9, processes: 1 }),
  ].map((r) => JSON.stringify(r));
  const t = (ms: number) => `"time":"${new Date(ms).toISOString()}"`;
  assert.deepEqual(lines, [
    `{"v":1,"event":"spawn",${t(0)},"pid":10,"ppid":1}`,
    `{"v":1,"event":"exec",${t(1)},"pid":10,"ppid":1,"exe":"/bin/sh","argv":["sh","x.sh"]}`,
    `{"v":1,"event":"exec",${
      t(1)
    },"pid":10,"ppid":1,"exe":"/tmp/x.sh","interpreter":"/usr/bin/dash","argv":["/bin/sh","/tmp/x.sh"]}`,
    `{"v":1,"event":"syscall",${
      t(2)
    },"pid":10,"tid":11,"ppid":1,"exe":"/bin/sh","syscall":"connect","nr":42,"args":["0x3","0x7ffd0000","0x10"],"addr":[{"family":"AF_INET","address":"10.1.2.3:80"}],"decision":"deny","result":-1,"errno":"EACCES","rule":"net"}`,
    `{"v":1,"event":"syscall",${
      t(2)
    },"pid":10,"tid":10,"ppid":1,"syscall":"mkdir","nr":83,"args":["0x1","0x2","0x3","0x4","0x5","0x6"],"decision":"rewrite","rule":"syscalls.mkdir","set":{"1":"0x1c0"}}`,
    `{"v":1,"event":"exit",${t(3)},"pid":10,"ppid":1,"exe":"/bin/sh","code":0}`,
    `{"v":1,"event":"exit",${t(3)},"pid":12,"ppid":10,"signal":"SIGKILL"}`,
    `{"v":1,"event":"start",${
      t(0)
    },"pid":1,"argv":["sh"],"cwd":"/w","jail":"0.1.0","policy":"x.json"}`,
    `{"v":1,"event":"end",${t(4)},"exit":124,"timedOut":true,"message":"timed out","processes":2}`,
    `{"v":1,"event":"end",${t(4)},"exit":137,"signal":"SIGKILL","processes":1}`,
  ]);
  assert.equal(LOG_VERSION, 1);
});

Deno.test("LogWriter.create() empties a file; append() adds to it, one line per record", async () => {
  const path = await Deno.makeTempFile({ suffix: ".jsonl" });
  try {
    await Deno.writeTextFile(path, "old run\n");
    LogWriter.create(path).close();
    assert.equal(await Deno.readTextFile(path), "");
    using a = LogWriter.append(path, (m) => assert.fail(m));
    using b = LogWriter.append(path, (m) => assert.fail(m));
    a.write(startRecord({ time: 0, pid: 1, argv: [], cwd: "/", version: "0" }));
    b.write(endRecord({ time: 0, exitCode: 0 }));
    a.close();
    a.close(); // twice is harmless
    a.write(endRecord({ time: 0, exitCode: 1 })); // dropped after close
    const lines = (await Deno.readTextFile(path)).trim().split("\n").map((l) =>
      JSON.parse(l).event
    );
    assert.deepEqual(lines, ["start", "end"]);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("LogWriter reports a file it cannot open once, then drops records", () => {
  const errors: string[] = [];
  const w = LogWriter.append("/nonexistent-dir/x.jsonl", (m) => errors.push(m));
  w.write(endRecord({ time: 0, exitCode: 0 }));
  w.close();
  assert.equal(errors.length, 1);
  assert.match(errors[0], /^cannot open: /);
  assert.throws(() => LogWriter.create("/nonexistent-dir/x.jsonl"), Deno.errors.NotFound);
});
