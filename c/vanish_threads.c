/*
 * Quirk: threads that vanish without ever reporting WIFEXITED.
 *
 * The leader leaves first with the raw exit syscall (not exit_group): it
 * reports PTRACE_EVENT_EXIT, but its death report waits until the rest of the
 * group is gone. Then one of the remaining threads execs, while the others
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
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int started;
static int code;
static pid_t leader;
static char self[4096]; /* /proc/self/exe stops resolving once the leader is a zombie */

static void *spin(void *arg) {
  (void)arg;
  __atomic_add_fetch(&started, 1, __ATOMIC_SEQ_CST);
  for (;;) syscall(SYS_getppid);
  return NULL;
}

/* Waits until the leader is gone (a zombie: its /proc state is Z), then execs. */
static void *execer(void *arg) {
  int threads = *(int *)arg;
  char path[64], buf[512];
  snprintf(path, sizeof path, "/proc/%d/stat", leader);
  for (int tries = 0;; tries++) {
    FILE *f = fopen(path, "r");
    if (!f) break;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    if (p && p[2] == 'Z') break;
    if (tries > 100000) _exit(123);
    usleep(100);
  }
  while (__atomic_load_n(&started, __ATOMIC_SEQ_CST) < threads) syscall(SYS_getppid);
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
  pthread_t t;
  for (int i = 0; i < threads; i++)
    if (pthread_create(&t, NULL, spin, NULL) != 0) _exit(120);
  if (pthread_create(&t, NULL, execer, &n) != 0) _exit(120);
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
  code = bad ? 1 : 33;
  run(threads);
}
