/* rtnetlink requests built by hand, for the attackers that change the
 * network namespace's addresses and routes (adv_ns.c, adv_launder.c). */
#ifndef ADV_NETLINK_H
#define ADV_NETLINK_H
#include "adv_common.h"
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

/* An address request: the header, the ifaddrmsg, room for attributes. */
struct nl_addr {
  struct nlmsghdr h;
  struct ifaddrmsg a;
  char attrs[256];
};

/* Appends attribute `type` (len bytes of data) to the message h. */
__attribute__((unused)) static void rta(struct nlmsghdr *h, int type, const void *data, int len) {
  struct rtattr *r = (void *)((char *)h + NLMSG_ALIGN(h->nlmsg_len));
  r->rta_type = type;
  r->rta_len = RTA_LENGTH(len);
  memcpy(RTA_DATA(r), data, len);
  h->nlmsg_len = NLMSG_ALIGN(h->nlmsg_len) + RTA_ALIGN(r->rta_len);
}

/* RTM_NEWADDR of ip/32 on lo (IFA_LOCAL), acked, failing when it exists. */
__attribute__((unused)) static void newaddr_lo(struct nl_addr *m, const struct in_addr *ip) {
  memset(m, 0, sizeof *m);
  m->h.nlmsg_len = NLMSG_LENGTH(sizeof m->a);
  m->h.nlmsg_type = RTM_NEWADDR;
  m->h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
  m->a.ifa_family = AF_INET;
  m->a.ifa_prefixlen = 32;
  m->a.ifa_index = if_nametoindex("lo");
  rta(&m->h, IFA_LOCAL, ip, 4);
}

#endif
