/*
 * Tries to become the filter chain's seccomp listener: installs an allow-all
 * filter with SECCOMP_FILTER_FLAG_NEW_LISTENER. Prints "listener=ok" or
 * "listener=<ERRNO>"; exit 0 when it got one, 1 otherwise.
 *
 * A tree that holds a listener could answer SECCOMP_RET_USER_NOTIF for its
 * own calls (connect, say), which outranks the supervisor's SECCOMP_RET_TRACE.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
  struct sock_filter allow[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
  struct sock_fprog prog = {.len = 1, .filter = allow};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    printf("no_new_privs=%s\n", strerrorname_np(errno));
    return 2;
  }
  long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
  if (fd < 0) {
    printf("listener=%s\n", strerrorname_np(errno));
    return 1;
  }
  printf("listener=ok\n");
  return 0;
}
