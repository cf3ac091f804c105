/*
 * Quirk: vfork followed by _exit.
 *
 * The vfork child runs in its parent's memory while the parent is blocked;
 * here it makes a traced call (getppid, with the test's config), stores a
 * value the parent then reads (proof that the memory was shared, so this
 * really was a vfork), and leaves with _exit(code). The parent checks both.
 * The root exits 0 when every round was right.
 *
 * usage: vfork_exit [rounds=200]
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int shared;

int main(int argc, char **argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 200;
  volatile int bad = 0; /* volatile: vfork shares this frame with the child */
  for (volatile int i = 0; i < rounds; i++) {
    int code = i % 100 + 1;
    shared = 0;
    pid_t pid = vfork();
    if (pid < 0) return perror("vfork"), 1;
    if (pid == 0) {
      syscall(SYS_getppid);
      shared = code;
      _exit(code);
    }
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != code ||
        shared != code) {
      fprintf(stderr, "round %d: status %#x shared %d, expected %d\n", i, status, shared, code);
      bad++;
    }
  }
  printf("rounds %d bad %d\n", rounds, bad);
  return bad ? 1 : 0;
}
