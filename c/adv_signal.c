/* Signals aimed at jail (getppid()) and each of its threads, by every
 * interface the kernel offers. SIGURG is the probe: its default action is to
 * do nothing, so a delivered one proves the route without harming jail.
 * Usage: adv_signal <token> [stop|usr1|outside|all]
 *   stop: ends with SIGSTOP to jail (the run must not hang)
 *   usr1: SIGUSR1 to jail (Deno's inspector), then looks for it on 127.0.0.1:9229
 *   outside: waits for a line (the test has sent SIGUSR1 from outside), then looks for it
 *   all:  also kill(-1) (jailed runs only: unjailed it would reach every process) */
#include "adv_common.h"
#include <dirent.h>
#include <sys/signalfd.h>

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif
#define PROBE SIGURG

static pid_t P;

static siginfo_t info(void) {
  siginfo_t si = {0};
  si.si_signo = PROBE;
  si.si_code = SI_QUEUE; /* a user-sent code: negative codes are for anyone */
  si.si_pid = getpid();
  si.si_uid = getuid();
  return si;
}

static void each_thread(void) {
  int tids[256];
  int n = thread_ids(P, tids, 256);
  if (n < 0) return;
  int tk = 0, tg = 0, tq = 0, tp = 0;
  for (int i = 0; i < n; i++) {
    int t = tids[i];
    if (syscall(SYS_tkill, t, PROBE) == 0) tk++;
    if (syscall(SYS_tgkill, P, t, PROBE) == 0) tg++;
    siginfo_t si = info();
    if (syscall(SYS_rt_tgsigqueueinfo, P, t, PROBE, &si) == 0) tq++;
    int pfd = syscall(SYS_pidfd_open, t, PIDFD_THREAD);
    if (pfd >= 0) {
      if (syscall(SYS_pidfd_send_signal, pfd, PROBE, NULL, 0) == 0) tp++;
      close(pfd);
    }
  }
  out("%s tkill %d of %d threads", tk ? "escaped" : "blocked", tk, n);
  out("%s tgkill %d of %d threads", tg ? "escaped" : "blocked", tg, n);
  out("%s rt-tgsigqueueinfo %d of %d threads", tq ? "escaped" : "blocked", tq, n);
  out("%s pidfd-thread-send-signal %d of %d threads", tp ? "escaped" : "blocked", tp, n);
}

static void inspector(void) {
  verdict("sigusr1-to-jail", kill(P, SIGUSR1));
  /* Give an inspector time to come up: poll the port for up to 2 s. */
  for (int i = 0; i < 40; i++) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = sin4("127.0.0.1", 9229);
    if (connect(s, (struct sockaddr *)&a, sizeof a) == 0) {
      const char *req = "GET /json/list HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
      (void)!write(s, req, strlen(req));
      char buf[512] = {0};
      int n = read(s, buf, sizeof buf - 1);
      out("escaped inspector-open 127.0.0.1:9229 answered %d bytes", n);
      close(s);
      return;
    }
    close(s);
    struct timespec ts = {0, 50 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  out("blocked inspector-open nothing listens on 127.0.0.1:9229");
}

int main(int argc, char **argv) {
  const char *mode = argc > 2 ? argv[2] : "";
  P = jail_pid();
  signal(PROBE, SIG_IGN);
  if (!strcmp(mode, "outside")) {
    /* The test sends SIGUSR1 to jail from outside, then writes a line. */
    out("ready");
    char c;
    while (read(0, &c, 1) == 1 && c != '\n') {}
    for (int i = 0; i < 40; i++) {
      int s = socket(AF_INET, SOCK_STREAM, 0);
      struct sockaddr_in a = sin4("127.0.0.1", 9229);
      if (connect(s, (struct sockaddr *)&a, sizeof a) == 0) {
        out("escaped inspector-outside-usr1 127.0.0.1:9229 accepts a connection");
        break;
      }
      close(s);
      struct timespec ts = {0, 50 * 1000 * 1000};
      nanosleep(&ts, NULL);
      if (i == 39) out("blocked inspector-outside-usr1 nothing listens on 127.0.0.1:9229");
    }
    out("done");
    return 0;
  }
  if (!strcmp(mode, "usr1")) {
    inspector();
    out("done");
    return 0;
  }
  verdict("kill", kill(P, PROBE));
  /* Success only says someone in the group got it: the test's canary, a
   * process outside the tree in jail's group, says whether it left the tree. */
  pid_t g = getpgid(P);
  long rc = g > 0 ? kill(-g, PROBE) : -1;
  out("info kill-pgrp-of-jail group %d (mine %d) rc=%ld", g, getpgid(0), rc);
  siginfo_t si = info();
  verdict("rt-sigqueueinfo", syscall(SYS_rt_sigqueueinfo, P, PROBE, &si));
  int pfd = syscall(SYS_pidfd_open, P, 0);
  verdict("pidfd-send-signal", pfd >= 0 ? syscall(SYS_pidfd_send_signal, pfd, PROBE, NULL, 0) : -1);
  char path[64];
  snprintf(path, sizeof path, "/proc/%d", P);
  int dfd = open(path, O_DIRECTORY | O_RDONLY);
  verdict("procdir-pidfd-send-signal",
          dfd >= 0 ? syscall(SYS_pidfd_send_signal, dfd, PROBE, NULL, 0) : -1);
  each_thread();
  if (!strcmp(mode, "all")) verdict("kill-minus-1", kill(-1, PROBE));
  if (!strcmp(mode, "stop")) verdict("sigstop-jail", kill(P, SIGSTOP));
  out("done");
  return 0;
}
