/*
 * Quirk: exit_group in one thread while its siblings sit in seccomp stops.
 *
 * Each round forks a child whose THREADS threads loop in getppid (the test's
 * config traces getppid, so every call is a seccomp stop at the supervisor).
 * Once all of them have looped a few times, the child's main thread calls
 * exit_group(code). The supervisor's requests on siblings stopped at that
 * moment fail with ESRCH; the siblings then die without another stop (jail
 * asks for no PTRACE_EVENT_EXIT). The parent checks every child's exit status.
 * Last, the root does the same itself with code 42 (1 if a round went
 * wrong), so jail's own exit status checks one more round.
 *
 * usage: exit_group_seccomp [rounds=200] [threads=16]
 */
#include "tracee_common.h"

/* Starts the threads, lets each loop, then exit_group(code) from the main thread. */
static void round_and_exit(int threads, int code) {
  start_spinners(threads);
  await_spinners(threads, 2 * threads);
  syscall(SYS_exit_group, code);
  _exit(121); /* not reached */
}

int main(int argc, char **argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 200;
  int threads = argc > 2 ? atoi(argv[2]) : 16;
  int bad = 0;
  for (int i = 0; i < rounds; i++) {
    int code = i % 100 + 1;
    pid_t pid = fork_or_die();
    if (pid == 0) round_and_exit(threads, code);
    bad += round_failed(i, pid, code);
  }
  printf("rounds %d threads %d bad %d\n", rounds, threads, bad);
  fflush(stdout);
  round_and_exit(threads, bad ? 1 : 42);
}
