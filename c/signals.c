/*
 * Quirk: signals reach jailed processes with the right number, once.
 *
 * Handlers (SA_SIGINFO) for SIGUSR1, SIGUSR2, SIGTERM and SIGRTMIN+1..+3
 * record each delivery: number, si_code, sender pid, sigqueue value. Every
 * signal reaches the tracee through a signal-delivery-stop, where the
 * supervisor must inject exactly the signal it reported (with its siginfo);
 * everywhere else (seccomp, fork, exit and group stops) it must inject
 * nothing.
 *
 * Phase "inside": signals blocked, a child sends SIGUSR1, SIGUSR2, SIGTERM
 * with kill and SIGRTMIN+1 three times with sigqueue (values 11, 12, 13); the
 * parent unblocks and prints what arrived, in order.
 * Phase "storm": signals unblocked, a child sigqueues SIGRTMIN+3 N times
 * (values 1..N) while the parent loops in getppid (traced with the test's
 * config): every signal interrupts a seccomp-stopping loop; the parent
 * prints the count and sum of the values it got.
 * Phase "outside": signals blocked again, the parent prints "ready <pid>"
 * and reads a line from stdin; meanwhile the test sends signals with kill
 * from outside the tree. Then it unblocks and prints what arrived.
 *
 * usage: signals [storm=200]
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAXREC 4096
static volatile sig_atomic_t nrec;
static struct {
  int signo, code, value;
  pid_t pid;
} rec[MAXREC];

static volatile sig_atomic_t storm_phase;
static volatile long storm_count, storm_sum;

static void handler(int sig, siginfo_t *si, void *ctx) {
  (void)ctx;
  if (storm_phase && sig == SIGRTMIN + 3 && si->si_code == SI_QUEUE) {
    storm_count++;
    storm_sum += si->si_value.sival_int;
    return;
  }
  int i = nrec;
  if (i < MAXREC) {
    rec[i].signo = sig;
    rec[i].code = si->si_code;
    rec[i].pid = si->si_pid;
    rec[i].value = si->si_value.sival_int;
    nrec = i + 1;
  }
}

static const char *name(int sig) {
  static char buf[32];
  switch (sig) {
    case SIGUSR1: return "SIGUSR1";
    case SIGUSR2: return "SIGUSR2";
    case SIGTERM: return "SIGTERM";
  }
  snprintf(buf, sizeof buf, "SIGRTMIN+%d", sig - SIGRTMIN);
  return buf;
}

static const char *code(int c) {
  return c == SI_USER ? "user" : c == SI_QUEUE ? "queue" : c == SI_TKILL ? "tkill" : "other";
}

static void print(const char *phase, pid_t from) {
  for (int i = 0; i < nrec; i++) {
    printf("%s %s %s", phase, name(rec[i].signo), code(rec[i].code));
    if (rec[i].code == SI_QUEUE) printf(" value=%d", rec[i].value);
    if (from) printf(" %s", rec[i].pid == from ? "from-child" : "from-elsewhere");
    printf("\n");
  }
  fflush(stdout);
  nrec = 0;
}

int main(int argc, char **argv) {
  int storm = argc > 1 ? atoi(argv[1]) : 200;
  int sigs[] = {SIGUSR1, SIGUSR2, SIGTERM, SIGRTMIN + 1, SIGRTMIN + 2, SIGRTMIN + 3};
  sigset_t set;
  sigemptyset(&set);
  for (unsigned i = 0; i < sizeof sigs / sizeof *sigs; i++) sigaddset(&set, sigs[i]);
  for (unsigned i = 0; i < sizeof sigs / sizeof *sigs; i++) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sa.sa_mask = set; /* one handler at a time: records follow the delivery order */
    sigaction(sigs[i], &sa, NULL);
  }

  /* Phase inside. */
  sigprocmask(SIG_BLOCK, &set, NULL);
  pid_t parent = getpid(), child = fork();
  if (child == 0) {
    union sigval v;
    kill(parent, SIGUSR1);
    kill(parent, SIGUSR2);
    kill(parent, SIGTERM);
    for (int i = 11; i <= 13; i++) {
      v.sival_int = i;
      sigqueue(parent, SIGRTMIN + 1, v);
    }
    _exit(0);
  }
  waitpid(child, NULL, 0);
  sigprocmask(SIG_UNBLOCK, &set, NULL);
  print("inside", child);

  /* Phase storm. */
  storm_phase = 1;
  int go[2];
  if (pipe(go) != 0) return perror("pipe"), 1;
  child = fork();
  if (child == 0) {
    char c;
    close(go[1]);
    if (read(go[0], &c, 1) != 1) _exit(1);
    union sigval v;
    for (int i = 1; i <= storm; i++) {
      v.sival_int = i;
      while (sigqueue(parent, SIGRTMIN + 3, v) != 0) syscall(SYS_getppid); /* EAGAIN: queue full */
    }
    _exit(0);
  }
  close(go[0]);
  if (write(go[1], "g", 1) != 1) return perror("write"), 1;
  close(go[1]);
  struct timespec t0, now;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  do {
    syscall(SYS_getppid);
    clock_gettime(CLOCK_MONOTONIC, &now);
  } while (storm_count < storm && now.tv_sec - t0.tv_sec < 20);
  waitpid(child, NULL, 0);
  storm_phase = 0;
  printf("storm count=%ld sum=%ld others=%d\n", storm_count, storm_sum, (int)nrec);
  fflush(stdout);

  /* Phase outside. */
  sigprocmask(SIG_BLOCK, &set, NULL);
  printf("ready %d\n", getpid());
  fflush(stdout);
  char line[64];
  if (!fgets(line, sizeof line, stdin)) return fprintf(stderr, "no go line\n"), 1;
  sigprocmask(SIG_UNBLOCK, &set, NULL);
  print("outside", 0);
  return 0;
}
