/* The seccomp filter the C programs install for themselves: getppid gets
 * `action` (trace it, fail it, hand it to a listener), every other call of
 * the native ABI is allowed and a call of any other ABI kills the process
 * (the arch check a filter that matches numbers needs). Shared by the
 * benchmarks' tracers (tracer_common.h, bench_notif.c) and wall_own_filter.c. */
#ifndef GETPPID_FILTER_H
#define GETPPID_FILTER_H
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define NATIVE_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
#error "getppid_filter.h: x86_64 or aarch64 only"
#endif

/*
 * Installs the filter with seccomp(SECCOMP_SET_MODE_FILTER, flags); returns
 * what the call returned (a listener's fd with SECCOMP_FILTER_FLAG_NEW_LISTENER),
 * -1 with errno on failure. The caller sets PR_SET_NO_NEW_PRIVS first.
 */
static inline long install_getppid_filter(unsigned int action, unsigned int flags) {
  struct sock_filter insns[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_AUDIT_ARCH, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, action),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {.len = sizeof insns / sizeof insns[0], .filter = insns};
  return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
}

#endif
