/* Reaching the supervisor (jail = getppid()) the way any same-uid process can:
 * its memory, fds, root, pidfd_getfd, process_vm_*, process_madvise, kcmp,
 * ptrace, rlimits, scheduling of each of its threads.
 * Usage: adv_super <token> */
#include "adv_common.h"
#include <dirent.h>
#include <linux/kcmp.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/uio.h>

#define IOPRIO_WHO_PROCESS 1
#define IOPRIO_CLASS_IDLE 3
#define IOPRIO_CLASS_SHIFT 13

static pid_t P;
static int tids[256], ntids;

static void threads(void) {
  ntids = thread_ids(P, tids, 256);
  if (ntids < 0) {
    ntids = 0;
    return;
  }
  out("info jail pid %d has %d threads", P, ntids);
}

/* An address mapped readable in jail, from its maps (itself readable?). */
static unsigned long mapped_addr(void) {
  char path[64], line[512];
  snprintf(path, sizeof path, "/proc/%d/maps", P);
  FILE *f = fopen(path, "r");
  if (!f) {
    blocked("read-maps");
    return 0;
  }
  unsigned long a = 0, b;
  char perm[8];
  while (fgets(line, sizeof line, f)) {
    if (sscanf(line, "%lx-%lx %7s", &a, &b, perm) == 3 && perm[0] == 'r' && perm[1] == 'w') break;
    a = 0;
  }
  fclose(f);
  out("escaped read-maps jail's address space layout is readable");
  return a;
}

static void mem(unsigned long addr) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/mem", P);
  int fd = open(path, O_RDWR);
  if (fd < 0) {
    blocked("proc-mem-open");
    return;
  }
  out("escaped proc-mem-open O_RDWR");
  unsigned char byte;
  if (addr && pread(fd, &byte, 1, addr) == 1) {
    /* Write back the byte it held: proves the write without changing jail. */
    verdict("proc-mem-write", pwrite(fd, &byte, 1, addr));
  }
  close(fd);
}

static void fds(void) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/fd", P);
  DIR *d = opendir(path);
  if (!d) {
    blocked("proc-fd-list");
  } else {
    struct dirent *e;
    int opened = 0, seen = 0;
    while ((e = readdir(d))) {
      if (e->d_name[0] == '.') continue;
      seen++;
      char p[300];
      snprintf(p, sizeof p, "/proc/%d/fd/%s", P, e->d_name);
      int fd = open(p, O_RDONLY | O_NONBLOCK | O_NOCTTY);
      if (fd >= 0) {
        opened++;
        close(fd);
      }
    }
    closedir(d);
    out("%s proc-fd-open opened %d of %d", opened ? "escaped" : "blocked", opened, seen);
  }
  snprintf(path, sizeof path, "/proc/%d/root/", P);
  DIR *r = opendir(path);
  verdict("proc-root", r ? 0 : -1);
  if (r) closedir(r);
  snprintf(path, sizeof path, "/proc/%d/environ", P);
  int fd = open(path, O_RDONLY);
  char buf[16];
  verdict("proc-environ", fd >= 0 ? read(fd, buf, sizeof buf) : -1);
  if (fd >= 0) close(fd);
}

static void pidfds(unsigned long addr) {
  int pfd = syscall(SYS_pidfd_open, P, 0);
  if (pfd < 0) {
    out("info pidfd-open %s", errname());
  } else {
    int got = -1;
    for (int i = 0; i < 64 && got < 0; i++) got = syscall(SYS_pidfd_getfd, pfd, i, 0);
    verdict("pidfd-getfd", got);
    if (got >= 0) close(got);
    struct iovec l = {malloc(64), 64}, r = {(void *)addr, 64};
    verdict("process-madvise", syscall(SYS_process_madvise, pfd, &r, 1, MADV_COLD, 0));
    close(pfd);
    (void)l;
  }
  unsigned char b[64];
  struct iovec l = {b, sizeof b}, r = {(void *)addr, sizeof b};
  verdict("process-vm-readv", addr ? process_vm_readv(P, &l, 1, &r, 1, 0) : -1);
  if (addr && process_vm_readv(P, &l, 1, &r, 1, 0) == sizeof b) {
    verdict("process-vm-writev", process_vm_writev(P, &l, 1, &r, 1, 0));
  } else {
    verdict("process-vm-writev", addr ? process_vm_writev(P, &l, 1, &r, 1, 0) : -1);
  }
  verdict("kcmp", syscall(SYS_kcmp, getpid(), P, KCMP_FILE, 0, 0));
}

static void trace(void) {
  for (int i = 0; i < ntids; i++) {
    long rc = ptrace(PTRACE_SEIZE, tids[i], 0, 0);
    if (rc == 0) {
      out("escaped ptrace-seize tid %d", tids[i]);
      ptrace(PTRACE_DETACH, tids[i], 0, 0);
    } else if (i == 0) {
      blocked("ptrace-seize");
    }
  }
  long rc = ptrace(PTRACE_ATTACH, P, 0, 0);
  if (rc == 0) {
    out("escaped ptrace-attach");
    waitpid(P, NULL, __WALL);
    ptrace(PTRACE_DETACH, P, 0, 0);
  } else {
    blocked("ptrace-attach");
  }
}

static void sched(void) {
  int pr = 0, aff = 0, sch = 0, io = 0;
  for (int i = 0; i < ntids; i++) {
    int t = tids[i];
    errno = 0;
    int cur = getpriority(PRIO_PROCESS, t);
    if (errno == 0 && setpriority(PRIO_PROCESS, t, cur) == 0) pr++;
    cpu_set_t set;
    if (sched_getaffinity(t, sizeof set, &set) == 0 && sched_setaffinity(t, sizeof set, &set) == 0) aff++;
    struct sched_param sp = {0};
    int pol = sched_getscheduler(t);
    if (pol >= 0 && sched_setscheduler(t, pol, &sp) == 0) sch++;
    long ioprio = syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, t);
    if (ioprio >= 0 && syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, t, ioprio) == 0) io++;
  }
  /* Each setter writes back the value read: proof without slowing jail down. */
  out("%s setpriority %d of %d threads", pr ? "escaped" : "blocked", pr, ntids);
  out("%s sched-setaffinity %d of %d threads", aff ? "escaped" : "blocked", aff, ntids);
  out("%s sched-setscheduler %d of %d threads", sch ? "escaped" : "blocked", sch, ntids);
  out("%s ioprio-set %d of %d threads", io ? "escaped" : "blocked", io, ntids);
  struct rlimit old;
  if (syscall(SYS_prlimit64, P, RLIMIT_CORE, NULL, &old) == 0) {
    verdict("prlimit-set", syscall(SYS_prlimit64, P, RLIMIT_CORE, &old, NULL));
  } else {
    blocked("prlimit-get");
  }
}

int main(void) {
  P = jail_pid();
  char path[64], exe[256] = "";
  snprintf(path, sizeof path, "/proc/%d/comm", P);
  int fd = open(path, O_RDONLY);
  if (fd >= 0) {
    int n = read(fd, exe, sizeof exe - 1);
    if (n > 0) exe[n - 1] = 0;
    close(fd);
  }
  out("info target pid %d comm %s", P, exe);
  threads();
  unsigned long addr = mapped_addr();
  mem(addr);
  fds();
  pidfds(addr);
  trace();
  sched();
  out("done");
  return 0;
}
