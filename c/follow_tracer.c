// The floor of following a tree with ptrace, for the churn benchmarks: a
// tracer that seizes a command and every process and thread it makes
// (PTRACE_O_TRACEFORK, VFORK, CLONE; EXITKILL), and does nothing else at a
// stop but resume it: an event stop, a new task's first stop, a signal's
// delivery stop (the signal delivered), a group-stop (PTRACE_LISTEN). No
// filter, no decisions: the stops any tracer that keeps every child must take,
// at the least a tracer can spend on each. Exits with the command's status.
// Usage: follow_tracer <cmd> [args...]
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: follow_tracer <cmd> [args...]\n");
    return 2;
  }
  pid_t root = fork();
  if (root == 0) {
    raise(SIGSTOP); // Seized while stopped, before the exec: the exec is followed too.
    execvp(argv[1], argv + 1);
    _exit(127);
  }
  int status;
  if (waitpid(root, &status, WUNTRACED) != root || !WIFSTOPPED(status)) return 125;
  // Seized, the exec sends no extra SIGTRAP, and new tasks start at PTRACE_EVENT_STOP.
  long options = PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE |
                 PTRACE_O_EXITKILL;
  if (ptrace(PTRACE_SEIZE, root, 0, options) != 0) return 125;
  kill(root, SIGCONT);
  int code = 125;
  for (;;) {
    pid_t pid = waitpid(-1, &status, __WALL);
    if (pid < 0) {
      if (errno == EINTR) continue;
      break; // ECHILD: the whole tree is gone.
    }
    if (WIFEXITED(status) || WIFSIGNALED(status)) {
      if (pid == root) code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      continue;
    }
    int sig = WSTOPSIG(status);
    int event = status >> 16;
    if (event == PTRACE_EVENT_STOP) {
      // A group-stop is kept with LISTEN; a new task's first stop (SIGTRAP) is resumed.
      if (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU) {
        ptrace(PTRACE_LISTEN, pid, 0, 0);
      } else {
        ptrace(PTRACE_CONT, pid, 0, 0);
      }
    } else if (event != 0 || sig == SIGTRAP) {
      ptrace(PTRACE_CONT, pid, 0, 0);
    } else {
      ptrace(PTRACE_CONT, pid, 0, sig); // A signal's delivery stop: delivered.
    }
  }
  return code;
}
