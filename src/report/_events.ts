/**
 * Supervisor events as the report tests write them: one syscall event to change field by field.
 *
 * @module
 */

import type { NetAddress, SyscallEvent } from "../events.ts";

/** connect(3, <addr>, 16) by curl (pid 10, parent 1), allowed; `fields` change any part. */
export function connectCall(fields: Partial<SyscallEvent> = {}): SyscallEvent {
  return {
    kind: "syscall",
    time: 0,
    pid: 10,
    tid: 10,
    ppid: 1,
    exe: "/usr/bin/curl",
    nr: 42,
    name: "connect",
    args: ["0x3", "0x7ffd0000", "0x10"],
    action: "allow",
    ...fields,
  };
}

/** An IPv4 destination outside the machine, as events carry it. */
export const remote = (address: string): NetAddress => ({
  family: "AF_INET",
  address,
  scope: "remote",
});
