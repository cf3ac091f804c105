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
  *s = (struct srv){.fd = fd, .udp = udp, .fam = fam};
  snprintf(s->name, sizeof s->name, "%s", name);
  out("listen %s %d %d %s %s", udp ? "udp" : "tcp", fam == AF_INET ? 4 : 6, port, name, host);
  pthread_t th;
  pthread_create(&th, NULL, serve, s);
}

/*
 * A TCP server bound to ip, or with ip NULL listening unbound (the kernel
 * picks the wildcard); `reuse` sets SO_REUSEADDR first and, on IPv6, clears
 * IPV6_V6ONLY (so "::" takes IPv4 too).
 */
static void tcp(int fam, const char *ip, int reuse, const char *name) {
  int s = socket(fam, SOCK_STREAM, 0);
  int one = 1, zero = 0;
  if (reuse) setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (reuse && fam == AF_INET6) setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
  long rc = 0;
  if (ip) {
    struct sockaddr_storage a;
    socklen_t l = sin_any(fam, ip, 0, &a);
    rc = bind(s, (struct sockaddr *)&a, l);
  }
  if (rc < 0 || listen(s, 8) < 0) {
    blocked(name);
    return;
  }
  start(s, 0, fam, name);
}

/* A UDP socket of family fam, autobound by one byte sent to loopback or bound to the wildcard. */
static void udp(int fam, int autobound, const char *name) {
  int s = socket(fam, SOCK_DGRAM, 0);
  struct sockaddr_storage a;
  long rc;
  if (autobound) {
    socklen_t l = sin_any(fam, fam == AF_INET ? "127.0.0.1" : "::1", 9, &a);
    rc = sendto(s, "x", 1, 0, (struct sockaddr *)&a, l);
  } else {
    socklen_t l = sin_any(fam, fam == AF_INET ? "0.0.0.0" : "::", 0, &a);
    rc = bind(s, (struct sockaddr *)&a, l);
  }
  if (rc < 0) {
    blocked(name);
    return;
  }
  start(s, 1, fam, name);
}

int main(int argc, char **argv) {
  if (argc > 2 && !strcmp(argv[2], "prlimit")) {
    struct rlimit zero = {0, 0};
    verdict("prlimit-jail-nofile", syscall(SYS_prlimit64, jail_pid(), RLIMIT_NOFILE, &zero, NULL));
  }
  tcp(AF_INET, NULL, 0, "tcp4-listen-unbound");
  tcp(AF_INET6, NULL, 0, "tcp6-listen-unbound");
  udp(AF_INET, 1, "udp4-autobound");
  udp(AF_INET6, 1, "udp6-autobound");
  if (argc <= 2) {
    tcp(AF_INET, "0.0.0.0", 1, "tcp4-wildcard");
    tcp(AF_INET6, "::", 1, "tcp6-wildcard");
    udp(AF_INET, 0, "udp4-wildcard");
    udp(AF_INET6, 0, "udp6-wildcard");
    tcp(AF_INET, "10.88.0.1", 0, "tcp4-near-address");
    tcp(AF_INET6, "fd88::1", 0, "tcp6-near-address");
  }
  out("ready");
  char c;
  while (read(0, &c, 1) > 0) {}
  out("done");
  return 0;
}
