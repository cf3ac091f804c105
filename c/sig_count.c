/*
 * Signal fixture: counts every signal it receives.
 *
 * Catches every catchable signal (1-31 but SIGKILL, SIGSTOP and SIGCHLD, and
 * the real-time signals 34-64), writes "got <signal number>" on stdout at
 * each receipt, and prints "ready <pid>" once its handlers are in place. It
 * then reads stdin until a line or EOF (the test holds the pipe), prints one line
 * "count <signal number> <times>" per signal received, and exits with 7.
 *
 * Signal numbers given as arguments keep their default action (e.g. 20:
 * SIGTSTP stops it, as ^Z stops most programs).
 *
 * usage: sig_count [signal number...]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EXIT_DONE 7

static volatile sig_atomic_t counts[65];

static void on_signal(int sig) {
  counts[sig]++;
  char buf[32];
  int n = snprintf(buf, sizeof buf, "got %d\n", sig);
  if (write(1, buf, n) != n) _exit(1);
}

static int kept(int sig, int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    if (atoi(argv[i]) == sig) return 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sa.sa_flags = SA_RESTART;
  sigfillset(&sa.sa_mask);
  for (int sig = 1; sig <= 64; sig++) {
    if (sig == SIGKILL || sig == SIGSTOP || sig == SIGCHLD || sig == 32 || sig == 33) continue;
    if (kept(sig, argc, argv)) continue;
    if (sigaction(sig, &sa, NULL) != 0) return perror("sigaction"), 2;
  }
  setvbuf(stdout, NULL, _IONBF, 0);
  printf("ready %d\n", getpid());
  char buf[256];
  for (;;) {
    ssize_t n = read(0, buf, sizeof buf);
    if (n >= 0) break;
    if (n < 0 && errno != EINTR) return perror("read"), 2;
  }
  for (int sig = 1; sig <= 64; sig++) {
    if (counts[sig]) printf("count %d %d\n", sig, (int)counts[sig]);
  }
  return EXIT_DONE;
}
