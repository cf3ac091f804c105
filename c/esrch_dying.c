/*
 * Quirk: ESRCH from a ptrace request on a tracee that is dying.
 *
 * Each round forks a child whose threads all loop in getppid (traced by the
 * test's config: a seccomp stop per call). When every thread is looping, the
 * child tells the parent through a pipe and the parent SIGKILLs it. Stops the
 * supervisor has been told about but not yet handled belong to threads that
 * are now dying: GETEVENTMSG, GETREGS or CONT on them fail with ESRCH. The
 * supervisor must then neither fail nor forget them, and wait for their
 * death. The parent checks that each child died of
 * SIGKILL; the root exits 0 when all did.
 *
 * usage: esrch_dying [rounds=100] [threads=8]
 */
#include "tracee_common.h"

int main(int argc, char **argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 100;
  int threads = argc > 2 ? atoi(argv[2]) : 8;
  int bad = 0;
  for (int i = 0; i < rounds; i++) {
    int ready[2];
    pid_t pid = fork_with_ready_pipe(ready);
    if (pid == 0) {
      start_spinners(threads);
      await_spinners(threads, 2 * threads);
      signal_ready(ready[1], 122);
      for (;;) syscall(SYS_getppid);
    }
    if (!await_ready(ready[0])) fprintf(stderr, "round %d: child not ready\n", i);
    close(ready[0]);
    kill(pid, SIGKILL);
    bad += round_failed(i, pid, KILLED);
  }
  printf("rounds %d threads %d bad %d\n", rounds, threads, bad);
  return bad ? 1 : 0;
}
