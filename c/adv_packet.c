/* Packet and raw sockets: frames built by hand skip every address check.
 * Usage: adv_packet <token> */
#include "adv_common.h"
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <netinet/ip.h>
#include <netinet/udp.h>

static const unsigned char FAR_MAC[6] = {0x02, 0x88, 0, 0, 0, 2};
static const unsigned char NEAR_MAC[6] = {0x02, 0x88, 0, 0, 0, 1};

static unsigned short csum(const void *p, int n) {
  const unsigned short *w = p;
  unsigned long s = 0;
  for (; n > 1; n -= 2) s += *w++;
  if (n) s += *(const unsigned char *)w;
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return ~s;
}

/* An IPv4/UDP packet from near to far carrying the marker; returns its length. */
static int ip_packet(unsigned char *b, const char *route) {
  char pl[96];
  int n = payload(pl, sizeof pl, route);
  struct iphdr *ip = (void *)b;
  struct udphdr *u = (void *)(b + sizeof *ip);
  memset(b, 0, sizeof *ip + sizeof *u);
  ip->version = 4;
  ip->ihl = 5;
  ip->ttl = 64;
  ip->protocol = IPPROTO_UDP;
  ip->tot_len = htons(sizeof *ip + sizeof *u + n);
  inet_pton(AF_INET, "10.88.0.1", &ip->saddr);
  inet_pton(AF_INET, FAR4, &ip->daddr);
  ip->check = csum(ip, sizeof *ip);
  u->source = htons(40000);
  u->dest = htons(FAR_PORT);
  u->len = htons(sizeof *u + n);
  memcpy(b + sizeof *ip + sizeof *u, pl, n);
  return sizeof *ip + sizeof *u + n;
}

static int frame(unsigned char *b, const char *route) {
  memcpy(b, FAR_MAC, 6);
  memcpy(b + 6, NEAR_MAC, 6);
  b[12] = 0x08;
  b[13] = 0x00;
  return 14 + ip_packet(b + 14, route);
}

/* socket(fam, type, proto), or -1 after "blocked <route> socket:<errno>". */
static int open_or_blocked(const char *route, int fam, int type, int proto) {
  int s = socket(fam, type, proto);
  if (s < 0) blocked_at(route, "socket");
  return s;
}

/* On a new socket(fam, type, proto), sends the n bytes at b to a (l bytes) and reports it. */
static void send_on(const char *route, int fam, int type, int proto, const void *b, int n,
                    const void *a, socklen_t l) {
  int s = open_or_blocked(route, fam, type, proto);
  if (s < 0) return;
  sent(route, sendto(s, b, n, 0, (const struct sockaddr *)a, l));
  close(s);
}

int main(void) {
  unsigned char b[256];
  int ifindex = if_nametoindex(NEAR_DEV);
  int n;

  /* The old SOCK_PACKET interface: AF_INET family, device by name. */
  struct sockaddr sp = {.sa_family = AF_INET};
  strncpy(sp.sa_data, NEAR_DEV, sizeof sp.sa_data);
  n = frame(b, "sock-packet");
  send_on("sock-packet", AF_INET, SOCK_PACKET, htons(ETH_P_ALL), b, n, &sp, sizeof sp);

  struct sockaddr_ll ll = {.sll_family = AF_PACKET, .sll_ifindex = ifindex, .sll_halen = 6};
  memcpy(ll.sll_addr, FAR_MAC, 6);
  n = frame(b, "af-packet-raw");
  send_on("af-packet-raw", AF_PACKET, SOCK_RAW, htons(ETH_P_ALL), b, n, &ll, sizeof ll);
  ll.sll_protocol = htons(ETH_P_IP);
  n = ip_packet(b, "af-packet-dgram");
  send_on("af-packet-dgram", AF_PACKET, SOCK_DGRAM, htons(ETH_P_IP), b, n, &ll, sizeof ll);

  /* Raw IP with our own header: the route follows the sockaddr (loopback), the
   * header names far; add SO_BINDTODEVICE so the route leaves by the veth. */
  int s = open_or_blocked("raw-hdrincl", AF_INET, SOCK_RAW, IPPROTO_RAW);
  if (s >= 0) {
    setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, NEAR_DEV, sizeof NEAR_DEV);
    n = ip_packet(b, "raw-hdrincl-lo");
    struct sockaddr_in a = sin4("127.0.0.1", 0);
    sent("raw-hdrincl-lo", sendto(s, b, n, 0, (struct sockaddr *)&a, sizeof a));
    n = ip_packet(b, "raw-hdrincl-far");
    a = sin4(FAR4, 0);
    sent("raw-hdrincl-far", sendto(s, b, n, 0, (struct sockaddr *)&a, sizeof a));
    close(s);
  }

  struct sockaddr_in far = sin4(FAR4, 0);
  char pl[96];
  unsigned char u[8 + 96] = {0};
  n = payload(pl, sizeof pl, "raw-udp");
  u[1] = 1;
  u[3] = FAR_PORT & 0xff;
  u[2] = FAR_PORT >> 8;
  u[5] = 8 + n;
  memcpy(u + 8, pl, n);
  send_on("raw-udp", AF_INET, SOCK_RAW, IPPROTO_UDP, u, 8 + n, &far, sizeof far);

  /* ICMP "ping" sockets need no privilege where ping_group_range allows it. */
  unsigned char e[8 + 96] = {8};
  n = payload(pl, sizeof pl, "icmp-dgram");
  memcpy(e + 8, pl, n);
  send_on("icmp-dgram", AF_INET, SOCK_DGRAM, IPPROTO_ICMP, e, 8 + n, &far, sizeof far);
  out("done");
  return 0;
}
