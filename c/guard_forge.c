// A tracee that installs seccomp filters of its own returning SECCOMP_RET_TRACE
// with forged data: with several filters returning TRACE, the kernel reports
// the data of the newest one. For each data value 0..count-1 it stacks one
// more filter that traces getpid, connect and kill with that data, then checks
// that the supervisor still decided by jail's own rules: getpid returns the
// pid, connect to 127.0.0.1:<port> fails with the errno jail's policy gives
// (printed), kill(child, 0) of a child of the tree succeeds.
//
// usage: guard_forge <port> <count>
#define _GNU_SOURCE
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int install(unsigned data) {
  struct sock_filter insns[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getpid, 3, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_connect, 2, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_kill, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE | (data & SECCOMP_RET_DATA)),
  };
  struct sock_fprog prog = {sizeof insns / sizeof insns[0], insns};
  return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: guard_forge <port> <count>\n");
    return 2;
  }
  int port = atoi(argv[1]);
  unsigned count = (unsigned)atoi(argv[2]);
  pid_t me = getpid();
  pid_t child = fork();
  if (child == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != me) _exit(0);
    pause();
    _exit(0);
  }
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    perror("PR_SET_NO_NEW_PRIVS");
    return 1;
  }
  int failed = 0;
  for (unsigned data = 0; data < count; data++) {
    if (install(data) != 0) {
      printf("install %u: %s\n", data, strerror(errno));
      failed = 1;
      break;
    }
    errno = 0;
    long pid = syscall(SYS_getpid);
    if (pid != me) {
      printf("data %u: getpid returned %ld (%s)\n", data, pid, strerror(errno));
      failed = 1;
    }
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int rc = connect(s, (struct sockaddr *)&sa, sizeof sa);
    printf("data %u: connect %s\n", data, rc == 0 ? "ok" : strerrorname_np(errno));
    close(s);
    if (kill(child, 0) != 0) {
      printf("data %u: kill(child, 0): %s\n", data, strerrorname_np(errno));
      failed = 1;
    }
  }
  // Unjailed, the tree's filter makes kill fail (ENOSYS: no tracer): PDEATHSIG ends the child.
  if (kill(child, SIGKILL) == 0) waitpid(child, NULL, 0);
  printf("forge done %u\n", count);
  return failed;
}
