/*
 * Reaches for another process the ways a same-uid process can: opens
 * /proc/<pid>/mem for writing, opens and reads the link /proc/<pid>/fd/0,
 * takes its descriptor 0 with pidfd_open + pidfd_getfd, reads its memory
 * with process_vm_readv, and signals it (signal 0: the permission check
 * alone). The target is argv[1], or the parent (getppid) without one.
 *
 * Prints one line per access, "mem=ok" or "mem=<ERRNO>", and exits with the
 * number of accesses that succeeded.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

static int wins;

static void report(const char *what, int ok) {
  printf("%s=%s\n", what, ok ? "ok" : strerrorname_np(errno));
  if (ok) wins++;
}

/* The start of a readable mapping of the target, from its maps (itself a ptrace-checked file). */
static unsigned long readable_address(pid_t pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/maps", pid);
  FILE *f = fopen(path, "r");
  if (!f) return 0x10000;
  char line[512];
  unsigned long start = 0x10000, end;
  char perms[8];
  while (fgets(line, sizeof line, f)) {
    if (sscanf(line, "%lx-%lx %7s", &start, &end, perms) == 3 && perms[0] == 'r') break;
  }
  fclose(f);
  return start;
}

int main(int argc, char **argv) {
  pid_t pid = argc > 1 ? atoi(argv[1]) : getppid();
  char path[64];
  printf("target=%d\n", pid);

  snprintf(path, sizeof path, "/proc/%d/mem", pid);
  int fd = open(path, O_RDWR);
  report("mem", fd >= 0);
  if (fd >= 0) close(fd);

  snprintf(path, sizeof path, "/proc/%d/fd/0", pid);
  char link[256];
  report("fd_link", readlink(path, link, sizeof link) >= 0);
  fd = open(path, O_RDONLY | O_NONBLOCK);
  report("fd_open", fd >= 0);
  if (fd >= 0) close(fd);

  int pidfd = syscall(SYS_pidfd_open, pid, 0);
  if (pidfd < 0) {
    report("pidfd_getfd", 0);
  } else {
    int got = syscall(SYS_pidfd_getfd, pidfd, 0, 0);
    report("pidfd_getfd", got >= 0);
    if (got >= 0) close(got);
    close(pidfd);
  }

  char buf[16];
  struct iovec local = {buf, sizeof buf};
  struct iovec remote = {(void *)readable_address(pid), sizeof buf};
  report("vm_readv", process_vm_readv(pid, &local, 1, &remote, 1, 0) == (ssize_t)sizeof buf);

  report("signal", kill(pid, 0) == 0);
  fflush(stdout);
  return wins;
}
