/*
 * Teardown fixture: a stopped process.
 *
 * A forked child records its pid and stops itself with SIGSTOP; nothing will
 * ever send it SIGCONT. The first process returns once the pid is written and
 * then /proc shows the child stopped (state T, or t under a tracer), so when
 * `stopped_child <file>` returns, the child is recorded and stopped. Only
 * SIGKILL ends it.
 *
 * usage: stopped_child <pid file>
 */
#include "tracee_common.h"

int main(int argc, char **argv) {
  if (argc < 2) return fprintf(stderr, "usage: stopped_child <pid file>\n"), 2;
  int ready[2];
  pid_t child = fork_with_ready_pipe(ready);
  if (child == 0) {
    record_pid(argv[1]);
    signal_ready(ready[1], 1);
    close(ready[1]);
    raise(SIGSTOP);
    for (;;) pause();
  }
  if (!await_ready(ready[0])) return fprintf(stderr, "child did not start\n"), 1;
  for (int i = 0; i < 100000; i++) { /* at most ~10 s */
    char s = proc_state(child);
    if (s == 'T' || s == 't') return 0;
    usleep(100);
  }
  fprintf(stderr, "child %d never stopped\n", child);
  return 1;
}
