/*
 * A tree that tries to steer the calls jail decides by notification with a
 * seccomp filter of its own on getppid: `trace` returns SECCOMP_RET_TRACE
 * with data 0xffff (a forged rule index; USER_NOTIF outranks TRACE, and the
 * supervisor never reads the data anyway), `notif` returns
 * SECCOMP_RET_USER_NOTIF from a filter without a listener (its own calls
 * then fail with ENOSYS: it can only hurt itself). Either way the real
 * getppid must never run. Prints "getppid=<result or errno name>".
 *
 * usage: notif_forge trace|notif
 */
#define _GNU_SOURCE
#include "getppid_filter.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

int main(int argc, char **argv) {
  unsigned int action = argc > 1 && strcmp(argv[1], "notif") == 0
                            ? SECCOMP_RET_USER_NOTIF
                            : SECCOMP_RET_TRACE | 0xffff;
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || install_getppid_filter(action, 0) != 0) {
    printf("setup=%s\n", strerrorname_np(errno));
    return 2;
  }
  long r = syscall(SYS_getppid);
  if (r < 0) printf("getppid=%s\n", strerrorname_np(errno));
  else printf("getppid=%ld\n", r);
  return 0;
}
