/* Routes by which a packet "to loopback" leaves the host: the destination
 * address passes a loopback check, something else picks the route.
 * Usage: adv_net_route <token> */
#include "adv_common.h"
#include <netinet/ip.h>
#include <netinet/ip6.h>

#ifndef IPV6_RTHDR_TYPE_4
#define IPV6_RTHDR_TYPE_4 4 /* segment routing header */
#endif
#define MARK_ROUTED 0x88      /* the test bed routes this fwmark from loopback to far */
#define IPOPT_LSRR_TYPE 131   /* loose source and record route */

static int ifindex;

/* The family and type of to_lo's socket. */
#define UDP4 AF_INET, SOCK_DGRAM
#define UDP6 AF_INET6, SOCK_DGRAM
#define TCP4 AF_INET, SOCK_STREAM

/*
 * A socket of family fam and type type, with the option (level >= 0) set,
 * sends the marker to loopback (127.0.0.1 or ::1); a stream socket does it
 * with MSG_FASTOPEN, the data riding on the SYN.
 */
static void to_lo(int fam, int type, const char *route, int level, int opt, const void *val,
                  socklen_t len) {
  int s = socket(fam, type, 0);
  if (level >= 0 && setsockopt(s, level, opt, val, len) < 0) {
    blocked_at(route, "setsockopt");
    close(s);
    return;
  }
  struct sockaddr_storage a;
  socklen_t l = sin_any(fam, fam == AF_INET ? "127.0.0.1" : "::1", FAR_PORT, &a);
  if (type == SOCK_STREAM) {
    struct timeval tv = {.tv_sec = 1};
    setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  }
  send_marked(s, route, &a, l, type == SOCK_STREAM ? MSG_FASTOPEN : 0);
  close(s);
}

/* Sends the marker to loopback by sendmsg with one control message (level,
 * type, len bytes of data). */
static void cmsg_to_lo(int fam, const char *route, int level, int type, const void *data,
                       size_t len) {
  int s = socket(fam, SOCK_DGRAM, 0);
  char buf[128], cbuf[CMSG_SPACE(sizeof(struct sockaddr_in6))] = {0};
  int n = payload(buf, sizeof buf, route);
  struct sockaddr_storage a;
  socklen_t l = sin_any(fam, fam == AF_INET ? "127.0.0.1" : "::1", FAR_PORT, &a);
  struct iovec iov = {buf, n};
  struct msghdr m = {.msg_name = &a, .msg_namelen = l, .msg_iov = &iov, .msg_iovlen = 1,
                     .msg_control = cbuf, .msg_controllen = CMSG_SPACE(len)};
  memcpy(put_cmsg(&m, level, type, len), data, len);
  sent(route, sendmsg(s, &m, 0));
  close(s);
}

/* The source address and interface, and the next hop, given per message. */
static void pktinfo(void) {
  struct in_pktinfo pi = {.ipi_ifindex = ifindex};
  inet_pton(AF_INET, "10.88.0.1", &pi.ipi_spec_dst);
  cmsg_to_lo(AF_INET, "ip-pktinfo", IPPROTO_IP, IP_PKTINFO, &pi, sizeof pi);
  struct in6_pktinfo pi6 = {.ipi6_ifindex = ifindex};
  cmsg_to_lo(AF_INET6, "ipv6-pktinfo", IPPROTO_IPV6, IPV6_PKTINFO, &pi6, sizeof pi6);
  struct sockaddr_in6 nh = sin6(FAR6, 0); /* IPV6_NEXTHOP: a sockaddr_in6 naming the gateway */
  cmsg_to_lo(AF_INET6, "ipv6-nexthop-cmsg", IPPROTO_IPV6, IPV6_NEXTHOP, &nh, sizeof nh);
}

static void srh(void) {
  /* Segment routing header: segments listed last-first; the kernel puts the
   * first segment to visit (far) in the destination field. */
  unsigned char h[8 + 2 * 16] = {0};
  h[1] = (sizeof h / 8) - 1; /* hdr ext len */
  h[2] = IPV6_RTHDR_TYPE_4;
  h[3] = 1; /* segments left */
  h[4] = 1; /* last entry */
  inet_pton(AF_INET6, "::1", h + 8);
  inet_pton(AF_INET6, FAR6, h + 24);
  to_lo(UDP6, "ipv6-rthdr-srh", IPPROTO_IPV6, IPV6_RTHDR, h, sizeof h);
  /* A type 0 header, in case the kernel still takes it. */
  unsigned char h0[8 + 16] = {0};
  h0[1] = 2;
  h0[2] = 0;
  h0[3] = 1;
  inet_pton(AF_INET6, FAR6, h0 + 8);
  to_lo(UDP6, "ipv6-rthdr-type0", IPPROTO_IPV6, IPV6_RTHDR, h0, sizeof h0);
}

static void lsrr(void) {
  unsigned char o[8] = {1 /* NOP, for alignment */, IPOPT_LSRR_TYPE, 7, 4};
  inet_pton(AF_INET, FAR4, o + 4);
  to_lo(UDP4, "ip-options-lsrr", IPPROTO_IP, IP_OPTIONS, o, sizeof o);
}

