/**
 * The documented example policy. `jail` picks this file up when it runs in
 * this directory (`--config <file>` names another, `--no-config` skips it).
 *
 * As written it asks for exactly the built-in default, spelled out, so that
 * every key is shown with its meaning; uncomment lines to tighten or widen it.
 * The same schema works as `jail.config.json`, without the functions.
 *
 * @module
 */

import { defineConfig } from "./mod.ts";

export default defineConfig({
  net: {
    // Destinations besides loopback and unix sockets: host, host:port, host:8000-8999,
    // [::1]:80, 10.0.0.0/8, *:443, unix:/run/*.sock, "*" (everything). Names resolve once.
    allow: [
      // "registry.npmjs.org:443",
      // "localhost:5432",
    ],
    // Deny wins over allow, loopback included.
    deny: [
      // "127.0.0.1:6379",
    ],
    errno: "EACCES", // what a denied connect, sendto, sendmsg or bind fails with
    bind: "rewrite", // a bind to 0.0.0.0 or :: lands on loopback; or "allow", "deny"
    loopback: true,
    unix: true,
  },
  // Files and programs: path globs (~ and relative paths allowed). An allow list makes
  // everything else unreadable/unwritable/unrunnable, apart from the system base paths.
  // read: { allow: ["."], deny: ["~/.ssh"] },
  // write: { allow: ["./dist", "/tmp"] },
  // run: { allow: ["node", "npm", "/usr/bin/git"] },
  // redirect: { "/etc/hosts": "./fixtures/hosts" },
  syscalls: {
    // uname: "trace",                  // stop, record, allow
    // getppid: { return: 1 },          // skip it and fake the result
    // mount: { deny: "EPERM" },        // refused in the kernel
    // reboot: "kill",                  // kill the whole tree, naming syscall, pid and rule
    // umask: { args: { "0": 0o022 } }, // run it with an argument replaced
    // openat: (call) => (call.args[2] & 0o100n ? { deny: "EROFS" } : "allow"), // decided per call
  },
  onRootExit: "kill", // when the command exits, kill the rest of its tree; or "wait"
  grace: "2s", // between a forwarded SIGINT/SIGTERM/SIGHUP and SIGKILL of the tree
  // timeout: "10m",
});
