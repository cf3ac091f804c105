/*
 * Teardown fixture: a double-forked daemon in its own session that ignores
 * SIGTERM, SIGHUP and SIGINT.
 *
 * fork, setsid, fork again: the grandchild is reparented (to jail, the
 * subreaper) and is in no process group of the tree. It appends its pid to
 * the pid file and then waits forever. The first process returns only once
 * the pid is written, so when `setsid_daemon <file>` returns, the daemon is
 * recorded and running. Only SIGKILL of the whole tree ends it.
 *
 * usage: setsid_daemon <pid file>
 */
#include "tracee_common.h"

int main(int argc, char **argv) {
  if (argc < 2) return fprintf(stderr, "usage: setsid_daemon <pid file>\n"), 2;
  int ready[2];
  pid_t first = fork_with_ready_pipe(ready);
  if (first == 0) {
    setsid();
    pid_t daemon = fork();
    if (daemon < 0) _exit(1);
    if (daemon > 0) _exit(0);
    signal(SIGTERM, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    record_pid(argv[1]);
    signal_ready(ready[1], 1);
    close(ready[1]);
    for (;;) pause();
  }
  waitpid(first, NULL, 0);
  if (!await_ready(ready[0])) return fprintf(stderr, "daemon did not start\n"), 1;
  return 0;
}
