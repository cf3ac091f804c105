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
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void record(const char *path) {
  FILE *f = fopen(path, "a");
  if (!f) _exit(1);
  fprintf(f, "%d\n", getpid());
  fclose(f);
}

int main(int argc, char **argv) {
  if (argc < 2) return fprintf(stderr, "usage: vfork_blocked <pid file>\n"), 2;
  int ready[2];
  if (pipe(ready) != 0) return perror("pipe"), 1;
  pid_t parent = fork();
  if (parent < 0) return perror("fork"), 1;
  if (parent == 0) {
    close(ready[0]);
    signal(SIGTERM, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    record(argv[1]);
    if (vfork() == 0) {
      record(argv[1]);
      if (write(ready[1], "r", 1) != 1) _exit(1);
      for (;;) pause();
    }
    _exit(0); /* reached only if the vfork child ever left */
  }
  close(ready[1]);
  char c;
  if (read(ready[0], &c, 1) != 1) return fprintf(stderr, "vfork child did not start\n"), 1;
  return 0;
}
