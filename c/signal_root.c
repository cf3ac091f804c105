/*
 * Teardown fixture: a root that reacts to SIGTERM, SIGINT and SIGHUP (or
 * ignores them), with a child that ignores them all.
 *
 * Appends "<own pid> <parent pid>" and then the child's pid to the pid file
 * (the parent pid is jail's: tests that SIGKILL jail find it there). With
 * mode "exit", a handler prints "root got SIG<name>" and exits with 64 + the
 * signal number; with mode "ignore" the root ignores the three signals.
 * Either way it then waits forever. The child ignores them all and waits
 * forever: only the tree's SIGKILL ends it.
 *
 * usage: signal_root <pid file> exit|ignore
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void on_signal(int sig) {
  const char *name = sig == SIGTERM ? "SIGTERM" : sig == SIGINT ? "SIGINT" : "SIGHUP";
  char buf[64];
  int n = snprintf(buf, sizeof buf, "root got %s\n", name);
  if (write(1, buf, n) != n) _exit(1);
  _exit(64 + sig);
}

int main(int argc, char **argv) {
  if (argc < 3) return fprintf(stderr, "usage: signal_root <pid file> exit|ignore\n"), 2;
  int ignore = strcmp(argv[2], "ignore") == 0;
  int sigs[] = {SIGTERM, SIGINT, SIGHUP};
  int ready[2];
  if (pipe(ready) != 0) return perror("pipe"), 1;
  pid_t child = fork();
  if (child < 0) return perror("fork"), 1;
  if (child == 0) {
    for (int i = 0; i < 3; i++) signal(sigs[i], SIG_IGN);
    close(ready[0]);
    if (write(ready[1], "r", 1) != 1) _exit(1);
    for (;;) pause();
  }
  close(ready[1]);
  char c;
  if (read(ready[0], &c, 1) != 1) return fprintf(stderr, "child did not start\n"), 1;
  for (int i = 0; i < 3; i++) signal(sigs[i], ignore ? SIG_IGN : on_signal);
  FILE *f = fopen(argv[1], "a");
  if (!f) return perror(argv[1]), 1;
  fprintf(f, "%d %d\n%d\n", getpid(), getppid(), child);
  fclose(f);
  printf("ready\n");
  fflush(stdout);
  for (;;) pause();
}
