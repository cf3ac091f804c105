/*
 * Quirk: a stop that is stale by the time the supervisor serves it.
 *
 * Each round forks a child whose main thread creates threads without pause
 * (so it keeps stopping at PTRACE_EVENT_CLONE) while one of its threads
 * calls exit_group(0). A clone stop reported just before the exit_group is
 * served when the main thread is already dying: PTRACE_GETEVENTMSG fails
 * with ESRCH (with PTRACE_O_TRACEEXIT, which jail does not ask for, it would
 * sit in its exit stop, where the message is the exit status, 0 here).
 * Taken as a tid, 0 would enter the registry as "process 0" (never
 * reporting, and kill(0, SIGKILL) at teardown hits jail's own process
 * group); another status could name a process outside the tree.
 * The parent checks each child's exit status; the root exits 0 when all
 * were right.
 *
 * usage: stale_event [rounds=100]
 */
#include "tracee_common.h"

static void *brief(void *arg) {
  (void)arg;
  return NULL;
}

static void *ender(void *arg) {
  (void)arg;
  for (int i = 0; i < 20; i++) syscall(SYS_getppid);
  syscall(SYS_exit_group, 0);
  return NULL;
}

int main(int argc, char **argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 100;
  int bad = 0;
  for (int i = 0; i < rounds; i++) {
    pid_t pid = fork_or_die();
    if (pid == 0) {
      pthread_attr_t attr;
      pthread_attr_init(&attr);
      pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
      pthread_attr_setstacksize(&attr, 64 * 1024);
      pthread_t t;
      if (pthread_create(&t, &attr, ender, NULL) != 0) _exit(120);
      for (;;) pthread_create(&t, &attr, brief, NULL);
    }
    bad += round_failed(i, pid, 0);
  }
  printf("rounds %d bad %d\n", rounds, bad);
  return bad ? 1 : 0;
}
