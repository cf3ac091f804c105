/*
 * Installs an ordinary seccomp filter of its own, as sandboxing programs do
 * (PR_SET_NO_NEW_PRIVS, raw BPF: getppid fails with EPERM, everything else
 * is allowed), then checks it took effect and that other calls still work.
 * Prints "getppid=EPERM ok" and exits 0 when all is as expected.
 */
#define _GNU_SOURCE
#include "getppid_filter.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>

int main(void) {
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    printf("no_new_privs=%s\n", strerrorname_np(errno));
    return 2;
  }
  if (install_getppid_filter(SECCOMP_RET_ERRNO | EPERM, 0) != 0) {
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
