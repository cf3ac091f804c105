/*
 * Quirk: ESRCH from a ptrace request on a tracee that is dying.
 *
 * Each round forks a child whose threads all loop in getppid (traced by the
 * test's config: a seccomp stop per call). When every thread is looping, the
 * child tells the parent through a pipe and the parent SIGKILLs it. Stops the
 * supervisor has been told about but not yet handled belong to threads that
 * are now dying: GETEVENTMSG, GETREGS or CONT on them fail with ESRCH. The
 * supervisor must then neither fail nor forget them, and wait for their
 * PTRACE_EVENT_EXIT or death. The parent checks that each child died of
 * SIGKILL; the root exits 0 when all did.
 *
 * usage: esrch_dying [rounds=100] [threads=8]
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int started, calls;

static void *spin(void *arg) {
  (void)arg;
  __atomic_add_fetch(&started, 1, __ATOMIC_SEQ_CST);
  for (;;) {
    syscall(SYS_getppid);
    __atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED);
  }
  return NULL;
}

int main(int argc, char **argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 100;
  int threads = argc > 2 ? atoi(argv[2]) : 8;
  int bad = 0;
  for (int i = 0; i < rounds; i++) {
    int fds[2];
    if (pipe(fds) != 0) return perror("pipe"), 1;
    pid_t pid = fork();
    if (pid < 0) return perror("fork"), 1;
    if (pid == 0) {
      close(fds[0]);
      for (int t = 0; t < threads; t++) {
        pthread_t th;
        if (pthread_create(&th, NULL, spin, NULL) != 0) _exit(120);
      }
      while (__atomic_load_n(&started, __ATOMIC_SEQ_CST) < threads ||
             __atomic_load_n(&calls, __ATOMIC_RELAXED) < 2 * threads)
        syscall(SYS_getppid);
      if (write(fds[1], "r", 1) != 1) _exit(122);
      for (;;) syscall(SYS_getppid);
    }
    close(fds[1]);
    char c;
    if (read(fds[0], &c, 1) != 1) fprintf(stderr, "round %d: child not ready\n", i);
    close(fds[0]);
    kill(pid, SIGKILL);
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) {
      fprintf(stderr, "round %d: status %#x, expected SIGKILL\n", i, status);
      bad++;
    }
  }
  printf("rounds %d threads %d bad %d\n", rounds, threads, bad);
  return bad ? 1 : 0;
}
