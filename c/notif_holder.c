/*
 * Runs a command under a seccomp listener that this program holds, as a
 * supervisor above jail would (jail inside jail): installs an allow-all
 * filter with SECCOMP_FILTER_FLAG_NEW_LISTENER, keeps the listener open, and
 * forks the command, which inherits the filter. Every NEW_LISTENER in the
 * command's tree then fails with EBUSY, jail's own included, so jail must
 * fall back to its all-TRACE program.
 *
 * usage: notif_holder cmd [args...]; exits with the command's status.
 */
#define _GNU_SOURCE
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: notif_holder cmd [args...]\n");
    return 2;
  }
  struct sock_filter allow[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
  struct sock_fprog prog = {.len = 1, .filter = allow};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return 125;
  long listener =
      syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
  if (listener < 0) {
    perror("seccomp(NEW_LISTENER)");
    return 125;
  }
  pid_t pid = fork();
  if (pid == 0) {
    execvp(argv[1], argv + 1); // The listener is close-on-exec: only this process holds it.
    _exit(127);
  }
  int status;
  if (waitpid(pid, &status, 0) < 0) return 125;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
