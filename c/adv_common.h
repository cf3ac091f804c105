/* Shared helpers of the adversarial attackers (c/adv_*.c).
 * Every attacker prints one line per attempt:
 *   escaped <route> <detail>   the kernel let it through (a jail failure)
 *   blocked <route> <errno>    refused
 *   sent <route>               bytes handed to the kernel; far's sniffer decides
 *   info <route> <detail>      not an escape by itself, worth knowing
 * Bytes meant for the far side carry MARKER ":" <route> ";". */
#ifndef ADV_COMMON_H
#define ADV_COMMON_H
#define _GNU_SOURCE
#include "tracee_common.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#define MARKER "JAILESCAPEMARKER"
#define NEAR_DEV "vnear"
#define FAR4 "10.88.0.2"
#define FAR6 "fd88::2"
#define FAR_PORT 7777

static void out(const char *fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
  va_end(ap);
  if (n > (int)sizeof buf - 2) n = sizeof buf - 2;
  buf[n++] = '\n';
  (void)!write(1, buf, n);
}

/* errno's name (EPERM), "?" for a value without one. */
__attribute__((unused)) static const char *errname(void) {
  const char *name = strerrorname_np(errno);
  return name ? name : "?";
}

/* "blocked <route> <errno>": the call that route needs was refused. */
__attribute__((unused)) static void blocked(const char *route) {
  out("blocked %s %s", route, errname());
}

/* "blocked <route> <step>:<errno>": a step on the way was refused (the socket, an option). */
__attribute__((unused)) static void blocked_at(const char *route, const char *step) {
  out("blocked %s %s:%s", route, step, errname());
}

/* Reports a syscall result: escaped when ok, blocked with errno otherwise. */
__attribute__((unused)) static void verdict(const char *route, long rc) {
  if (rc >= 0) out("escaped %s rc=%ld", route, rc);
  else blocked(route);
}

/* Reports a send: sent when the kernel took the bytes, blocked with errno otherwise. */
__attribute__((unused)) static void sent(const char *route, long rc) {
  if (rc >= 0) out("sent %s", route);
  else blocked(route);
}

__attribute__((unused)) static int payload(char *buf, size_t n, const char *route) {
  return snprintf(buf, n, MARKER ":%s;", route);
}

/* Sends MARKER:<route>; on s to the address a (len bytes) and reports it: sent or blocked. */
__attribute__((unused)) static void send_marked(int s, const char *route, const void *a,
                                                socklen_t len, int flags) {
  char buf[128];
  int n = payload(buf, sizeof buf, route);
  sent(route, sendto(s, buf, n, flags, (const struct sockaddr *)a, len));
}

/* ip:port of family fam (AF_INET or AF_INET6) in *a; returns the address's length. */
__attribute__((unused)) static socklen_t sin_any(int fam, const char *ip, int port,
                                                 struct sockaddr_storage *a) {
  if (fam == AF_INET) {
    struct sockaddr_in a4 = sin4(ip, port);
    memcpy(a, &a4, sizeof a4);
    return sizeof a4;
  }
  struct sockaddr_in6 a6 = sin6(ip, port);
  memcpy(a, &a6, sizeof a6);
  return sizeof a6;
}

/*
 * Fills the first control message of m (whose msg_control is set) with level
 * and type and room for len bytes; returns where those bytes go.
 */
__attribute__((unused)) static void *put_cmsg(struct msghdr *m, int level, int type, size_t len) {
  struct cmsghdr *c = CMSG_FIRSTHDR(m);
  c->cmsg_level = level;
  c->cmsg_type = type;
  c->cmsg_len = CMSG_LEN(len);
  return CMSG_DATA(c);
}

/* The supervisor: the command's parent is jail itself. */
__attribute__((unused)) static pid_t jail_pid(void) { return getppid(); }

/*
 * The thread ids of process `pid`, from /proc/<pid>/task (max at most), or -1
 * when the list cannot be read (printed as "blocked list-threads").
 */
__attribute__((unused)) static int thread_ids(pid_t pid, int *tids, int max) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/task", pid);
  DIR *d = opendir(path);
  if (!d) {
    blocked("list-threads");
    return -1;
  }
  struct dirent *e;
  int n = 0;
  while ((e = readdir(d)) && n < max) {
    if (e->d_name[0] != '.') tids[n++] = atoi(e->d_name);
  }
  closedir(d);
  return n;
}

#endif
