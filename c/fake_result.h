// The tracer side of a faked call, per architecture: skip the stopped call and
// make it return a value (what jail's `{ "return": N }` rule does at a stop).
// Shared by the benchmarks' C tracers (min_tracer.c, bench_one_tracer.c).
#ifndef FAKE_RESULT_H
#define FAKE_RESULT_H
#include <linux/elf.h>
#include <linux/audit.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/user.h>

#if defined(__x86_64__)
#define NATIVE_AUDIT_ARCH AUDIT_ARCH_X86_64
/* Skips the stopped call and fakes its result. */
static void fake_result(pid_t pid, long fake) {
  struct user_regs_struct regs;
  ptrace(PTRACE_GETREGS, pid, 0, &regs);
  regs.orig_rax = -1;
  regs.rax = fake;
  ptrace(PTRACE_SETREGS, pid, 0, &regs);
}
#elif defined(__aarch64__)
#define NATIVE_AUDIT_ARCH AUDIT_ARCH_AARCH64
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
#error "fake_result.h: x86_64 or aarch64 only"
#endif

#endif
