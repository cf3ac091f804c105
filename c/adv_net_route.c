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

static void udp4_to_lo(const char *route, int level, int opt, const void *val, socklen_t len) {
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  if (level >= 0 && setsockopt(s, level, opt, val, len) < 0) {
    out("blocked %s setsockopt:%s", route, strerrorname_np(errno));
    close(s);
    return;
  }
  char buf[128];
  int n = payload(buf, sizeof buf, route);
  struct sockaddr_in a = sin4("127.0.0.1", FAR_PORT);
  sent(route, sendto(s, buf, n, 0, (struct sockaddr *)&a, sizeof a));
  close(s);
}

static void udp6_to_lo(const char *route, int level, int opt, const void *val, socklen_t len) {
  int s = socket(AF_INET6, SOCK_DGRAM, 0);
  if (level >= 0 && setsockopt(s, level, opt, val, len) < 0) {
    out("blocked %s setsockopt:%s", route, strerrorname_np(errno));
    close(s);
    return;
  }
  char buf[128];
  int n = payload(buf, sizeof buf, route);
  struct sockaddr_in6 a = sin6("::1", FAR_PORT);
  sent(route, sendto(s, buf, n, 0, (struct sockaddr *)&a, sizeof a));
  close(s);
}

static void tcp4_to_lo(const char *route, int level, int opt, const void *val, socklen_t len) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  if (setsockopt(s, level, opt, val, len) < 0) {
    out("blocked %s setsockopt:%s", route, strerrorname_np(errno));
    close(s);
    return;
  }
  char buf[128];
  int n = payload(buf, sizeof buf, route);
  struct sockaddr_in a = sin4("127.0.0.1", FAR_PORT);
  struct timeval tv = {.tv_sec = 1};
  setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sent(route, sendto(s, buf, n, MSG_FASTOPEN, (struct sockaddr *)&a, sizeof a));
  close(s);
}

static void pktinfo4(void) {
  const char *route = "ip-pktinfo";
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  char buf[128], cbuf[CMSG_SPACE(sizeof(struct in_pktinfo))] = {0};
  int n = payload(buf, sizeof buf, route);
  struct sockaddr_in a = sin4("127.0.0.1", FAR_PORT);
  struct iovec iov = {buf, n};
  struct msghdr m = {.msg_name = &a, .msg_namelen = sizeof a, .msg_iov = &iov, .msg_iovlen = 1,
                     .msg_control = cbuf, .msg_controllen = sizeof cbuf};
  struct cmsghdr *c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = IPPROTO_IP;
  c->cmsg_type = IP_PKTINFO;
  c->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
  struct in_pktinfo *pi = (void *)CMSG_DATA(c);
  pi->ipi_ifindex = ifindex;
  inet_pton(AF_INET, "10.88.0.1", &pi->ipi_spec_dst);
  sent(route, sendmsg(s, &m, 0));
  close(s);
}

static void pktinfo6(const char *route, int type) {
  int s = socket(AF_INET6, SOCK_DGRAM, 0);
  char buf[128], cbuf[CMSG_SPACE(sizeof(struct sockaddr_in6))] = {0};
  int n = payload(buf, sizeof buf, route);
  struct sockaddr_in6 a = sin6("::1", FAR_PORT);
  struct iovec iov = {buf, n};
  struct msghdr m = {.msg_name = &a, .msg_namelen = sizeof a, .msg_iov = &iov, .msg_iovlen = 1,
                     .msg_control = cbuf, .msg_controllen = sizeof cbuf};
  struct cmsghdr *c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = IPPROTO_IPV6;
  c->cmsg_type = type;
  if (type == IPV6_PKTINFO) {
    c->cmsg_len = CMSG_LEN(sizeof(struct in6_pktinfo));
    struct in6_pktinfo *pi = (void *)CMSG_DATA(c);
    pi->ipi6_ifindex = ifindex;
  } else { /* IPV6_NEXTHOP: a sockaddr_in6 naming the gateway */
    c->cmsg_len = CMSG_LEN(sizeof(struct sockaddr_in6));
    struct sockaddr_in6 nh = sin6(FAR6, 0);
    memcpy(CMSG_DATA(c), &nh, sizeof nh);
  }
  m.msg_controllen = CMSG_SPACE(c->cmsg_len - CMSG_LEN(0));
  sent(route, sendmsg(s, &m, 0));
  close(s);
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
  udp6_to_lo("ipv6-rthdr-srh", IPPROTO_IPV6, IPV6_RTHDR, h, sizeof h);
  /* A type 0 header, in case the kernel still takes it. */
  unsigned char h0[8 + 16] = {0};
  h0[1] = 2;
  h0[2] = 0;
  h0[3] = 1;
  inet_pton(AF_INET6, FAR6, h0 + 8);
  udp6_to_lo("ipv6-rthdr-type0", IPPROTO_IPV6, IPV6_RTHDR, h0, sizeof h0);
}

static void lsrr(void) {
  unsigned char o[8] = {1 /* NOP, for alignment */, IPOPT_LSRR_TYPE, 7, 4};
  inet_pton(AF_INET, FAR4, o + 4);
  udp4_to_lo("ip-options-lsrr", IPPROTO_IP, IP_OPTIONS, o, sizeof o);
}

