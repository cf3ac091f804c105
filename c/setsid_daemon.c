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
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 2) return fprintf(stderr, "usage: setsid_daemon <pid file>\n"), 2;
  int ready[2];
  if (pipe(ready) != 0) return perror("pipe"), 1;
  pid_t first = fork();
  if (first < 0) return perror("fork"), 1;
  if (first == 0) {
    close(ready[0]);
    setsid();
    pid_t daemon = fork();
    if (daemon < 0) _exit(1);
    if (daemon > 0) _exit(0);
    signal(SIGTERM, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    FILE *f = fopen(argv[1], "a");
    if (!f) _exit(1);
    fprintf(f, "%d\n", getpid());
    fclose(f);
    if (write(ready[1], "r", 1) != 1) _exit(1);
    close(ready[1]);
    for (;;) pause();
  }
  close(ready[1]);
  waitpid(first, NULL, 0);
  char c;
  if (read(ready[0], &c, 1) != 1) return fprintf(stderr, "daemon did not start\n"), 1;
  return 0;
}
