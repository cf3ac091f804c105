// Benchmark fixture: N processes alive at once. Forks N children that block
// reading a pipe, prints "ready", waits for EOF on stdin, then releases them.
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 1000;
  int fds[2];
  if (pipe(fds)) return 1;
  for (int i = 0; i < n; i++) {
    pid_t pid = fork();
    if (pid < 0) return 1;
    if (pid == 0) {
      char c;
      close(fds[1]);
      while (read(fds[0], &c, 1) > 0) {
      }
      _exit(0);
    }
  }
  close(fds[0]);
  printf("ready\n");
  fflush(stdout);
  char buf[64];
  while (read(0, buf, sizeof buf) > 0) {
  }
  close(fds[1]);
  while (wait(NULL) > 0) {
  }
  return 0;
}
