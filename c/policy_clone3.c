/*
 * The clone escape routes: clone3 (flags in memory the filter cannot read)
 * and clone with CLONE_UNTRACED. Prints one line per probe:
 *
 *   clone3 errno=<n>      syscall(435, NULL, 0): ENOSYS under jail, EINVAL without
 *   untraced errno=<n>    clone(CLONE_UNTRACED|SIGCHLD): EPERM under jail, 0 (forked) without
 *   thread ok             pthread_create still works (libc falls back from clone3 to clone)
 *   fork ok               fork still works
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_UNTRACED
#define CLONE_UNTRACED 0x00800000
#endif

static void *worker(void *arg) { return arg; }

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  errno = 0;
  long rc = syscall(435, NULL, 0);
  printf("clone3 errno=%d\n", rc < 0 ? errno : 0);

  errno = 0;
  rc = syscall(SYS_clone, CLONE_UNTRACED | SIGCHLD, 0, 0, 0, 0);
  if (rc == 0) _exit(0); /* The child, when the call was allowed: leave at once. */
  if (rc > 0) waitpid((pid_t)rc, NULL, 0);
  printf("untraced errno=%d\n", rc < 0 ? errno : 0);

  pthread_t t;
  int err = pthread_create(&t, NULL, worker, NULL);
  if (err == 0) pthread_join(t, NULL);
  printf("thread %s\n", err == 0 ? "ok" : "failed");

  pid_t pid = fork();
  if (pid == 0) _exit(7);
  int status = 0;
  waitpid(pid, &status, 0);
  printf("fork %s\n", pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 7 ? "ok" : "failed");
  return 0;
}
