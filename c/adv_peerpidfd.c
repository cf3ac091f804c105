/* A pidfd of the supervisor from the socket layer: when jail performs a
 * connect or sendto for the tree (on a duplicate of the tree's socket), the
 * peer credentials the kernel records are jail's. A jailed server takes the
 * peer's pidfd (SO_PEERPIDFD, SCM_PIDFD) and tries pidfd_getfd and
 * pidfd_send_signal on it.
 * Usage: adv_peerpidfd <token> */
#include "adv_common.h"
#include <sys/un.h>

#ifndef SO_PASSPIDFD
#define SO_PASSPIDFD 76
#endif
#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif
#ifndef SCM_PIDFD
#define SCM_PIDFD 0x04
#endif

/* True when pid is this process or one of its descendants. */
static int in_tree(pid_t pid) {
  for (int depth = 0; pid > 1 && depth < 64; depth++) {
    if (pid == getpid()) return 1;
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    pid_t pp = 0;
    while (fgets(line, sizeof line, f)) {
      if (sscanf(line, "PPid: %d", &pp) == 1) break;
    }
    fclose(f);
    pid = pp;
  }
  return 0;
}

static void use_pidfd(const char *route, int pfd, pid_t peer) {
  out("info %s peer pid %d (mine %d, jail %d)", route, peer, getpid(), getppid());
  int got = -1;
  for (int i = 0; i < 64 && got < 0; i++) got = syscall(SYS_pidfd_getfd, pfd, i, 0);
  char name[64];
  snprintf(name, sizeof name, "%s-getfd", route);
  if (peer == 0 || in_tree(peer)) {
    out("info %s-getfd the peer is the tree itself", route);
  } else {
    verdict(name, got);
    snprintf(name, sizeof name, "%s-signal", route);
    verdict(name, syscall(SYS_pidfd_send_signal, pfd, SIGURG, NULL, 0));
  }
}

int main(void) {
  signal(SIGURG, SIG_IGN);
  /* Stream: server in this process, client in a child that connects. */
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  snprintf(a.sun_path, sizeof a.sun_path, "adv-%d.sock", getpid());
  unlink(a.sun_path);
  int l = socket(AF_UNIX, SOCK_STREAM, 0);
  if (bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 4) < 0) {
    blocked("unix-listen");
  } else {
    pid_t c = fork();
    if (c == 0) {
      int s = socket(AF_UNIX, SOCK_STREAM, 0);
      if (connect(s, (struct sockaddr *)&a, sizeof a) < 0) out("info unix-connect %s", errname());
      char x;
      (void)!read(s, &x, 1);
      _exit(0);
    }
    int s = accept(l, NULL, NULL);
    struct ucred cr;
    socklen_t cl = sizeof cr;
    getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cr, &cl);
    int pfd;
    socklen_t pl = sizeof pfd;
    if (getsockopt(s, SOL_SOCKET, SO_PEERPIDFD, &pfd, &pl) == 0) {
      use_pidfd("so-peerpidfd", pfd, cr.pid);
    } else {
      blocked("so-peerpidfd");
    }
    if (cr.pid != c) out("info so-peercred peer pid %d is not the connecting child %d", cr.pid, c);
    close(s);
    waitpid(c, NULL, 0);
  }
  unlink(a.sun_path);

  /* Datagram: the client's sendto(path) may be performed by jail. */
  int d = socket(AF_UNIX, SOCK_DGRAM, 0);
  int one = 1;
  setsockopt(d, SOL_SOCKET, SO_PASSPIDFD, &one, sizeof one);
  setsockopt(d, SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
  if (bind(d, (struct sockaddr *)&a, sizeof a) < 0) {
    blocked("unix-dgram-bind");
  } else {
    pid_t c = fork();
    if (c == 0) {
      int s = socket(AF_UNIX, SOCK_DGRAM, 0);
      if (sendto(s, "x", 1, 0, (struct sockaddr *)&a, sizeof a) < 0) out("info unix-sendto %s", errname());
      _exit(0);
    }
    char buf[8], cbuf[256];
    struct iovec iov = {buf, sizeof buf};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
    struct timeval tv = {.tv_sec = 2};
    setsockopt(d, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (recvmsg(d, &m, 0) >= 0) {
      pid_t peer = 0;
      int pfd = -1;
      for (struct cmsghdr *h = CMSG_FIRSTHDR(&m); h; h = CMSG_NXTHDR(&m, h)) {
        if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_CREDENTIALS)
          peer = ((struct ucred *)CMSG_DATA(h))->pid;
        if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_PIDFD)
          memcpy(&pfd, CMSG_DATA(h), sizeof pfd);
      }
      if (pfd >= 0) use_pidfd("scm-pidfd", pfd, peer);
      else out("blocked scm-pidfd none received");
    } else {
      out("info unix-dgram-recv %s", errname());
    }
    waitpid(c, NULL, 0);
  }
  unlink(a.sun_path);
  out("done");
  return 0;
}