static void direct(void) {
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  char buf[128];
  int n = payload(buf, sizeof buf, "direct-udp4");
  struct sockaddr_in a = sin4(FAR4, FAR_PORT);
  sent("direct-udp4", sendto(s, buf, n, 0, (struct sockaddr *)&a, sizeof a));
  close(s);
  s = socket(AF_INET6, SOCK_DGRAM, 0);
  n = payload(buf, sizeof buf, "mapped-udp6");
  struct sockaddr_in6 b = sin6("::ffff:" FAR4, FAR_PORT);
  sent("mapped-udp6", sendto(s, buf, n, 0, (struct sockaddr *)&b, sizeof b));
  close(s);
  s = socket(AF_INET6, SOCK_STREAM, 0);
  n = payload(buf, sizeof buf, "mapped-tcp6");
  int rc = connect(s, (struct sockaddr *)&b, sizeof b);
  if (rc == 0) rc = send(s, buf, n, 0);
  sent("mapped-tcp6", rc);
  close(s);
  s = socket(AF_INET6, SOCK_DGRAM, 0);
  n = payload(buf, sizeof buf, "direct-udp6");
  b = sin6(FAR6, FAR_PORT);
  sent("direct-udp6", sendto(s, buf, n, 0, (struct sockaddr *)&b, sizeof b));
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
  char buf[128];
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  int n = payload(buf, sizeof buf, "multicast-udp4");
  struct sockaddr_in a = sin4("224.0.0.251", FAR_PORT);
  sent("multicast-udp4", sendto(s, buf, n, 0, (struct sockaddr *)&a, sizeof a));
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_BROADCAST, &one, sizeof one);
  n = payload(buf, sizeof buf, "broadcast-udp4");
  a = sin4("255.255.255.255", FAR_PORT);
  sent("broadcast-udp4", sendto(s, buf, n, 0, (struct sockaddr *)&a, sizeof a));
  n = payload(buf, sizeof buf, "subnet-broadcast-udp4");
  a = sin4("10.88.0.255", FAR_PORT);
  sent("subnet-broadcast-udp4", sendto(s, buf, n, 0, (struct sockaddr *)&a, sizeof a));
  close(s);
  s = socket(AF_INET6, SOCK_DGRAM, 0);
  n = payload(buf, sizeof buf, "multicast-udp6-scoped");
  struct sockaddr_in6 b = sin6("ff02::1", FAR_PORT);
  b.sin6_scope_id = ifindex;
  sent("multicast-udp6-scoped", sendto(s, buf, n, 0, (struct sockaddr *)&b, sizeof b));
  n = payload(buf, sizeof buf, "loopback6-scope-id");
  b = sin6("::1", FAR_PORT);
  b.sin6_scope_id = ifindex;
  sent("loopback6-scope-id", sendto(s, buf, n, 0, (struct sockaddr *)&b, sizeof b));
  n = payload(buf, sizeof buf, "link-local-far");
  b = sin6("fe80::88:ff:fe00:2", FAR_PORT);
  b.sin6_scope_id = ifindex;
  sent("link-local-far", sendto(s, buf, n, 0, (struct sockaddr *)&b, sizeof b));
  close(s);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  ifindex = if_nametoindex(NEAR_DEV);
  out("info ifindex %d", ifindex);
  direct();
  mmsg();
  cast();
  udp4_to_lo("so-bindtodevice", SOL_SOCKET, SO_BINDTODEVICE, NEAR_DEV, sizeof NEAR_DEV);
  udp4_to_lo("so-bindtoifindex", SOL_SOCKET, SO_BINDTOIFINDEX, &ifindex, sizeof ifindex);
  int be = htonl(ifindex);
  udp4_to_lo("ip-unicast-if", IPPROTO_IP, IP_UNICAST_IF, &be, sizeof be);
  udp6_to_lo("ipv6-unicast-if", IPPROTO_IPV6, IPV6_UNICAST_IF, &be, sizeof be);
  udp6_to_lo("ipv6-bindtodevice", SOL_SOCKET, SO_BINDTODEVICE, NEAR_DEV, sizeof NEAR_DEV);
  tcp4_to_lo("tcp-bindtodevice", SOL_SOCKET, SO_BINDTODEVICE, NEAR_DEV, sizeof NEAR_DEV);
  srh();
  lsrr();
  pktinfo4();
  pktinfo6("ipv6-pktinfo", IPV6_PKTINFO);
  pktinfo6("ipv6-nexthop-cmsg", IPV6_NEXTHOP);
  struct sockaddr_in6 nh = sin6(FAR6, 0);
  udp6_to_lo("ipv6-nexthop-sockopt", IPPROTO_IPV6, IPV6_NEXTHOP, &nh, sizeof nh);
  int mark = MARK_ROUTED;
  udp4_to_lo("so-mark-udp4", SOL_SOCKET, SO_MARK, &mark, sizeof mark);
  udp6_to_lo("so-mark-udp6", SOL_SOCKET, SO_MARK, &mark, sizeof mark);
  tcp4_to_lo("so-mark-tcp4", SOL_SOCKET, SO_MARK, &mark, sizeof mark);
  out("done");
  return 0;
}
