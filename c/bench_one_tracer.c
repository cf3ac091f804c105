// One tracer thread for P copies of a command, built like jail's supervisor
// loop: waitpid(-1, __WALL), then a round of WNOHANG waits, each report served
// in turn (GETREGS, SETREGS, CONT, as c/min_tracer.c does for one tracee).
// It separates what the loop's structure costs from what Deno costs: with
// P=2 on 2 CPUs it is as slow as jail, while P copies of min_tracer are not.
// Usage: bench_one_tracer <block|poll> <P> <cmd> [args...]
//   block: sleep in waitpid between stops (jail before polling).
//   poll:  poll with WNOHANG and sched_yield for up to 50 µs before sleeping.
#define _GNU_SOURCE
#include "tracee_common.h"
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tracer_common.h"

#define POLL_NS 50000
#define MAX_ROUND 256


// Serves one report; returns 1 when the tracee ended.
static int serve(pid_t pid, int status) {
  if (WIFEXITED(status) || WIFSIGNALED(status)) return 1;
  int sig = 0;
  if (status >> 8 == (SIGTRAP | (PTRACE_EVENT_SECCOMP << 8))) {
    fake_result(pid, 7);
  } else if (WSTOPSIG(status) != SIGTRAP) {
    sig = WSTOPSIG(status);
  }
  ptrace(PTRACE_CONT, pid, 0, sig);
  return 0;
}

static pid_t next_report(int poll, int *status) {
  if (poll) {
    long long until = now_ns() + POLL_NS;
    do {
      pid_t pid = waitpid(-1, status, __WALL | WNOHANG);
      if (pid != 0) return pid;
      sched_yield();
    } while (now_ns() < until);
  }
  return waitpid(-1, status, __WALL);
}

int main(int argc, char **argv) {
  if (argc < 4 || (strcmp(argv[1], "block") && strcmp(argv[1], "poll"))) {
    fprintf(stderr, "usage: bench_one_tracer <block|poll> <P> <cmd> [args...]\n");
    return 2;
  }
  int poll = !strcmp(argv[1], "poll");
  int live = atoi(argv[2]);
  for (int i = 0; i < live; i++) start_traced_child(argv + 3);
  int round[MAX_ROUND], status;
  while (live > 0) {
    pid_t pid = next_report(poll, &status);
    if (pid < 0) return 1;
    int n = 0;
    round[n++] = pid;
    round[n++] = status;
    while (n < MAX_ROUND) {
      pid_t more = waitpid(-1, &status, __WALL | WNOHANG);
      if (more <= 0) break;
      round[n++] = more;
      round[n++] = status;
    }
    for (int i = 0; i < n; i += 2) live -= serve(round[i], round[i + 1]);
  }
  return 0;
}
