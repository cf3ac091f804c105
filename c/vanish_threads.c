/*
 * Quirk: threads that vanish without ever reporting WIFEXITED.
 *
 * The leader leaves first with the raw exit syscall (not exit_group): its
 * death report waits until the rest of the group is gone. Then one of the remaining threads execs, while the others
 * loop in getppid (traced by the test's config). The old leader's death is
 * now never reported (its tid belongs to the exec'ing thread), nor is the
 * exec'ing thread's old tid: a supervisor that waits for every thread it
 * knows to report its death waits forever. The new image checks that the
 * pid is unchanged and exits with the round's code.
 *
 * Each round forks a child that does it; last the root does it itself, and
 * its new image exits 33 (1 if a round went wrong).
 *
 * usage: vanish_threads [rounds=50] [threads=4]
 *        vanish_threads --execed <pid> <code>   (the new image)
 */
#include "tracee_common.h"

static int code;
static pid_t leader;
static char self[4096]; /* /proc/self/exe stops resolving once the leader is a zombie */

/* Waits until the leader is gone (a zombie: its /proc state is Z), then execs. */
static void *execer(void *arg) {
  int threads = *(int *)arg;
  for (int tries = 0;; tries++) {
    char state = proc_state(leader);
    if (state == 0 || state == 'Z') break;
    if (tries > 100000) _exit(123);
    usleep(100);
  }
  await_spinners(threads, 0);
  char pid[16], c[16];
  snprintf(pid, sizeof pid, "%d", leader);
  snprintf(c, sizeof c, "%d", code);
  char *argv[] = {"vanish_threads", "--execed", pid, c, NULL};
  execv(self, argv);
  _exit(126);
}

static void run(int threads) {
  static int n;
  n = threads;
  leader = getpid();
  start_spinners(threads);
  start_thread(execer, &n);
  syscall(SYS_exit, 0); /* the leader alone */
  _exit(121);
}

int main(int argc, char **argv) {
  if (argc >= 4 && strcmp(argv[1], "--execed") == 0)
    return getpid() == atoi(argv[2]) ? atoi(argv[3]) : 99;
  ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
  if (len <= 0) return perror("readlink"), 1;
  self[len] = 0;
  int rounds = argc > 1 ? atoi(argv[1]) : 50;
  int threads = argc > 2 ? atoi(argv[2]) : 4;
  int bad = exit_code_rounds(rounds, threads, &code, run);
  code = bad ? 1 : 33;
  run(threads);
}
