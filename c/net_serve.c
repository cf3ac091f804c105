/*
 * A counting server for the network tests, run unjailed inside the test's
 * network namespace: listens on TCP and UDP at PORT on every ADDR, greets and
 * closes each TCP connection, counts connections and datagrams per address.
 *
 *   net_serve PORT [ADDR...]     (PORT 0: pick one, the same for every address)
 *
 * Prints "ready <port>" once every socket is bound. Each line read on stdin
 * asks for the counts so far: "tcp <addr> <connections>" and
 * "udp <addr> <datagrams>" for each address, then "end". At EOF it prints
 * them once more and exits. With no address it only holds its namespaces.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_ADDRS 16

struct endpoint {
  const char *text;
  int tcp, udp;
  long connections, datagrams;
};

static void die(const char *what, const char *addr) {
  fprintf(stderr, "net_serve: %s %s: %s\n", what, addr, strerror(errno));
  exit(1);
}

/* Fills a sockaddr for addr:port; returns its length. */
static socklen_t sockaddr_of(const char *addr, int port, struct sockaddr_storage *ss) {
  memset(ss, 0, sizeof *ss);
  struct sockaddr_in *in = (struct sockaddr_in *)ss;
  struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
  if (inet_pton(AF_INET, addr, &in->sin_addr) == 1) {
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    return sizeof *in;
  }
  if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    return sizeof *in6;
  }
  fprintf(stderr, "net_serve: bad address %s\n", addr);
  exit(2);
}

static int open_socket(const char *addr, int port, int type, int *chosen) {
  struct sockaddr_storage ss;
  socklen_t len = sockaddr_of(addr, port, &ss);
  int fd = socket(ss.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket", addr);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (ss.ss_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (type == SOCK_DGRAM) {
    int big = 8 << 20; /* room for every datagram of a 10k-send race, so none is missed */
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big) != 0)
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  }
  if (bind(fd, (struct sockaddr *)&ss, len) != 0) die("bind", addr);
  if (type == SOCK_STREAM && listen(fd, 4096) != 0) die("listen", addr);
  if (*chosen == 0) {
    len = sizeof ss;
    getsockname(fd, (struct sockaddr *)&ss, &len);
    *chosen = ntohs(((struct sockaddr_in *)&ss)->sin_port);
  }
  return fd;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: net_serve PORT [ADDR...]\n");
    return 2;
  }
  int port = atoi(argv[1]);
  int n = argc - 2;
  if (n > MAX_ADDRS) n = MAX_ADDRS;
  struct endpoint ep[MAX_ADDRS];
  for (int i = 0; i < n; i++) {
    ep[i] = (struct endpoint){.text = argv[i + 2]};
    ep[i].tcp = open_socket(ep[i].text, port, SOCK_STREAM, &port);
    ep[i].udp = open_socket(ep[i].text, port, SOCK_DGRAM, &port);
  }
  printf("ready %d\n", port);
  fflush(stdout);

  struct pollfd pfd[1 + 2 * MAX_ADDRS];
  pfd[0] = (struct pollfd){.fd = 0, .events = POLLIN};
  for (int i = 0; i < n; i++) {
    pfd[1 + 2 * i] = (struct pollfd){.fd = ep[i].tcp, .events = POLLIN};
    pfd[2 + 2 * i] = (struct pollfd){.fd = ep[i].udp, .events = POLLIN};
  }
  char buf[2048];
  for (;;) {
    if (poll(pfd, 1 + 2 * n, -1) < 0) {
      if (errno == EINTR) continue;
      die("poll", "");
    }
    for (int i = 0; i < n; i++) {
      for (;;) {
        int c = accept4(ep[i].tcp, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0) break;
        ep[i].connections++;
        int len = snprintf(buf, sizeof buf, "hello from %s\n", ep[i].text);
        (void)!write(c, buf, len);
        close(c);
      }
      while (recv(ep[i].udp, buf, sizeof buf, MSG_DONTWAIT) >= 0) ep[i].datagrams++;
    }
    if (pfd[0].revents) {
      ssize_t r = read(0, buf, sizeof buf);
      /* Counts: after one last drain, so nothing already sent is missed. */
      for (int i = 0; i < n; i++) {
        while (recv(ep[i].udp, buf, sizeof buf, MSG_DONTWAIT) >= 0) ep[i].datagrams++;
        for (int c; (c = accept4(ep[i].tcp, NULL, NULL, SOCK_CLOEXEC)) >= 0;) {
          ep[i].connections++;
          close(c);
        }
        printf("tcp %s %ld\nudp %s %ld\n", ep[i].text, ep[i].connections, ep[i].text,
               ep[i].datagrams);
      }
      printf("end\n");
      fflush(stdout);
      if (r <= 0) return 0;
    }
  }
}
