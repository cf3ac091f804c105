/* Servers another host can reach: wildcard binds, listen() on an unbound
 * socket (the kernel picks the wildcard), UDP sockets auto-bound by a first
 * sendto to loopback. Prints "listen <proto> <family> <port>" per socket and
 * "ready", answers until stdin ends, then prints "done".
 * With "prlimit" first sets jail's RLIMIT_NOFILE to 0 (the supervisor can
 * then no longer take a duplicate of a socket to act on it).
 * Usage: adv_listen <token> [prlimit] */
#include "adv_common.h"
#include <sys/resource.h>

struct srv {
  int fd, udp, fam;
  char name[32];
};

static void *serve(void *arg) {
  struct srv *s = arg;
  for (;;) {
    if (!s->udp) {
      int c = accept(s->fd, NULL, NULL);
      if (c < 0) return NULL;
      out("escaped inbound-%s accepted a connection from far", s->name);
      char buf[128];
      int n = payload(buf, sizeof buf, s->name);
      (void)!write(c, buf, n);
      close(c);
    } else {
      char buf[128];
      struct sockaddr_storage from;
      socklen_t fl = sizeof from;
      if (recvfrom(s->fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl) < 0) return NULL;
      out("escaped inbound-%s received a datagram from far", s->name);
      int n = payload(buf, sizeof buf, s->name);
      sendto(s->fd, buf, n, 0, (struct sockaddr *)&from, fl);
    }
  }
}

static struct srv srvs[16];
static int nsrv;

static void start(int fd, int udp, int fam, const char *name) {
  struct sockaddr_storage a;
  socklen_t l = sizeof a;
  if (getsockname(fd, (struct sockaddr *)&a, &l) < 0) return;
  int port = ntohs(((struct sockaddr_in *)&a)->sin_port);
  char host[64];
  inet_ntop(fam, fam == AF_INET ? (void *)&((struct sockaddr_in *)&a)->sin_addr
                                : (void *)&((struct sockaddr_in6 *)&a)->sin6_addr,
            host, sizeof host);
  struct srv *s = &srvs[nsrv++];
  *s = (struct srv){fd, udp, fam};
  snprintf(s->name, sizeof s->name, "%s", name);
  out("listen %s %d %d %s %s", udp ? "udp" : "tcp", fam == AF_INET ? 4 : 6, port, name, host);
  pthread_t th;
  pthread_create(&th, NULL, serve, s);
}

static void tcp_bound(int fam, const char *name) {
  int s = socket(fam, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  long rc;
  if (fam == AF_INET) {
    struct sockaddr_in a = sin4("0.0.0.0", 0);
    rc = bind(s, (struct sockaddr *)&a, sizeof a);
  } else {
    int zero = 0;
    setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    struct sockaddr_in6 a = sin6("::", 0);
    rc = bind(s, (struct sockaddr *)&a, sizeof a);
  }
  if (rc < 0 || listen(s, 8) < 0) {
    out("blocked %s %s", name, strerrorname_np(errno));
    return;
  }
  start(s, 0, fam, name);
}

static void tcp_at(int fam, const char *ip, const char *name) {
  int s = socket(fam, SOCK_STREAM, 0);
  long rc;
  if (fam == AF_INET) {
    struct sockaddr_in a = sin4(ip, 0);
    rc = bind(s, (struct sockaddr *)&a, sizeof a);
  } else {
    struct sockaddr_in6 a = sin6(ip, 0);
    rc = bind(s, (struct sockaddr *)&a, sizeof a);
  }
  if (rc < 0 || listen(s, 8) < 0) {
    out("blocked %s %s", name, strerrorname_np(errno));
    return;
  }
  start(s, 0, fam, name);
}

static void tcp_unbound(int fam, const char *name) {
  int s = socket(fam, SOCK_STREAM, 0);
  if (listen(s, 8) < 0) {
    out("blocked %s %s", name, strerrorname_np(errno));
    return;
  }
  start(s, 0, fam, name);
}

static void udp_autobound(int fam, const char *name) {
  int s = socket(fam, SOCK_DGRAM, 0);
  long rc;
  if (fam == AF_INET) {
    struct sockaddr_in a = sin4("127.0.0.1", 9);
    rc = sendto(s, "x", 1, 0, (struct sockaddr *)&a, sizeof a);
  } else {
    struct sockaddr_in6 a = sin6("::1", 9);
    rc = sendto(s, "x", 1, 0, (struct sockaddr *)&a, sizeof a);
  }
  if (rc < 0) {
    out("blocked %s %s", name, strerrorname_np(errno));
    return;
  }
  start(s, 1, fam, name);
}

static void udp_bound(int fam, const char *name) {
  int s = socket(fam, SOCK_DGRAM, 0);
  long rc;
  if (fam == AF_INET) {
    struct sockaddr_in a = sin4("0.0.0.0", 0);
    rc = bind(s, (struct sockaddr *)&a, sizeof a);
  } else {
    struct sockaddr_in6 a = sin6("::", 0);
    rc = bind(s, (struct sockaddr *)&a, sizeof a);
  }
  if (rc < 0) {
    out("blocked %s %s", name, strerrorname_np(errno));
    return;
  }
  start(s, 1, fam, name);
}

int main(int argc, char **argv) {
  if (argc > 2 && !strcmp(argv[2], "prlimit")) {
    struct rlimit zero = {0, 0};
    verdict("prlimit-jail-nofile", syscall(SYS_prlimit64, jail_pid(), RLIMIT_NOFILE, &zero, NULL));
  }
  tcp_unbound(AF_INET, "tcp4-listen-unbound");
  tcp_unbound(AF_INET6, "tcp6-listen-unbound");
  udp_autobound(AF_INET, "udp4-autobound");
  udp_autobound(AF_INET6, "udp6-autobound");
  if (argc <= 2) {
    tcp_bound(AF_INET, "tcp4-wildcard");
    tcp_bound(AF_INET6, "tcp6-wildcard");
    udp_bound(AF_INET, "udp4-wildcard");
    udp_bound(AF_INET6, "udp6-wildcard");
    tcp_at(AF_INET, "10.88.0.1", "tcp4-near-address");
    tcp_at(AF_INET6, "fd88::1", "tcp6-near-address");
  }
  out("ready");
  char c;
  while (read(0, &c, 1) > 0) {}
  out("done");
  return 0;
}
