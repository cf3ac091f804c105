/*
 * Stress fixture: N processes alive at once.
 *
 * Forks N children that each block reading a pipe until the parent closes
 * its write end, so all N are alive together; then closes it and reaps them
 * all. Exits 0 when every child exited 0.
 *
 * With "hold", the children wait forever instead, and the parent prints
 * "processes N alive" and exits 0 once all N have started: N orphans are
 * left for jail's teardown.
 *
 * usage: stress_procs [n=1000] [hold]
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 1000;
  int hold = argc > 2 && strcmp(argv[2], "hold") == 0;
  int p[2], started[2];
  if (pipe(p) != 0 || pipe(started) != 0) return perror("pipe"), 1;
  for (int i = 0; i < n; i++) {
    pid_t pid = fork();
    if (pid < 0) return perror("fork"), 1;
    if (pid == 0) {
      char c;
      close(p[1]);
      if (hold) {
        if (write(started[1], "s", 1) != 1) _exit(1);
        for (;;) pause();
      }
      _exit(read(p[0], &c, 1) == 0 ? 0 : 1);
    }
  }
  close(p[1]);
  if (hold) {
    char c;
    for (int i = 0; i < n; i++)
      if (read(started[0], &c, 1) != 1) return perror("read"), 1;
    printf("processes %d alive\n", n);
    return 0;
  }
  int bad = 0, status;
  for (int i = 0; i < n; i++)
    if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) bad++;
  printf("processes %d bad %d\n", n, bad);
  return bad ? 1 : 0;
}
