/*
 * Teardown fixture: a parent blocked in vfork.
 *
 * A forked child (the "parent" of the vfork) records its pid and vforks; the
 * vfork child records its pid too and then never execs nor exits, so its
 * parent stays blocked in vfork. Both ignore SIGTERM and SIGHUP. The first
 * process returns once both pids are written (the vfork child runs only
 * while its parent is blocked), so when `vfork_blocked <file>` returns, both
 * are recorded and stuck.
 *
 * usage: vfork_blocked <pid file>
 */
#include "tracee_common.h"

int main(int argc, char **argv) {
  if (argc < 2) return fprintf(stderr, "usage: vfork_blocked <pid file>\n"), 2;
  int ready[2];
  pid_t parent = fork_with_ready_pipe(ready);
  if (parent == 0) {
    signal(SIGTERM, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    record_pid(argv[1]);
    if (vfork() == 0) {
      record_pid(argv[1]);
      signal_ready(ready[1], 1);
      for (;;) pause();
    }
    _exit(0); /* reached only if the vfork child ever left */
  }
  if (!await_ready(ready[0])) return fprintf(stderr, "vfork child did not start\n"), 1;
  return 0;
}
