/*
 * Blocking calls that jail performs for the tree (a sendto with a
 * destination, a unix connect), made while the peer that will unblock them is
 * another process of the same tree, which needs the supervisor before it can
 * (it forks first: a fork stops at the supervisor). A supervisor that blocks
 * in the call itself never serves that fork: the run hangs.
 *
 *   peer_wait dgram DIR      sendto(path) to a full unix datagram queue; the
 *                            reader forks, then drains
 *   peer_wait sendmsg DIR    the same with sendmsg and a msg_name
 *   peer_wait sendmmsg DIR   the same with sendmmsg of two messages (64 bytes
 *                            each: "sent 64" when both went)
 *   peer_wait connect DIR    connect to a unix listener whose backlog is full;
 *                            the acceptor forks, then accepts
 *   peer_wait sndtimeo DIR   sendto(path) to a full queue nobody drains, with
 *                            SO_SNDTIMEO 200 ms: EAGAIN after about 200 ms
 *   peer_wait eintr DIR      sendto(path) to a full queue, interrupted by a
 *                            SIGALRM handler without SA_RESTART: EINTR
 *   peer_wait restart DIR    the same with SA_RESTART; the handler drains one
 *                            datagram, so the restarted send goes through
 *
 * Prints one line per outcome; the same lines natively and jailed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static struct sockaddr_un addr_of(const char *dir, const char *name) {
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  snprintf(a.sun_path, sizeof a.sun_path, "%s/%s", dir, name);
  return a;
}

/* Until process `pid` sleeps or is stopped: it is then waiting in its call. */
static void until_blocked(pid_t pid) {
  char path[64], buf[256];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  for (;;) {
    FILE *f = fopen(path, "r");
    if (!f) exit(20);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *paren = strrchr(buf, ')');
    if (paren && paren[1] == ' ' && paren[2] != 'R') return;
    sched_yield();
  }
}

/* A fork the supervisor must follow, then reaps it. */
static void fork_and_reap(void) {
  pid_t c = fork();
  if (c < 0) exit(21);
  if (c == 0) _exit(0);
  int st;
  if (waitpid(c, &st, 0) != c) exit(22);
}

static int fill(int tx, const struct sockaddr_un *to) {
  char msg[64] = "x";
  int n = 0;
  while (sendto(tx, msg, sizeof msg, MSG_DONTWAIT, (const struct sockaddr *)to, sizeof *to) >= 0) n++;
  return errno == EAGAIN ? n : -errno;
}

static int rx_fd;

static void drain_one(int sig) {
  (void)sig;
  char b[64];
  recv(rx_fd, b, sizeof b, MSG_DONTWAIT);
}

