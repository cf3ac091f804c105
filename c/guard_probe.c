// Calls that name another task, aimed at a target process P and one of its
// non-leader threads T; prints one line per call: `<name>=ok` or `<name>=<ERRNO>`.
// Setters write back the value just read (harmless where they succeed), and
// signals are 0 (a probe: permission checked, nothing delivered), except the
// `deliver` lines of the tree mode.
//
// usage: guard_probe parent   P = getppid() (jailed: the supervisor), T = one of its other threads
//        guard_probe tree     P = a child of ours with a second thread
//        guard_probe parent-safe   as parent, without the calls that reach every process of
//                                  the user (an unjailed control must not touch them)
//        guard_probe stop-parent   SIGSTOP to the parent's other thread, RLIMIT_NOFILE 0 on it
//                                  (jailed only: the attack itself)
//        guard_probe setns         setns into our own network namespace
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif
#define PIDFD_SIGNAL_PROCESS_GROUP 4
#define IOPRIO_WHO_PROCESS 1
#define IOPRIO_WHO_PGRP 2
#define IOPRIO_WHO_USER 3
#define MPOL_MAX_NODES 64

static void report(const char *name, long rc) {
  printf("%s=%s\n", name, rc >= 0 ? "ok" : strerrorname_np(errno));
}

/** A thread id of `pid` other than `pid` itself, or 0. */
static pid_t other_thread(pid_t pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/task", pid);
  DIR *d = opendir(path);
  if (!d) return 0;
  pid_t found = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    pid_t tid = atoi(e->d_name);
    if (tid > 0 && tid != pid) {
      found = tid;
      break;
    }
  }
  closedir(d);
  return found;
}

static void *idle(void *arg) {
  (void)arg;
  for (;;) pause();
  return NULL;
}

/** A child with two threads, waiting for a signal; returns its pid. */
static pid_t spawn_target(void) {
  int ready[2];
  if (pipe(ready) != 0) exit(3);
  pid_t child = fork();
  if (child == 0) {
    pthread_t t;
    pthread_create(&t, NULL, idle, NULL);
    while (other_thread(getpid()) == 0) sched_yield();
    if (write(ready[1], "x", 1) != 1) _exit(3);
    for (;;) pause();
  }
  char c;
  if (read(ready[0], &c, 1) != 1) exit(3);
  close(ready[0]);
  close(ready[1]);
  return child;
}

static void probe_limits(pid_t p, pid_t t, int all) {
  struct rlimit64 lim;
  report("prlimit_get", syscall(SYS_prlimit64, p, RLIMIT_NOFILE, NULL, &lim));
  report("prlimit_set", syscall(SYS_prlimit64, p, RLIMIT_NOFILE, &lim, NULL));
  report("prlimit_set_thread", syscall(SYS_prlimit64, t, RLIMIT_NOFILE, &lim, NULL));
  report("prlimit_self", syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &lim));

  errno = 0;
  int nice = getpriority(PRIO_PROCESS, p);
  report("setpriority", setpriority(PRIO_PROCESS, p, nice));
  report("setpriority_thread", setpriority(PRIO_PROCESS, t, getpriority(PRIO_PROCESS, t)));
  report("setpriority_self", setpriority(PRIO_PROCESS, 0, getpriority(PRIO_PROCESS, 0)));
  if (all) {
    report("setpriority_pgrp", setpriority(PRIO_PGRP, 0, getpriority(PRIO_PGRP, 0)));
    report("setpriority_user", setpriority(PRIO_USER, 0, getpriority(PRIO_USER, 0)));
  }

  cpu_set_t set;
  CPU_ZERO(&set);
  sched_getaffinity(p, sizeof set, &set);
  report("sched_setaffinity", sched_setaffinity(p, sizeof set, &set));
  report("sched_setaffinity_thread", sched_setaffinity(t, sizeof set, &set));
  struct sched_param param;
  sched_getparam(p, &param);
  report("sched_setparam", sched_setparam(p, &param));
  report("sched_setscheduler", sched_setscheduler(p, sched_getscheduler(p), &param));
  unsigned char attr[128];
  memset(attr, 0, sizeof attr);
  syscall(SYS_sched_getattr, p, attr, 56, 0);
  report("sched_setattr", syscall(SYS_sched_setattr, p, attr, 0));

  long prio = syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, p);
  report("ioprio_set", syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, p, prio));
  if (all) {
    report("ioprio_set_pgrp", syscall(SYS_ioprio_set, IOPRIO_WHO_PGRP, 0, prio));
    report("ioprio_set_user", syscall(SYS_ioprio_set, IOPRIO_WHO_USER, 0, prio));
  }

  unsigned long nodes = 1;
  report("migrate_pages", syscall(SYS_migrate_pages, p, MPOL_MAX_NODES, &nodes, &nodes));
  int status = 0;
  report("move_pages", syscall(SYS_move_pages, p, 0, NULL, NULL, &status, 0));
}

