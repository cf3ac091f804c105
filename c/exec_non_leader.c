/*
 * Quirk: execve from a thread that is not the thread group leader.
 *
 * The kernel kills every other thread (the leader included), and the exec'ing
 * thread takes over the leader's tid, which is the process id: its own old
 * tid is never seen again, and the old leader never reports its death. The
 * supervisor learns the former tid from PTRACE_GETEVENTMSG at
 * PTRACE_EVENT_EXEC and must drop the records of every vanished thread, or
 * it waits for them forever.
 *
 * Each round forks a child that does it, with sibling threads looping in
 * getppid (traced by the test's config) and the leader looping too, so
 * the siblings die out of seccomp stops. Last the root does it itself:
 *
 *   before pid=P tid=T   printed by the original image, T the exec'ing thread
 *   after pid=P tid=P    printed by the new image: same pid, tid now the pid
 *   old tid T gone       tgkill(P, T, 0) fails with ESRCH in the new image
 *
 * usage: exec_non_leader [rounds=50] [threads=4]
 *        exec_non_leader --execed <pid> <old tid> <code>   (the new image)
 */
#include "tracee_common.h"
#include <errno.h>

static int code;
static int verbose;

static void *execer(void *arg) {
  int threads = *(int *)arg;
  await_spinners(threads, 0);
  char pid[16], tid[16], c[16];
  snprintf(pid, sizeof pid, "%d", getpid());
  snprintf(tid, sizeof tid, "%d", gettid());
  snprintf(c, sizeof c, "%d", code);
  if (verbose) {
    printf("before pid=%s tid=%s\n", pid, tid);
    fflush(stdout);
  }
  char *argv[] = {"exec_non_leader", "--execed", pid, tid, c, verbose ? "-v" : NULL, NULL};
  execv("/proc/self/exe", argv);
  perror("execv");
  _exit(126);
}

/* Starts `threads` looping siblings and the exec'ing thread; the leader loops too. */
static void run(int threads) {
  start_spinners(threads);
  start_thread(execer, &threads);
  for (;;) syscall(SYS_getppid);
}

static int execed(char **argv) {
  pid_t was = atoi(argv[2]), old = atoi(argv[3]);
  int want = atoi(argv[4]);
  int ok = getpid() == was && gettid() == was;
  int gone = syscall(SYS_tgkill, was, old, 0) == -1 && errno == ESRCH;
  if (argv[5]) {
    printf("after pid=%d tid=%d\n", getpid(), gettid());
    printf("old tid %d %s\n", old, gone ? "gone" : "STILL THERE");
  }
  return ok && gone ? want : 99;
}

int main(int argc, char **argv) {
  if (argc >= 5 && strcmp(argv[1], "--execed") == 0) return execed(argv);
  int rounds = argc > 1 ? atoi(argv[1]) : 50;
  int threads = argc > 2 ? atoi(argv[2]) : 4;
  int bad = exit_code_rounds(rounds, threads, &code, run);
  code = bad ? 1 : 0;
  verbose = 1;
  run(threads);
}
