/*
 * Test harness (not a tracee): runs a command as a child subreaper.
 *
 * Tests that SIGKILL jail itself wrap it in this: the tracees that EXITKILL
 * kills are reparented here rather than to init (which does not reap here),
 * so no zombie is left behind. It reaps every descendant, exits once none
 * is left (so its own exit proves that the whole tree is gone), and exits
 * with the command's status (128 + N when a signal killed it).
 *
 * usage: reaper <command> [args...]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 2) return fprintf(stderr, "usage: reaper <command> [args...]\n"), 2;
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) return perror("prctl"), 1;
  pid_t cmd = fork();
  if (cmd < 0) return perror("fork"), 1;
  if (cmd == 0) {
    execvp(argv[1], argv + 1);
    perror(argv[1]);
    _exit(127);
  }
  int code = 1, status, reaped = 0;
  for (;;) {
    pid_t pid = waitpid(-1, &status, __WALL);
    if (pid < 0) {
      if (errno == EINTR) continue;
      break; /* ECHILD: nothing left */
    }
    reaped++;
    if (pid == cmd) code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  fprintf(stderr, "reaper: reaped %d\n", reaped);
  return code;
}
