/*
 * Seccomp notification values newer than some C headers (Linux 6.6): defined
 * here when <linux/seccomp.h> lacks them.
 */
#ifndef JAIL_NOTIF_COMPAT_H
#define JAIL_NOTIF_COMPAT_H
#include <linux/seccomp.h>

#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP 1
#endif
#endif