static void probe_signals(pid_t p, pid_t t) {
  siginfo_t info;
  memset(&info, 0, sizeof info);
  info.si_code = SI_QUEUE;
  info.si_pid = getpid();
  info.si_uid = getuid();
  report("kill", kill(p, 0));
  report("kill_thread", kill(t, 0));
  report("tkill_thread", syscall(SYS_tkill, t, 0));
  report("tgkill_thread", syscall(SYS_tgkill, p, t, 0));
  report("sigqueue", syscall(SYS_rt_sigqueueinfo, p, 0, &info));
  report("sigqueue_thread", syscall(SYS_rt_sigqueueinfo, t, 0, &info));
  report("tgsigqueue_thread", syscall(SYS_rt_tgsigqueueinfo, p, t, 0, &info));
  long fd = syscall(SYS_pidfd_open, p, 0);
  report("pidfd_open", fd);
  if (fd >= 0) close((int)fd);
  fd = syscall(SYS_pidfd_open, t, PIDFD_THREAD);
  report("pidfd_open_thread", fd);
  if (fd >= 0) {
    report("pidfd_send_signal_thread", syscall(SYS_pidfd_send_signal, fd, 0, NULL, 0));
    close((int)fd);
  }
  // The owner of a file receives its SIGIO (or F_SETSIG's signal). Nothing is written to the
  // pipe and O_ASYNC stays off: no signal is ever sent.
  int pipefd[2];
  if (pipe(pipefd) != 0) exit(3);
  report("fsetown", fcntl(pipefd[0], F_SETOWN, p));
  report("fsetown_thread", fcntl(pipefd[0], F_SETOWN, t));
  // The target's group: jail's when probing jail (the tree runs in a group of its own).
  report("fsetown_pgrp", fcntl(pipefd[0], F_SETOWN, -getpgid(p)));
  struct f_owner_ex ex = {F_OWNER_TID, t};
  report("fsetown_ex", fcntl(pipefd[0], F_SETOWN_EX, &ex));
  close(pipefd[0]);
  close(pipefd[1]);
  int sock = socket(AF_UNIX, SOCK_DGRAM, 0);
  int owner = p;
  report("fiosetown", ioctl(sock, FIOSETOWN, &owner));
  report("siocspgrp", ioctl(sock, SIOCSPGRP, &owner));
  close(sock);
  char path[64];
  snprintf(path, sizeof path, "/proc/%d", p);
  int dir = open(path, O_RDONLY | O_DIRECTORY);
  report("open_proc_dir", dir);
  if (dir >= 0) {
    report("pidfd_send_signal_procdir", syscall(SYS_pidfd_send_signal, dir, 0, NULL, 0));
    report("pidfd_send_signal_procdir_info", syscall(SYS_pidfd_send_signal, dir, 0, &info, 0));
    close(dir);
  }
}

