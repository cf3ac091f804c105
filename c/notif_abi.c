/*
 * The seccomp notification ABI as this machine's C headers have it, for the
 * test that holds kernel/seccomp.ts to it: one "name value" line each.
 */
#define _GNU_SOURCE
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include "notif_compat.h"


int main(void) {
  printf("notif.size %zu\n", sizeof(struct seccomp_notif));
  printf("notif.id %zu\n", offsetof(struct seccomp_notif, id));
  printf("notif.pid %zu\n", offsetof(struct seccomp_notif, pid));
  printf("notif.flags %zu\n", offsetof(struct seccomp_notif, flags));
  printf("notif.data %zu\n", offsetof(struct seccomp_notif, data));
  printf("resp.size %zu\n", sizeof(struct seccomp_notif_resp));
  printf("resp.id %zu\n", offsetof(struct seccomp_notif_resp, id));
  printf("resp.val %zu\n", offsetof(struct seccomp_notif_resp, val));
  printf("resp.error %zu\n", offsetof(struct seccomp_notif_resp, error));
  printf("resp.flags %zu\n", offsetof(struct seccomp_notif_resp, flags));
  printf("sizes.size %zu\n", sizeof(struct seccomp_notif_sizes));
  printf("RECV %lu\n", (unsigned long)SECCOMP_IOCTL_NOTIF_RECV);
  printf("SEND %lu\n", (unsigned long)SECCOMP_IOCTL_NOTIF_SEND);
  printf("ID_VALID %lu\n", (unsigned long)SECCOMP_IOCTL_NOTIF_ID_VALID);
  printf("SET_FLAGS %lu\n", (unsigned long)SECCOMP_IOCTL_NOTIF_SET_FLAGS);
  printf("GET_NOTIF_SIZES %d\n", SECCOMP_GET_NOTIF_SIZES);
  printf("FLAG_CONTINUE %lu\n", (unsigned long)SECCOMP_USER_NOTIF_FLAG_CONTINUE);
  printf("FD_SYNC_WAKE_UP %d\n", SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP);
  printf("RET_USER_NOTIF %u\n", SECCOMP_RET_USER_NOTIF);
  return 0;
}
