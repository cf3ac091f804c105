/**
 * The text of `jail --help`.
 *
 * @module
 */

import { VERSION } from "../version.ts";

/** HELP text for `jail --help`. */
export const HELP =
  `jail ${VERSION}: run a command and its whole process tree under a ptrace+seccomp supervisor

Usage: jail [options] -- <command> [args...]

With no options the built-in policy applies: network limited to loopback and
unix sockets, everything else allowed, the known escape routes closed.

Permissions (Deno style; a list is comma-separated, repeatable):
  --allow-net[=<hosts>]    allow network destinations (host, host:port, CIDR, port ranges, unix:<glob>); alone: all
  --deny-net[=<hosts>]     deny network destinations; alone: all, loopback included
  --allow-read[=<paths>]   --deny-read[=<paths>]     file reads by path glob
  --allow-write[=<paths>]  --deny-write[=<paths>]    file writes by path glob
  --allow-run[=<programs>] --deny-run[=<programs>]   executables by path glob
  -A, --allow-all          allow everything the policy restricts (observe only); deny lists
                           and a config's syscalls rules still apply
  --cap-add=<names>        capabilities a root command keeps besides the default set (Docker's
                           without NET_RAW), e.g. NET_RAW,SYS_PTRACE; ALL keeps every one; -A
                           keeps all but SYS_PTRACE, SYS_MODULE, SYS_RAWIO, BPF and PERFMON

Policy:
  --config <file>          jail.config.ts or jail.config.json (default: ./jail.config.ts, ./jail.config.json)
  --no-config              ignore config files in the current directory
  --explain                print the compiled seccomp filter and rules, then exit

Run:
  --timeout <duration>     kill the tree after this long (90s, 5m, 1m30s, 1h; 0: no limit); exit 124
  --grace <duration>       after a forwarded SIGINT/SIGTERM/SIGHUP/SIGQUIT, SIGKILL the tree after
                           this long (default 2s)
  --wait                   when the command exits, wait for the rest of its tree instead of killing it

Reports (see README.md, "Trace, log, summary, learn"):
  --trace[=<file>]         a line per process event and supervised call on stderr (strace-like:
                           decoded arguments, the result each call returned), or appended to <file>
  --trace-calls=<calls>    trace these syscalls (names and classes, like strace -e trace=), e.g.
                           openat,connect,%net,%file; classes: %network (%net), %file, %process,
                           %signal, %memory, %ipc, %desc. Implies --trace
  --log <file>             a JSON Lines log of the run, one line per event, written as it happens
  --summary                at the end: the process tree and the denied and rewritten calls
                           (also appended as markdown to $GITHUB_STEP_SUMMARY when set)
  --learn <file>           run with everything allowed and write a jail.config.ts or .json (by
                           extension) that allows exactly the destinations and programs seen

  -h, --help               this text
  -V, --version            the version

Signals: the command runs in a process group of its own. Every catchable signal sent to jail
(to its pid, its group, or both, as GNU timeout does) reaches that group once (INT, TERM, HUP,
QUIT, USR1, USR2, ALRM, WINCH, CONT, PWR, VTALRM, PROF, URG, IO, STKFLT); processes that left
the group (setsid daemons) are not reached. jail keeps CHLD, PIPE, XCPU, XFSZ, SYS and TSTP,
TTIN, TTOU for itself and ignores real-time signals (Deno cannot receive them). USR1 never
opens Deno's inspector. On a terminal the command's group is the foreground (^C, ^\\, ^Z reach
it alone); when it stops, jail stops too, and fg or bg continues it; the terminal goes back to
jail's group when the run ends.

Exit status: the command's own; 128+N when it died of signal N; 124 on timeout;
125 when jail itself fails (bad option or config); 126 not executable; 127 not found;
159 (128+SIGSYS) when a "kill" rule fired.

Examples:
  jail -- npm test                              tests cut off from the network
  jail --allow-net=10.0.0.5:5432 -- npm test    plus one database host (loopback is allowed)
  jail --deny-net -- ./build.sh                 no network at all
  jail --timeout=5m -- make                     no build runs longer than five minutes
  jail --config jail.config.ts -- node app.js   a policy in a file
  jail --learn jail.config.ts -- npm test       learn a policy from one run
`;
