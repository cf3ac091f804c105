// Benchmark wrapper: runs `cmd args...` as a child and prints on stderr the
// child's wall time from just before fork to its reaping (`bench_time_ns
// <ns>`). Run inside jail, it times the workload as jailed (its fork and exec
// included) without jail's own start-up and teardown. Exits with the child's
// status.
#include "tracee_common.h"
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: bench_time <cmd> [args...]\n");
    return 2;
  }
  long long t0 = now_ns();
  pid_t pid = fork();
  if (pid < 0) return 125;
  if (pid == 0) {
    execvp(argv[1], argv + 1);
    _exit(127);
  }
  int status;
  if (waitpid(pid, &status, 0) < 0) return 125;
  long long t1 = now_ns();
  fprintf(stderr, "bench_time_ns %lld\n", t1 - t0);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}