/** A real signal to a child of the tree through pidfd_send_signal; `ok` when it died of it. */
static void deliver(const char *name, int use_procdir, int with_info) {
  pid_t child = spawn_target();
  int fd;
  if (use_procdir) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d", child);
    fd = open(path, O_RDONLY | O_DIRECTORY);
  } else {
    fd = (int)syscall(SYS_pidfd_open, child, 0);
  }
  siginfo_t info;
  memset(&info, 0, sizeof info);
  info.si_signo = SIGTERM;
  info.si_code = SI_QUEUE;
  info.si_pid = getpid();
  info.si_uid = getuid();
  long rc = syscall(SYS_pidfd_send_signal, fd, SIGTERM, with_info ? &info : NULL, 0);
  int saved = errno;
  int status = 0;
  if (rc != 0) kill(child, SIGKILL);
  waitpid(child, &status, 0);
  close(fd);
  if (rc != 0) {
    errno = saved;
    report(name, -1);
  } else {
    printf("%s=%s\n", name,
           WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM ? "ok" : "not-delivered");
  }
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  const char *mode = argc > 1 ? argv[1] : "";
  if (strcmp(mode, "parent") == 0 || strcmp(mode, "parent-safe") == 0) {
    pid_t p = getppid();
    pid_t t = other_thread(p);
    if (t == 0) {
      fprintf(stderr, "guard_probe: %d has no second thread\n", p);
      return 2;
    }
    probe_limits(p, t, strcmp(mode, "parent") == 0);
    probe_signals(p, t);
    return 0;
  }
  if (strcmp(mode, "tree") == 0) {
    pid_t p = spawn_target();
    pid_t t = other_thread(p);
    probe_limits(p, t, 0);
    probe_signals(p, t);
    kill(p, SIGKILL);
    waitpid(p, NULL, 0);
    // Through the process group flag the signal would reach jail too: refused where jail
    // decides it, delivered to the group's members where Landlock scopes the tree.
    pid_t q = spawn_target();
    setpgid(q, q);
    long fd = syscall(SYS_pidfd_open, q, 0);
    report("pidfd_send_signal_pgrp", syscall(SYS_pidfd_send_signal, fd, 0, NULL, PIDFD_SIGNAL_PROCESS_GROUP));
    kill(q, SIGKILL);
    waitpid(q, NULL, 0);
    deliver("deliver_pidfd", 0, 0);
    deliver("deliver_procdir", 1, 0);
    deliver("deliver_procdir_info", 1, 1);
    return 0;
  }
  if (strcmp(mode, "stop-parent") == 0) {
    // The real attack: SIGSTOP would freeze the supervisor, and with it the whole run.
    pid_t p = getppid();
    pid_t t = other_thread(p);
    report("kill_thread_stop", kill(t, SIGSTOP));
    report("tkill_thread_stop", syscall(SYS_tkill, t, SIGSTOP));
    char path[64];
    snprintf(path, sizeof path, "/proc/%d", p);
    int dir = open(path, O_RDONLY | O_DIRECTORY);
    report("pidfd_send_signal_procdir_stop", syscall(SYS_pidfd_send_signal, dir, SIGSTOP, NULL, 0));
    // SIGIO made SIGSTOP, owned by the parent's other thread, fired by a write.
    int pipefd[2];
    if (pipe(pipefd) != 0) return 3;
    struct f_owner_ex ex = {F_OWNER_TID, t};
    long rc = fcntl(pipefd[0], F_SETOWN, p);
    if (rc != 0) rc = fcntl(pipefd[0], F_SETOWN_EX, &ex);
    report("fsetown_stop", rc);
    fcntl(pipefd[0], F_SETSIG, SIGSTOP);
    fcntl(pipefd[0], F_SETFL, O_ASYNC | O_NONBLOCK);
    if (write(pipefd[1], "x", 1) != 1) return 3;
    struct rlimit64 none = {0, 0};
    report("prlimit_nofile_zero", syscall(SYS_prlimit64, p, RLIMIT_NOFILE, &none, NULL));
    return 0;
  }
  if (strcmp(mode, "setns") == 0) {
    int fd = open("/proc/self/ns/net", O_RDONLY);
    report("setns", setns(fd, CLONE_NEWNET));
    return 0;
  }
  fprintf(stderr, "usage: guard_probe parent|parent-safe|tree|stop-parent|setns\n");
  return 2;
}
