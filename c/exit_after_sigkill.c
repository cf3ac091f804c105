/*
 * Quirk: SIGKILL of threads sitting in seccomp stops.
 *
 * Each round forks a child with threads of two kinds: some loop in getppid
 * (traced by the test's config: seccomp stops), some block in read() on a
 * pipe nobody writes (no stop at all). When all run, the child SIGKILLs
 * itself. A thread sitting in a seccomp stop refuses requests with ESRCH;
 * with PTRACE_O_TRACEEXIT it would then stop at PTRACE_EVENT_EXIT, accept
 * requests again there, and need resuming or never finish dying (and the
 * supervisor never end). jail asks for no exit stops: it dies at once. The
 * parent checks that every child died of SIGKILL; the root exits 0 when all
 * did.
 *
 * usage: exit_after_sigkill [rounds=100] [threads=8]
 */
#include "tracee_common.h"

static int block[2];

/* Blocks in read() on a pipe nobody writes: no stop at all. */
static void *sleeper(void *arg) {
  (void)arg;
  char c;
  __atomic_add_fetch(&spin_started, 1, __ATOMIC_SEQ_CST);
  if (read(block[0], &c, 1) < 0) perror("read");
  return NULL;
}

int main(int argc, char **argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 100;
  int threads = argc > 2 ? atoi(argv[2]) : 8;
  int bad = 0;
  for (int i = 0; i < rounds; i++) {
    pid_t pid = fork_or_die();
    if (pid == 0) {
      if (pipe(block) != 0) _exit(119);
      for (int t = 0; t < threads; t++) start_thread(t % 2 ? sleeper : spin, NULL);
      await_spinners(threads, threads);
      kill(getpid(), SIGKILL);
      _exit(121); /* not reached */
    }
    bad += round_failed(i, pid, KILLED);
  }
  printf("rounds %d threads %d bad %d\n", rounds, threads, bad);
  return bad ? 1 : 0;
}
