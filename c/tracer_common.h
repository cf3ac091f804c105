// What the benchmarks' C tracers (min_tracer.c, bench_one_tracer.c) share: a
// child started under a filter that traces getppid, and the tracer side of a
// faked call, per architecture: skip the stopped call and make it return a
// value (what jail's `{ "return": N }` rule does at a stop).
#ifndef TRACER_COMMON_H
#define TRACER_COMMON_H
#include "getppid_filter.h"
#include <linux/elf.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/user.h>

#if defined(__x86_64__)
/* Skips the stopped call and fakes its result. */
static void fake_result(pid_t pid, long fake) {
  struct user_regs_struct regs;
  ptrace(PTRACE_GETREGS, pid, 0, &regs);
  regs.orig_rax = -1;
  regs.rax = fake;
  ptrace(PTRACE_SETREGS, pid, 0, &regs);
}
#elif defined(__aarch64__)
/* The number lives in its own regset: -1 there skips the call; x0 carries the result. */
static void fake_result(pid_t pid, long fake) {
  struct user_regs_struct regs;
  int nr;
  struct iovec r = {&regs, sizeof regs}, n = {&nr, sizeof nr};
  ptrace(PTRACE_GETREGSET, pid, NT_PRSTATUS, &r);
  ptrace(PTRACE_GETREGSET, pid, NT_ARM_SYSTEM_CALL, &n);
  regs.regs[0] = fake;
  nr = -1;
  ptrace(PTRACE_SETREGSET, pid, NT_PRSTATUS, &r);
  ptrace(PTRACE_SETREGSET, pid, NT_ARM_SYSTEM_CALL, &n);
}
#else
#error "tracer_common.h: x86_64 or aarch64 only"
#endif

/*
 * Forks a child that stops for the tracer (PTRACE_TRACEME, SIGSTOP), then
 * installs a filter tracing getppid (any other arch killed) and execs `cmd`;
 * returns it seized with TRACESECCOMP and EXITKILL, running.
 */
static pid_t start_traced_child(char **cmd) {
  pid_t pid = fork();
  if (pid == 0) {
    ptrace(PTRACE_TRACEME, 0, 0, 0);
    raise(SIGSTOP);
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    if (install_getppid_filter(SECCOMP_RET_TRACE, 0)) _exit(125);
    execvp(cmd[0], cmd);
    _exit(127);
  }
  int status;
  waitpid(pid, &status, __WALL);
  ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_TRACESECCOMP | PTRACE_O_EXITKILL);
  ptrace(PTRACE_CONT, pid, 0, 0);
  return pid;
}

#endif
