/*
 * Wall: an execve by a thread that is not its process's leader stops at
 * PTRACE_EVENT_EXEC, however the thread was made.
 *
 * jail spares a process's only thread its exec stop (src/supervisor/
 * trace_options.ts) and gives it back to every thread of a process that
 * gains a second one, judged by thread group, not by the event's kind:
 * clone(CLONE_THREAD | SIGCHLD) is reported as a fork event,
 * clone(CLONE_THREAD | CLONE_VFORK) as a vfork event, a pthread as a clone
 * event. A missed exec stop would leave the exec'ing thread's old tid in the
 * registry (to the target guard, a task of the tree, whoever takes the id
 * next) and the old leader, which never reports, too.
 *
 * Each round forks a child, single-threaded so without exec stops, that
 * makes one thread of the given kind; the thread execs this program with
 * --execed, which exits 0 when it holds the pid as its tid, its old tid is
 * gone, and jail's target guard refuses the old tid as no task of the tree:
 * prlimit64 on it fails with EPERM (a registry that kept it lets the call
 * run, and the kernel answers ESRCH; so does an unjailed run). Prints
 * "rounds N bad B"; exits 1 when a round went wrong.
 *
 * usage: exec_thread_kinds fork|vfork|clone [rounds=20]
 *        exec_thread_kinds --execed <pid> <old tid>   (the new image)
 */
#include "tracee_common.h"
#include <errno.h>
#include <sched.h>
#include <sys/resource.h>

#define THREAD_FLAGS (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM)

static char stack[1 << 16] __attribute__((aligned(16)));
static char pid_arg[16];

/* Writes n in decimal: the thread shares the leader's TLS, so no stdio here. */
static void decimal(char *out, long n) {
  char tmp[24];
  int len = 0;
  do tmp[len++] = (char)('0' + n % 10); while ((n /= 10) > 0);
  for (int i = 0; i < len; i++) out[i] = tmp[len - 1 - i];
  out[len] = 0;
}

static int execer(void *arg) {
  (void)arg;
  char tid[24];
  decimal(tid, syscall(SYS_gettid));
  char *argv[] = {"exec_thread_kinds", "--execed", pid_arg, tid, NULL};
  syscall(SYS_execve, "/proc/self/exe", argv, environ);
  syscall(SYS_exit_group, 126);
  return 0;
}

static void child(const char *kind) {
  decimal(pid_arg, getpid());
  int flags = THREAD_FLAGS;
  if (strcmp(kind, "fork") == 0) flags |= SIGCHLD;
  else if (strcmp(kind, "vfork") == 0) flags |= CLONE_VFORK;
  if (clone(execer, stack + sizeof stack, flags, NULL) < 0) _exit(120);
  for (;;) pause(); /* the exec kills this thread */
}

static int execed(char **argv) {
  pid_t was = atoi(argv[2]), old = atoi(argv[3]);
  if (getpid() != was || gettid() != was || old == was) return 97;
  if (syscall(SYS_tgkill, was, old, 0) != -1 || errno != ESRCH) return 98;
  struct rlimit limit;
  if (syscall(SYS_prlimit64, old, RLIMIT_NOFILE, NULL, &limit) != -1 || errno != EPERM) return 96;
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 4 && strcmp(argv[1], "--execed") == 0) return execed(argv);
  const char *kind = argc > 1 ? argv[1] : "clone";
  int rounds = argc > 2 ? atoi(argv[2]) : 20;
  int bad = 0;
  for (int i = 0; i < rounds; i++) {
    pid_t pid = fork_or_die();
    if (pid == 0) child(kind);
    bad += round_failed(i, pid, 0);
  }
  printf("rounds %d bad %d\n", rounds, bad);
  return bad ? 1 : 0;
}
