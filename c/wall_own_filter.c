/*
 * Installs an ordinary seccomp filter of its own, as sandboxing programs do
 * (PR_SET_NO_NEW_PRIVS, raw BPF: getppid fails with EPERM, everything else
 * is allowed), then checks it took effect and that other calls still work.
 * Prints "getppid=EPERM ok" and exits 0 when all is as expected.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
  struct sock_filter insns[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {.len = sizeof insns / sizeof insns[0], .filter = insns};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    printf("no_new_privs=%s\n", strerrorname_np(errno));
    return 2;
  }
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) {
    printf("seccomp=%s\n", strerrorname_np(errno));
    return 2;
  }
  long r = syscall(SYS_getppid);
  printf("getppid=%s", r < 0 ? strerrorname_np(errno) : "ok");
  /* The rest of the world still works under both filters: a child runs and is reaped. */
  pid_t pid = fork();
  if (pid == 0) _exit(7);
  int st = 0;
  if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 7) {
    printf(" fork=broken\n");
    return 3;
  }
  printf(" ok\n");
  return r < 0 && errno == EPERM ? 0 : 1;
}
