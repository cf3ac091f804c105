import assert from "node:assert/strict";
import type { NetAddress, SupervisorEvent, SyscallEvent } from "../events.ts";
import { Learner, learnFormat, renderLearnedConfig } from "./learn.ts";
import { connectCall, remote } from "./_events.ts";

function net(name: string, addr: NetAddress[], fields: Partial<SyscallEvent> = {}): SyscallEvent {
  return connectCall({
    pid: 2,
    tid: 2,
    exe: "/usr/bin/python3",
    name,
    args: [],
    addr,
    action: "perform",
    value: "0",
    rule: "net",
    ...fields,
  });
}

function learn(events: SupervisorEvent[]): Learner {
  const l = new Learner();
  for (const e of events) l.add(e);
  return l;
}

const EVENTS: SupervisorEvent[] = [
  { kind: "exec", time: 0, pid: 2, ppid: 1, exe: "/usr/bin/python3", argv: ["python3"] },
  net("connect", [remote("10.1.2.3:8080")]),
  net("connect", [remote("10.1.2.3:8080")]),
  net("sendto", [remote("10.0.0.53:53")]),
  net("connect", [{ family: "AF_INET", address: "127.0.0.1:5432", scope: "loopback" }]),
  net("connect", [{ family: "AF_UNIX", address: "unix:/run/x.sock", scope: "unix" }]),
  net("bind", [{ family: "AF_INET", address: "0.0.0.0:0", scope: "wildcard" }], {
    rule: "net.bind",
  }),
  net("connect", [remote("10.9.9.9:1")], { action: "deny", errno: 13, value: undefined }),
  {
    kind: "exec",
    time: 0,
    pid: 3,
    ppid: 2,
    exe: "/opt/tool.sh",
    interpreter: "/usr/bin/bash",
    argv: ["bash", "/opt/tool.sh"],
  },
];

Deno.test("Learner keeps remote destinations that were allowed, and every program", () => {
  const { net, run } = learn(EVENTS).learned;
  assert.deepEqual([...net.keys()].sort(), ["10.0.0.53:53", "10.1.2.3:8080"]);
  assert.deepEqual([...net.get("10.1.2.3:8080")!.calls], [["connect", 2]]);
  assert.deepEqual([...run.keys()].sort(), ["/opt/tool.sh", "/usr/bin/bash", "/usr/bin/python3"]);
});

Deno.test("Learner.add() says what is new, once", () => {
  const l = new Learner();
  assert.deepEqual(l.add(EVENTS[0]), { kind: "run", path: "/usr/bin/python3" });
  assert.deepEqual(l.add(EVENTS[1]), {
    kind: "net",
    address: "10.1.2.3:8080",
    call: "connect",
    program: "python3",
  });
  assert.equal(l.add(EVENTS[2]), undefined);
  assert.equal(l.add(EVENTS[0]), undefined);
});

Deno.test("renderLearnedConfig() writes JSON that allows exactly what was learned", () => {
  const text = renderLearnedConfig(learn(EVENTS).learned, "json", {
    command: ["x"],
    time: new Date(0),
  });
  assert.deepEqual(JSON.parse(text), {
    net: { allow: ["10.0.0.53:53", "10.1.2.3:8080"] },
    run: { allow: ["/opt/tool.sh", "/usr/bin/bash", "/usr/bin/python3"] },
  });
});

Deno.test("renderLearnedConfig() writes an annotated .ts that evaluates to the same config", async () => {
  const learned = learn(EVENTS).learned;
  const context = { command: ["python3", "-c", "x\ny */"], time: new Date(0) };
  const ts = renderLearnedConfig(learned, "ts", context);
  assert.match(ts, /^\/\/ Learned by `jail --learn` on 1970-01-01T00:00:00\.000Z/);
  assert.match(ts, /"10\.1\.2\.3:8080", \/\/ connect 2 times by python3$/m);
  assert.match(ts, /"\/usr\/bin\/bash", \/\/ interpreter of tool\.sh, ran once$/m);
  // Quoted as a shell would; a newline in the command cannot end the comment.
  assert.match(ts, /^\/\/ {3}python3 -c 'x\\x0ay \*\/'$/m);
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    await Deno.writeTextFile(file, ts);
    const mod = await import(`file://${file}`);
    const json = JSON.parse(renderLearnedConfig(learned, "json", context));
    assert.deepEqual(mod.default, json);
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("renderLearnedConfig() writes empty lists when nothing was seen", () => {
  const ts = renderLearnedConfig({ net: new Map(), run: new Map() }, "ts", {
    command: ["true"],
    time: new Date(0),
  });
  assert.match(ts, /allow: \[\],\n {2}\},\n {2}\/\/ The programs it ran\./);
});

Deno.test("learnFormat() picks the form by extension", () => {
  assert.equal(learnFormat("jail.config.ts"), "ts");
  assert.equal(learnFormat("a/b.mjs"), "ts");
  assert.equal(learnFormat("jail.config.json"), "json");
  assert.equal(learnFormat("jail.config.yaml"), undefined);
});
