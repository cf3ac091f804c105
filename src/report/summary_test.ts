import assert from "node:assert/strict";
import type { SupervisorEvent } from "../events.ts";
import { renderSummary, renderSummaryMarkdown, SummaryCollector, treeLines } from "./summary.ts";
import { connectCall, remote } from "./_events.ts";

function collect(events: SupervisorEvent[]): SummaryCollector {
  const c = new SummaryCollector();
  for (const e of events) c.add(e);
  return c;
}

const RUN: SupervisorEvent[] = [
  { kind: "spawn", time: 1000, pid: 10, ppid: 1 },
  { kind: "exec", time: 1001, pid: 10, ppid: 1, exe: "/bin/sh", argv: ["sh", "-c", "make all"] },
  { kind: "spawn", time: 1002, pid: 11, ppid: 10, exe: "/bin/sh" },
  { kind: "exec", time: 1003, pid: 11, ppid: 10, exe: "/usr/bin/curl", argv: ["curl", "x"] },
  connectCall({
    time: 1004,
    pid: 11,
    tid: 11,
    ppid: 10,
    args: ["0x3", "0x0", "0x10"],
    addr: [remote("10.1.2.3:443")],
    action: "deny",
    errno: 13,
    rule: "net",
  }),
  { kind: "exit", time: 1005, pid: 11, ppid: 10, exe: "/usr/bin/curl", code: 7 },
  { kind: "spawn", time: 1006, pid: 12, ppid: 10, exe: "/bin/sh" },
  { kind: "exit", time: 1007, pid: 12, ppid: 10, exe: "/bin/sh", signal: 9 },
  { kind: "exit", time: 1250, pid: 10, ppid: 1, exe: "/bin/sh", code: 2 },
];

Deno.test("renderSummary() draws the tree and the table of denied calls", () => {
  assert.equal(
    renderSummary(collect(RUN).data, { exitCode: 2 }),
    [
      "jail: summary: exit status 2; 3 processes in 0.25 s; 1 denied, 0 rewritten",
      "  10 sh -c 'make all'  exit 2",
      "  ├─ 11 curl x  exit 7",
      "  └─ 12 sh  killed by SIGKILL",
      "jail: denied and rewritten calls:",
      "  rule  decision  call     destination   count  by",
      "  net   deny      connect  10.1.2.3:443      1  curl",
      "",
    ].join("\n"),
  );
});

Deno.test("renderSummaryMarkdown() gives a heading, the tree in a code block and a table", () => {
  const md = renderSummaryMarkdown(collect(RUN).data, { exitCode: 2 }, ["sh", "-c", "make all"]);
  assert.equal(
    md,
    [
      "### jail: `sh -c 'make all'`",
      "",
      "exit status 2; 3 processes in 0.25 s; 1 denied, 0 rewritten.",
      "",
      "```text",
      "10 sh -c 'make all'  exit 2",
      "├─ 11 curl x  exit 7",
      "└─ 12 sh  killed by SIGKILL",
      "```",
      "",
      "| rule | decision | call | destination | count | by |",
      "| --- | --- | --- | --- | ---: | --- |",
      "| net | deny | connect | 10.1.2.3:443 | 1 | curl |",
      "", // a blank line apart from what the next step appends
      "",
    ].join("\n"),
  );
});

Deno.test("renderSummaryMarkdown() escapes table cells", () => {
  const c = collect([
    { kind: "spawn", time: 0, pid: 1, ppid: 0 },
    {
      kind: "syscall",
      time: 0,
      pid: 1,
      tid: 1,
      ppid: 0,
      exe: "/x/a|b",
      nr: 42,
      name: "connect",
      args: [],
      addr: [{ family: "AF_UNIX", address: "unix:/tmp/a|`b`", scope: "unix" }],
      action: "deny",
      errno: 13,
      rule: "net",
    },
  ]);
  const md = renderSummaryMarkdown(c.data, { exitCode: 0 }, ["x"]);
  assert.match(md, /\| unix:\/tmp\/a\\\|\\`b\\` \| 1 \| a\\\|b \|/);
});

Deno.test("renderSummary() says so when nothing was denied or rewritten", () => {
  const text = renderSummary(collect(RUN.filter((e) => e.kind !== "syscall")).data, {
    exitCode: 0,
  });
  assert.match(text, /^jail: no calls were denied or rewritten$/m);
});

Deno.test("treeLines() collapses identical leaves and caps the output", () => {
  const events: SupervisorEvent[] = [
    { kind: "spawn", time: 0, pid: 1, ppid: 0 },
    { kind: "exec", time: 0, pid: 1, ppid: 0, exe: "/usr/bin/make", argv: ["make"] },
  ];
  for (let pid = 2; pid < 7; pid++) {
    events.push({ kind: "spawn", time: 0, pid, ppid: 1 });
    events.push({ kind: "exec", time: 0, pid, ppid: 1, exe: "/usr/bin/cc", argv: ["cc", "-c"] });
    events.push({ kind: "exit", time: 0, pid, ppid: 1, code: 0 });
  }
  events.push({ kind: "spawn", time: 0, pid: 7, ppid: 1 });
  events.push({ kind: "exit", time: 0, pid: 7, ppid: 1, code: 1 });
  const roots = collect(events).data.roots;
  assert.deepEqual(treeLines(roots), [
    "1 make  still running",
    "├─ 5× cc -c  exit 0",
    "└─ 7 make  exit 1",
  ]);
  assert.deepEqual(treeLines(roots, 2), [
    "1 make  still running",
    "├─ 5× cc -c  exit 0",
    "... 1 more process",
  ]);
});

Deno.test("SummaryCollector keeps a reused pid's processes apart", () => {
  const roots = collect([
    { kind: "spawn", time: 0, pid: 1, ppid: 0 },
    { kind: "spawn", time: 0, pid: 2, ppid: 1 },
    { kind: "exit", time: 0, pid: 2, ppid: 1, code: 0 },
    { kind: "spawn", time: 0, pid: 2, ppid: 1 },
    { kind: "exit", time: 0, pid: 2, ppid: 1, code: 5 },
    { kind: "exit", time: 0, pid: 1, ppid: 0, code: 0 },
  ]).data.roots;
  assert.deepEqual(treeLines(roots), ["1 ?  exit 0", "├─ 2 ?  exit 0", "└─ 2 ?  exit 5"]);
});

Deno.test("SummaryCollector names a root that never exec'd after the command", () => {
  const c = new SummaryCollector(["no-such-command", "x"]);
  c.add({ kind: "spawn", time: 0, pid: 5, ppid: 1 });
  c.add({ kind: "exit", time: 0, pid: 5, ppid: 1, code: 127 });
  assert.deepEqual(treeLines(c.data.roots), ["5 no-such-command  exit 127"]);
});
