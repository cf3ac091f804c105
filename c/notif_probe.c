/*
 * Many callers at once of the calls the notification tests' config decides:
 * P processes of T threads each make N getppid calls (a `return` rule: each
 * must see 7, whoever answers), and each thread calls uname once (a `"trace"`
 * rule: allowed, so the kernel's own answer must come back). Prints
 *
 *   procs P threads T calls N bad B uname <sysname>
 *
 * where B counts getppid results other than 7 and failed uname calls; exits 0
 * when B is 0. With `stops` S > 0, the parent stops and continues each child
 * S times while its threads call (SIGSTOP, seen stopped by waitpid, SIGCONT,
 * seen running again, calls seen going on), and prints "stopped S" too.
 *
 * usage: notif_probe [procs=1] [threads=1] [calls=1000] [stops=0]
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

static long calls;
static atomic_long *bad;
static atomic_long *made; // calls made so far, by every thread of every child
static char *sysname;

static void *caller(void *unused) {
  (void)unused;
  long wrong = 0;
  for (long i = 0; i < calls; i++) {
    wrong += syscall(SYS_getppid) != 7;
    atomic_fetch_add_explicit(made, 1, memory_order_relaxed);
  }
  struct utsname u;
  if (syscall(SYS_uname, &u) != 0) wrong++;
  else snprintf(sysname, 64, "%.63s", u.sysname);
  atomic_fetch_add(bad, wrong);
  return 0;
}

int main(int argc, char **argv) {
  int procs = argc > 1 ? atoi(argv[1]) : 1, threads = argc > 2 ? atoi(argv[2]) : 1;
  calls = argc > 3 ? atol(argv[3]) : 1000;
  // Shared with the children: their counts and what uname said.
  char *shared = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shared == MAP_FAILED) return 2;
  bad = (atomic_long *)shared;
  made = (atomic_long *)(shared + 32);
  sysname = shared + 64;
  int stops = argc > 4 ? atoi(argv[4]) : 0, stopped = 0;
  pid_t kids[64];
  strcpy(sysname, "?");
  for (int p = 0; p < procs && p < 64; p++) {
    if ((kids[p] = fork()) == 0) {
      pthread_t t[256];
      int n = threads < 256 ? threads : 256;
      for (int i = 0; i < n; i++) pthread_create(&t[i], 0, caller, 0);
      for (int i = 0; i < n; i++) pthread_join(t[i], 0);
      _exit(0);
    }
  }
  long total = (long)procs * threads * calls;
  for (int r = 0; r < stops; r++) {
    long seen = atomic_load(made);
    while (atomic_load(made) == seen && seen < total) sched_yield(); // calls are under way
    if (atomic_load(made) >= total) break;
    for (int p = 0; p < procs && p < 64; p++) {
      int st;
      kill(kids[p], SIGSTOP);
      if (waitpid(kids[p], &st, WUNTRACED) != kids[p] || !WIFSTOPPED(st)) return 3;
      kill(kids[p], SIGCONT);
      if (waitpid(kids[p], &st, WCONTINUED) != kids[p] || !WIFCONTINUED(st)) return 4;
    }
    stopped++;
  }
  if (stops > 0) printf("stopped %d\n", stopped);
  int status, failed = 0;
  while (wait(&status) > 0) failed |= !WIFEXITED(status) || WEXITSTATUS(status);
  long b = atomic_load(bad) + failed;
  printf("procs %d threads %d calls %ld bad %ld uname %s\n", procs, threads, calls, b, sysname);
  return b != 0;
}
