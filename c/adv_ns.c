/* Leaving the namespace or changing it: setns into far's (or the host's)
 * network namespace, a tun device, rtnetlink changes to addresses and
 * routes, a new user+network namespace and back. Most need root.
 * Usage: adv_ns <token> <far netns path> */
#include "adv_netlink.h"
#include <linux/if_tun.h>
#include <sched.h>
#include <sys/ioctl.h>

static void in_child(void (*fn)(const char *), const char *arg) {
  pid_t c = fork();
  if (c == 0) {
    fn(arg);
    _exit(0);
  }
  waitpid(c, NULL, 0);
}

static void setns_far(const char *path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    blocked_at("setns-far", "open");
    return;
  }
  if (setns(fd, CLONE_NEWNET) < 0) {
    blocked("setns-far");
    return;
  }
  out("escaped setns-far joined far's network namespace");
  /* Prove it: far's own address is local now. */
  char buf[128];
  int n = payload(buf, sizeof buf, "setns-far");
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = sin4(FAR4, FAR_PORT);
  if (connect(s, (struct sockaddr *)&a, sizeof a) == 0) (void)!write(s, buf, n);
  close(s);
}

static void setns_host(const char *unused) {
  (void)unused;
  int fd = open("/proc/1/ns/net", O_RDONLY);
  if (fd < 0) {
    blocked_at("setns-host", "open");
    return;
  }
  /* Nothing is sent from there: that namespace reaches real networks. */
  verdict("setns-host", setns(fd, CLONE_NEWNET));
}

static void tun(const char *unused) {
  (void)unused;
  int fd = open("/dev/net/tun", O_RDWR);
  if (fd < 0) {
    blocked("tun-open");
    return;
  }
  struct ifreq ifr = {0};
  strcpy(ifr.ifr_name, "advtun0");
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  verdict("tun-create", ioctl(fd, TUNSETIFF, &ifr));
}

static int nl_fd = -1;

/* Sends one request with NLM_F_ACK; returns 0 or -1 with errno from the ack. */
static long nl_request(struct nlmsghdr *h) {
  struct sockaddr_nl k = {.nl_family = AF_NETLINK};
  if (sendto(nl_fd, h, h->nlmsg_len, 0, (struct sockaddr *)&k, sizeof k) < 0) return -1;
  char buf[4096];
  int n = recv(nl_fd, buf, sizeof buf, 0);
  if (n < 0) return -1;
  struct nlmsghdr *r = (void *)buf;
  if (r->nlmsg_type == NLMSG_ERROR) {
    int err = ((struct nlmsgerr *)NLMSG_DATA(r))->error;
    if (err) {
      errno = -err;
      return -1;
    }
  }
  return 0;
}

#define HIJACK_TABLE 77
#define HIJACK_PREF 50
#define FR_ACT_TO_TBL 1

/* Adds or deletes a policy rule "[to dst/32] lookup table" at priority pref. */
static long rule_msg(int type, int table, unsigned int pref, const struct in_addr *dst) {
  struct {
    struct nlmsghdr h;
    struct {
      unsigned char family, dst_len, src_len, tos, table, res1, res2, action;
      unsigned int flags;
    } r;
    char attrs[128];
  } rule = {0};
  rule.h.nlmsg_len = NLMSG_LENGTH(sizeof rule.r);
  rule.h.nlmsg_type = type;
  rule.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (type == RTM_NEWRULE ? NLM_F_CREATE | NLM_F_EXCL : 0);
  rule.r.family = AF_INET;
  rule.r.table = table;
  rule.r.action = FR_ACT_TO_TBL;
  if (dst) {
    rule.r.dst_len = 32;
    rta(&rule.h, 1 /* FRA_DST */, dst, 4);
  }
  rta(&rule.h, 6 /* FRA_PRIORITY */, &pref, 4);
  return nl_request(&rule.h);
}

/* Adds a route dst/dst_len via gw to table (flags: NLM_F_EXCL or NLM_F_REPLACE);
 * returns 0 or -1 with errno. */
