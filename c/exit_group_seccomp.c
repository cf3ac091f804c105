/*
 * Quirk: exit_group in one thread while its siblings sit in seccomp stops.
 *
 * Each round forks a child whose THREADS threads loop in getppid (the test's
 * config traces getppid, so every call is a seccomp stop at the supervisor).
 * Once all of them have looped a few times, the child's main thread calls
 * exit_group(code). The supervisor's requests on siblings stopped at that
 * moment fail with ESRCH; the siblings then report PTRACE_EVENT_EXIT and must
 * be resumed to finish dying. The parent checks every child's exit status.
 * Last, the root does the same itself with code 42 (1 if a round went
 * wrong), so jail's own exit status checks one more round.
 *
 * usage: exit_group_seccomp [rounds=200] [threads=16]
 */
#define _GNU_SOURCE
#include <pthread.h>
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

/* Starts the threads, lets each loop, then exit_group(code) from the main thread. */
static void round_and_exit(int threads, int code) {
  for (int i = 0; i < threads; i++) {
    pthread_t t;
    if (pthread_create(&t, NULL, spin, NULL) != 0) {
      perror("pthread_create");
      _exit(120);
    }
  }
  while (__atomic_load_n(&started, __ATOMIC_SEQ_CST) < threads ||
         __atomic_load_n(&calls, __ATOMIC_RELAXED) < 2 * threads)
    syscall(SYS_getppid);
  syscall(SYS_exit_group, code);
  _exit(121); /* not reached */
}

int main(int argc, char **argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 200;
  int threads = argc > 2 ? atoi(argv[2]) : 16;
  int bad = 0;
  for (int i = 0; i < rounds; i++) {
    int code = i % 100 + 1;
    pid_t pid = fork();
    if (pid < 0) {
      perror("fork");
      return 1;
    }
    if (pid == 0) round_and_exit(threads, code);
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != code) {
      fprintf(stderr, "round %d: status %#x, expected exit %d\n", i, status, code);
      bad++;
    }
  }
  printf("rounds %d threads %d bad %d\n", rounds, threads, bad);
  fflush(stdout);
  round_and_exit(threads, bad ? 1 : 42);
}