static int dgram(const char *dir, const char *mode) {
  struct sockaddr_un to = addr_of(dir, "rx.sock");
  int rx = socket(AF_UNIX, SOCK_DGRAM, 0);
  if (rx < 0 || bind(rx, (struct sockaddr *)&to, sizeof to) != 0) return 3;
  rx_fd = rx;
  int tx = socket(AF_UNIX, SOCK_DGRAM, 0);
  if (tx < 0) return 3;
  int filled = fill(tx, &to);
  if (filled <= 0) {
    printf("fill errno_%d\n", -filled);
    return 4;
  }
  printf("full\n");
  fflush(stdout);
  char msg[64] = "y";
  pid_t reader = -1;
  int reads = strcmp(mode, "dgram") == 0 || strcmp(mode, "sendmsg") == 0 ||
              strcmp(mode, "sendmmsg") == 0;
  if (reads) {
    pid_t sender = getpid();
    reader = fork();
    if (reader < 0) return 5;
    if (reader == 0) {
      until_blocked(sender);
      fork_and_reap();
      char b[64];
      int n = 0;
      while (recv(rx, b, sizeof b, 0) > 0 && b[0] != 'y') n++;
      _exit(n == filled ? 0 : 6);
    }
  } else if (strcmp(mode, "sndtimeo") == 0) {
    struct timeval tv = {.tv_sec = 0, .tv_usec = 200000};
    if (setsockopt(tx, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0) return 7;
  } else {
    struct sigaction sa = {.sa_handler = drain_one};
    sa.sa_flags = strcmp(mode, "restart") == 0 ? SA_RESTART : 0;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGALRM, &sa, NULL) != 0) return 7;
    struct itimerval it = {.it_value = {.tv_sec = 0, .tv_usec = 100000}};
    if (setitimer(ITIMER_REAL, &it, NULL) != 0) return 7;
  }
  double start = now_ms();
  ssize_t n;
  struct iovec iov = {.iov_base = msg, .iov_len = sizeof msg};
  struct msghdr mh = {.msg_name = &to, .msg_namelen = sizeof to, .msg_iov = &iov, .msg_iovlen = 1};
  if (strcmp(mode, "sendmsg") == 0) {
    n = sendmsg(tx, &mh, 0);
  } else if (strcmp(mode, "sendmmsg") == 0) {
    struct mmsghdr mm[2] = {{.msg_hdr = mh}, {.msg_hdr = mh}};
    int sent = sendmmsg(tx, mm, 2, 0);
    n = sent == 2 && mm[0].msg_len == sizeof msg && mm[1].msg_len == sizeof msg ? (ssize_t)sizeof msg
        : sent < 0                                                            ? -1
                                                                              : 0;
    if (sent >= 0 && n == 0) printf("sendmmsg sent %d\n", sent);
  } else {
    n = sendto(tx, msg, sizeof msg, 0, (struct sockaddr *)&to, sizeof to);
  }
  double took = now_ms() - start;
  if (n < 0) printf("sendto errno_%d\n", errno);
  else printf("sent %zd\n", n);
  if (strcmp(mode, "sndtimeo") == 0) printf("waited %s\n", took >= 150 ? "the timeout" : "less");
  if (reader > 0) {
    int st;
    if (waitpid(reader, &st, 0) != reader) return 8;
    printf("reader %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
  }
  return 0;
}

static int stream_connect(const char *dir) {
  struct sockaddr_un at = addr_of(dir, "listen.sock");
  int l = socket(AF_UNIX, SOCK_STREAM, 0);
  if (l < 0 || bind(l, (struct sockaddr *)&at, sizeof at) != 0 || listen(l, 0) != 0) return 3;
  /* Fill the backlog: non-blocking connects until EAGAIN. */
  int pending = 0;
  for (;;) {
    int c = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (c < 0) return 3;
    if (connect(c, (struct sockaddr *)&at, sizeof at) != 0) {
      if (errno != EAGAIN) {
        printf("fill errno_%d\n", errno);
        return 4;
      }
      close(c);
      break;
    }
    pending++;
  }
  printf("backlog full\n");
  fflush(stdout);
  pid_t client = getpid();
  pid_t acceptor = fork();
  if (acceptor < 0) return 5;
  if (acceptor == 0) {
    until_blocked(client);
    fork_and_reap();
    int n = 0;
    for (int i = 0; i <= pending; i++) {
      int a = accept(l, NULL, NULL);
      if (a < 0) _exit(6);
      close(a);
      n++;
    }
    _exit(n == pending + 1 ? 0 : 6);
  }
  int c = socket(AF_UNIX, SOCK_STREAM, 0);
  if (c < 0) return 3;
  if (connect(c, (struct sockaddr *)&at, sizeof at) != 0) printf("connect errno_%d\n", errno);
  else printf("connected\n");
  int st;
  if (waitpid(acceptor, &st, 0) != acceptor) return 8;
  printf("acceptor %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 3) return 2;
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (strcmp(argv[1], "connect") == 0) return stream_connect(argv[2]);
  return dgram(argv[2], argv[1]);
}
