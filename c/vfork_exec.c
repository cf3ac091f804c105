/*
 * Quirk: vfork followed by exec.
 *
 * The vfork parent stays blocked, its memory lent to the child, until the
 * child execs. Each round the child first makes a traced call (getppid, with
 * the test's config: a seccomp stop while the parent is blocked), then execs
 * `true`, or a path that does not exist and leaves with _exit(127). The
 * parent checks the statuses: the supervisor must resume both sides in
 * whatever order their stops arrive (the child's first stop may come before
 * the parent's PTRACE_EVENT_VFORK). The root exits 0 when every round was
 * right.
 *
 * usage: vfork_exec [rounds=200]
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 200;
  volatile int bad = 0; /* volatile: vfork shares this frame with the child */
  for (volatile int i = 0; i < rounds; i++) {
    int missing = i % 10 == 9;
    pid_t pid = vfork();
    if (pid < 0) return perror("vfork"), 1;
    if (pid == 0) {
      syscall(SYS_getppid);
      if (missing) execl("/nonexistent/true", "true", (char *)NULL);
      else execl("/bin/true", "true", (char *)NULL);
      _exit(127);
    }
    int status, want = missing ? 127 : 0;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != want) {
      fprintf(stderr, "round %d: status %#x, expected exit %d\n", i, status, want);
      bad++;
    }
  }
  printf("rounds %d bad %d\n", rounds, bad);
  return bad ? 1 : 0;
}
