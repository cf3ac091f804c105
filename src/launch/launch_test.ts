import assert from "node:assert/strict";
import { kill } from "../../ffi/process.ts";
import { SIGNALS } from "../../kernel/signals.ts";
import { compilePolicy } from "../policy/compile.ts";
import { Supervisor } from "../supervisor/supervisor.ts";
import { launch, releaseListener } from "./launch.ts";

Deno.test("launch: a signal for the root before its execve is held until the exec, then acted on as the command's own default (never jail's handler)", () => {
  const policy = compilePolicy({}, { supervisorPid: Deno.pid, resolve: () => [] });
  // jail catches SIGUSR1: its child inherits the handler, which the execve resets.
  const listener = () => {};
  Deno.addSignalListener("SIGUSR1", listener);
  try {
    const launched = launch({
      argv: ["/bin/true"],
      env: [],
      filter: policy.filter,
      capabilities: [],
    });
    if ("failure" in launched) throw new Error(`launch failed: errno ${launched.failure.errno}`);
    try {
      const supervisor = new Supervisor(launched.pid, {
        onRootExit: "kill",
        filter: policy.spec,
        script: launched.script,
        launchMemory: launched.memory,
      });
      // Pending before the root's first resume, which stops at its delivery before the execve.
      kill(launched.pid, SIGNALS.SIGUSR1);
      supervisor.start();
      const result = supervisor.run()!;
      // Delivered there, Deno's handler would have run in the child and `true` exited 0.
      assert.deepEqual(result.root, { signal: SIGNALS.SIGUSR1 });
      assert.equal(result.execed, true);
    } finally {
      releaseListener(launched);
    }
  } finally {
    Deno.removeSignalListener("SIGUSR1", listener);
  }
});