static long new_route(int table, int flags, const struct in_addr *dst, int dst_len,
                      const struct in_addr *gw) {
  struct {
    struct nlmsghdr h;
    struct rtmsg r;
    char attrs[256];
  } route = {0};
  route.h.nlmsg_len = NLMSG_LENGTH(sizeof route.r);
  route.h.nlmsg_type = RTM_NEWROUTE;
  route.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | flags;
  route.r.rtm_family = AF_INET;
  route.r.rtm_dst_len = dst_len;
  route.r.rtm_table = table;
  route.r.rtm_protocol = RTPROT_STATIC;
  route.r.rtm_scope = RT_SCOPE_UNIVERSE;
  route.r.rtm_type = RTN_UNICAST;
  rta(&route.h, RTA_DST, dst, 4);
  rta(&route.h, RTA_GATEWAY, gw, 4);
  return nl_request(&route.h);
}

/* With CAP_NET_ADMIN: route one loopback address (127.0.0.9) to far by a
 * rule ahead of the local table, then send to it: "loopback" leaves. */
static void hijack_loopback(void) {
  struct in_addr lo9, gw;
  inet_pton(AF_INET, "127.0.0.9", &lo9);
  inet_pton(AF_INET, FAR4, &gw);
  if (new_route(HIJACK_TABLE, NLM_F_REPLACE, &lo9, 32, &gw) < 0) {
    blocked_at("rtnetlink-loopback-hijack", "route");
    return;
  }
  /* On a stock host the local table's rule sits at priority 0, ahead of
   * anything: move it behind ours first (add it at 100, drop the one at 0). */
  if (rule_msg(RTM_NEWRULE, RT_TABLE_LOCAL, 100, NULL) < 0 && errno != EEXIST) {
    blocked_at("rtnetlink-loopback-hijack", "local-rule");
    return;
  }
  rule_msg(RTM_DELRULE, RT_TABLE_LOCAL, 0, NULL);
  if (rule_msg(RTM_NEWRULE, HIJACK_TABLE, HIJACK_PREF, &lo9) < 0 && errno != EEXIST) {
    blocked_at("rtnetlink-loopback-hijack", "rule");
    return;
  }
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a = sin4("127.0.0.9", FAR_PORT);
  send_marked(s, "rtnetlink-loopback-hijack", &a, sizeof a, 0);
  close(s);
}

static void rtnetlink(void) {
  nl_fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
  if (nl_fd < 0) {
    blocked("rtnetlink-socket");
    return;
  }
  struct nl_addr addr;
  /* Addresses unique to this run, so EEXIST can only mean "allowed". */
  struct in_addr ip = {htonl(0x0a4d0000 | (getpid() & 0xffff))}; /* 10.77.x.y */
  newaddr_lo(&addr, &ip);
  rta(&addr.h, IFA_ADDRESS, &ip, 4);
  long rc = nl_request(&addr.h);
  verdict("rtnetlink-newaddr", rc < 0 && errno == EEXIST ? 0 : rc);

  struct in_addr dst = {htonl(0x0a420000 | (getpid() & 0xff) << 8)}, gw; /* 10.66.x.0 */
  inet_pton(AF_INET, FAR4, &gw);
  rc = new_route(RT_TABLE_MAIN, NLM_F_EXCL, &dst, 24, &gw);
  verdict("rtnetlink-newroute", rc < 0 && errno == EEXIST ? 0 : rc);
  hijack_loopback();
  close(nl_fd);
}

static void userns(const char *unused) {
  (void)unused;
  int self = open("/proc/self/ns/net", O_RDONLY);
  if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0) {
    blocked("unshare-user-net");
    return;
  }
  out("info unshare-user-net a new user+network namespace (capabilities inside it)");
  if (setns(self, CLONE_NEWNET) == 0) out("info setns-back returned to near's namespace");
  else blocked("setns-back");
}

int main(int argc, char **argv) {
  in_child(setns_far, argc > 2 ? argv[2] : "/nonexistent");
  in_child(setns_host, NULL);
  in_child(tun, NULL);
  rtnetlink();
  in_child(userns, NULL);
  out("done");
  return 0;
}