static void direct(void) {
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a = sin4(FAR4, FAR_PORT);
  send_marked(s, "direct-udp4", &a, sizeof a, 0);
  close(s);
  s = socket(AF_INET6, SOCK_DGRAM, 0);
  struct sockaddr_in6 b = sin6("::ffff:" FAR4, FAR_PORT);
  send_marked(s, "mapped-udp6", &b, sizeof b, 0);
  close(s);
  s = socket(AF_INET6, SOCK_STREAM, 0);
  char buf[128];
  int n = payload(buf, sizeof buf, "mapped-tcp6");
  int rc = connect(s, (struct sockaddr *)&b, sizeof b);
  if (rc == 0) rc = send(s, buf, n, 0);
  sent("mapped-tcp6", rc);
  close(s);
  s = socket(AF_INET6, SOCK_DGRAM, 0);
  b = sin6(FAR6, FAR_PORT);
  send_marked(s, "direct-udp6", &b, sizeof b, 0);
  close(s);
}

/* sendmmsg: the first message to loopback, the second to far. */
static void mmsg(void) {
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  char b0[128], b1[128];
  int n0 = payload(b0, sizeof b0, "sendmmsg-first"), n1 = payload(b1, sizeof b1, "sendmmsg-second");
  struct sockaddr_in lo = sin4("127.0.0.1", FAR_PORT), far = sin4(FAR4, FAR_PORT);
  struct iovec v0 = {b0, n0}, v1 = {b1, n1};
  struct mmsghdr m[2] = {
      {.msg_hdr = {.msg_name = &lo, .msg_namelen = sizeof lo, .msg_iov = &v0, .msg_iovlen = 1}},
      {.msg_hdr = {.msg_name = &far, .msg_namelen = sizeof far, .msg_iov = &v1, .msg_iovlen = 1}},
  };
  long rc = sendmmsg(s, m, 2, 0);
  out("%s sendmmsg-second rc=%ld", rc == 2 ? "sent" : "blocked", rc);
  close(s);
}

/* Multicast and broadcast leave by an interface, whatever "loopback" means. */
static void cast(void) {
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a = sin4("224.0.0.251", FAR_PORT);
  send_marked(s, "multicast-udp4", &a, sizeof a, 0);
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_BROADCAST, &one, sizeof one);
  a = sin4("255.255.255.255", FAR_PORT);
  send_marked(s, "broadcast-udp4", &a, sizeof a, 0);
  a = sin4("10.88.0.255", FAR_PORT);
  send_marked(s, "subnet-broadcast-udp4", &a, sizeof a, 0);
  close(s);
  s = socket(AF_INET6, SOCK_DGRAM, 0);
  const char *scoped[][2] = {{"multicast-udp6-scoped", "ff02::1"},
                             {"loopback6-scope-id", "::1"},
                             {"link-local-far", "fe80::88:ff:fe00:2"}};
  for (size_t i = 0; i < sizeof scoped / sizeof scoped[0]; i++) {
    struct sockaddr_in6 b = sin6(scoped[i][1], FAR_PORT);
    b.sin6_scope_id = ifindex;
    send_marked(s, scoped[i][0], &b, sizeof b, 0);
  }
  close(s);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  ifindex = if_nametoindex(NEAR_DEV);
  out("info ifindex %d", ifindex);
  direct();
  mmsg();
  cast();
  to_lo(UDP4, "so-bindtodevice", SOL_SOCKET, SO_BINDTODEVICE, NEAR_DEV, sizeof NEAR_DEV);
  to_lo(UDP4, "so-bindtoifindex", SOL_SOCKET, SO_BINDTOIFINDEX, &ifindex, sizeof ifindex);
  int be = htonl(ifindex);
  to_lo(UDP4, "ip-unicast-if", IPPROTO_IP, IP_UNICAST_IF, &be, sizeof be);
  to_lo(UDP6, "ipv6-unicast-if", IPPROTO_IPV6, IPV6_UNICAST_IF, &be, sizeof be);
  to_lo(UDP6, "ipv6-bindtodevice", SOL_SOCKET, SO_BINDTODEVICE, NEAR_DEV, sizeof NEAR_DEV);
  to_lo(TCP4, "tcp-bindtodevice", SOL_SOCKET, SO_BINDTODEVICE, NEAR_DEV, sizeof NEAR_DEV);
  srh();
  lsrr();
  pktinfo();
  struct sockaddr_in6 nh = sin6(FAR6, 0);
  to_lo(UDP6, "ipv6-nexthop-sockopt", IPPROTO_IPV6, IPV6_NEXTHOP, &nh, sizeof nh);
  int mark = MARK_ROUTED;
  to_lo(UDP4, "so-mark-udp4", SOL_SOCKET, SO_MARK, &mark, sizeof mark);
  to_lo(UDP6, "so-mark-udp6", SOL_SOCKET, SO_MARK, &mark, sizeof mark);
  to_lo(TCP4, "so-mark-tcp4", SOL_SOCKET, SO_MARK, &mark, sizeof mark);
  out("done");
  return 0;
}
