// The minimal ptrace+seccomp tracer jail's per-stop cost is measured against:
// it traces getppid with SECCOMP_RET_TRACE and fakes its result, doing per stop
// what jail does for a { "return": n } rule: GETREGS, SETREGS, CONT (on aarch64:
// GETREGSET of the registers and of the number, SETREGSET of both, CONT).
// Usage: min_tracer <result> <cmd> [args...]
#include <linux/audit.h>
#include <linux/elf.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tracer_common.h"

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: min_tracer <result> <cmd> [args...]\n");
    return 2;
  }
  long fake = atol(argv[1]);
  pid_t pid = start_traced_child(argv + 2);
  int status;
  for (;;) {
    if (waitpid(pid, &status, __WALL) < 0) return 1;
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    int sig = 0;
    if (status >> 8 == (SIGTRAP | (PTRACE_EVENT_SECCOMP << 8))) {
      fake_result(pid, fake);
    } else if (WSTOPSIG(status) != SIGTRAP) {
      sig = WSTOPSIG(status);
    }
    ptrace(PTRACE_CONT, pid, 0, sig);
  }
}
