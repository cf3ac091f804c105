/*
 * Reaching outside the tree: ptrace and process_vm_readv aimed at a pid
 * given on the command line (a process outside the jail, or a pid that does
 * not exist). Prints one line per probe with the errno (0 on success):
 *
 *   ptrace errno=<n>         PTRACE_SEIZE then PTRACE_DETACH on success
 *   process_vm_readv errno=<n>
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <unistd.h>

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc != 2) {
    fprintf(stderr, "usage: policy_ptrace <pid>\n");
    return 2;
  }
  pid_t pid = (pid_t)atoi(argv[1]);
  errno = 0;
  long rc = ptrace(PTRACE_SEIZE, pid, 0, 0);
  printf("ptrace errno=%d\n", rc < 0 ? errno : 0);
  if (rc == 0) ptrace(PTRACE_DETACH, pid, 0, 0);

  char buf[8];
  struct iovec local = {buf, sizeof buf};
  struct iovec remote = {(void *)0x10000, sizeof buf};
  errno = 0;
  rc = process_vm_readv(pid, &local, 1, &remote, 1, 0);
  printf("process_vm_readv errno=%d\n", rc < 0 ? errno : 0);
  return 0;
}
