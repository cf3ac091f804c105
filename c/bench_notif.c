// Decisions by seccomp user notification instead of ptrace, for the design
// note in README's performance section: P copies of a command whose getppid
// calls go to one listener (SECCOMP_RET_USER_NOTIF), served by S threads that
// each answer "return 7" (NOTIF_SEND with val 7: the call is skipped).
// Usage: bench_notif <S> <P> <cmd> [args...]
#define _GNU_SOURCE
#include "getppid_filter.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "notif_compat.h"

#define MAX_THREADS 64

static int listener = -1;

static void *serve(void *unused) {
  (void)unused;
  struct seccomp_notif req;
  struct seccomp_notif_resp resp;
  for (;;) {
    memset(&req, 0, sizeof req);
    if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) return 0;
    memset(&resp, 0, sizeof resp);
    resp.id = req.id;
    resp.val = 7;
    ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
  }
}

static void send_fd(int sock, int fd) {
  char byte = 0, control[CMSG_SPACE(sizeof(int))];
  struct iovec io = {&byte, 1};
  struct msghdr msg = {.msg_iov = &io, .msg_iovlen = 1, .msg_control = control,
                       .msg_controllen = sizeof control};
  struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cm), &fd, sizeof fd);
  sendmsg(sock, &msg, 0);
}

static int receive_fd(int sock) {
  char byte, control[CMSG_SPACE(sizeof(int))];
  struct iovec io = {&byte, 1};
  struct msghdr msg = {.msg_iov = &io, .msg_iovlen = 1, .msg_control = control,
                       .msg_controllen = sizeof control};
  if (recvmsg(sock, &msg, 0) != 1) return -1;
  int fd;
  memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&msg)), sizeof fd);
  return fd;
}

int main(int argc, char **argv) {
  int threads = argc > 3 ? atoi(argv[1]) : 0, copies = argc > 3 ? atoi(argv[2]) : 0;
  if (threads < 1 || threads > MAX_THREADS || copies < 1) {
    fprintf(stderr, "usage: bench_notif <S> <P> <cmd> [args...]\n");
    return 2;
  }
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) return 125;
  pid_t root = fork();
  if (root == 0) {
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    int fd = install_getppid_filter(SECCOMP_RET_USER_NOTIF, SECCOMP_FILTER_FLAG_NEW_LISTENER);
    if (fd < 0) _exit(125);
    send_fd(sv[0], fd);
    close(fd);
    for (int i = 0; i < copies; i++) {
      if (fork() == 0) {
        execvp(argv[3], argv + 3);
        _exit(127);
      }
    }
    int status, failed = 0;
    while (wait(&status) > 0) failed |= !WIFEXITED(status) || WEXITSTATUS(status);
    _exit(failed);
  }
  listener = receive_fd(sv[1]);
  if (listener < 0) return 125;
  // Linux 6.6+: wake the serving thread on the caller's CPU (fails harmlessly before).
  ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP, 0);
  pthread_t pool[MAX_THREADS];
  for (int i = 0; i < threads; i++) pthread_create(&pool[i], 0, serve, 0);
  int status;
  if (waitpid(root, &status, 0) < 0) return 125;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
