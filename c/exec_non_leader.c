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
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int started;
static int code;
static int verbose;

static void *spin(void *arg) {
  (void)arg;
  __atomic_add_fetch(&started, 1, __ATOMIC_SEQ_CST);
  for (;;) syscall(SYS_getppid);
  return NULL;
}

static void *execer(void *arg) {
  int threads = *(int *)arg;
  while (__atomic_load_n(&started, __ATOMIC_SEQ_CST) < threads) syscall(SYS_getppid);
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
  pthread_t t;
  for (int i = 0; i < threads; i++)
    if (pthread_create(&t, NULL, spin, NULL) != 0) _exit(120);
  if (pthread_create(&t, NULL, execer, &threads) != 0) _exit(120);
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
  int bad = 0;
  for (int i = 0; i < rounds; i++) {
    code = i % 50 + 1;
    pid_t pid = fork();
    if (pid < 0) return perror("fork"), 1;
    if (pid == 0) run(threads);
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != code) {
      fprintf(stderr, "round %d: status %#x, expected exit %d\n", i, status, code);
      bad++;
    }
  }
  printf("rounds %d bad %d\n", rounds, bad);
  fflush(stdout);
  code = bad ? 1 : 0;
  verbose = 1;
  run(threads);
}
