/* Shared helpers of the adversarial attackers (c/adv_*.c).
 * Every attacker prints one line per attempt:
 *   escaped <route> <detail>   the kernel let it through (a jail failure)
 *   blocked <route> <errno>    refused
 *   sent <route>               bytes handed to the kernel; far's sniffer decides
 *   info <route> <detail>      not an escape by itself, worth knowing
 * Bytes meant for the far side carry MARKER ":" <route> ";". */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

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

/* Reports a syscall result: escaped when ok, blocked with errno otherwise. */
__attribute__((unused)) static void verdict(const char *route, long rc) {
  if (rc >= 0) out("escaped %s rc=%ld", route, rc);
  else out("blocked %s %s", route, strerrorname_np(errno) ? strerrorname_np(errno) : "?");
}

__attribute__((unused)) static void sent(const char *route, long rc) {
  if (rc >= 0) out("sent %s", route);
  else out("blocked %s %s", route, strerrorname_np(errno) ? strerrorname_np(errno) : "?");
}

__attribute__((unused)) static int payload(char *buf, size_t n, const char *route) {
  return snprintf(buf, n, MARKER ":%s;", route);
}

__attribute__((unused)) static struct sockaddr_in sin4(const char *ip, int port) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  inet_pton(AF_INET, ip, &a.sin_addr);
  return a;
}

__attribute__((unused)) static struct sockaddr_in6 sin6(const char *ip, int port) {
  struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
  inet_pton(AF_INET6, ip, &a.sin6_addr);
  return a;
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
    out("blocked list-threads %s", strerrorname_np(errno));
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
