/**
 * The socket ABI: address families, socket types, option levels and names,
 * message flags, control-message types, and the sizes of the structures
 * jail reads from tracees (linux/socket.h, asm-generic/socket.h, linux/in.h,
 * linux/in6.h, bits/socket.h). x86_64 and aarch64 agree on all of them.
 *
 * @module
 */

/** Address families by number (linux/socket.h). */
export const AF = {
  UNSPEC: 0,
  UNIX: 1,
  INET: 2,
  INET6: 10,
  NETLINK: 16,
  PACKET: 17,
  ALG: 38,
  VSOCK: 40,
} as const;

/** socket(2) types and type flags (linux/net.h, asm-generic/fcntl.h). */
export const SOCK = {
  /** SOCK_STREAM. */
  STREAM: 1,
  /** SOCK_DGRAM. */
  DGRAM: 2,
  /** SOCK_RAW. */
  RAW: 3,
  /** SOCK_RDM. */
  RDM: 4,
  /** SOCK_SEQPACKET. */
  SEQPACKET: 5,
  /** SOCK_DCCP. */
  DCCP: 6,
  /** SOCK_PACKET: the obsolete packet socket type. */
  PACKET: 10,
  /** The bits of the type proper; the rest are SOCK_NONBLOCK and SOCK_CLOEXEC. */
  TYPE_MASK: 0xf,
  /** SOCK_NONBLOCK (O_NONBLOCK). */
  NONBLOCK: 0o4000,
  /** SOCK_CLOEXEC (O_CLOEXEC). */
  CLOEXEC: 0o2000000,
} as const;

/** Protocol numbers (linux/in.h). */
export const IPPROTO = {
  /** IPPROTO_IP. */
  IP: 0,
  /** IPPROTO_ICMP. */
  ICMP: 1,
  /** IPPROTO_TCP. */
  TCP: 6,
  /** IPPROTO_UDP. */
  UDP: 17,
  /** IPPROTO_IPV6. */
  IPV6: 41,
  /** IPPROTO_ICMPV6. */
  ICMPV6: 58,
  /** IPPROTO_SCTP. */
  SCTP: 132,
  /** IPPROTO_UDPLITE. */
  UDPLITE: 136,
  /** IPPROTO_RAW. */
  RAW: 255,
  /** IPPROTO_MPTCP. */
  MPTCP: 262,
} as const;

/** Socket option levels (asm-generic/socket.h SOL_SOCKET; the others are IPPROTO_*). */
export const SOL = {
  SOCKET: 1,
  IP: IPPROTO.IP,
  IPV6: IPPROTO.IPV6,
  UDP: IPPROTO.UDP,
  TCP: IPPROTO.TCP,
  RAW: IPPROTO.RAW,
} as const;

/** SOL_SOCKET option names (asm-generic/socket.h). */
export const SO = {
  /** SO_REUSEADDR. */
  REUSEADDR: 2,
  /** SO_TYPE. */
  TYPE: 3,
  /** SO_ERROR. */
  ERROR: 4,
  /** SO_BROADCAST. */
  BROADCAST: 6,
  /** SO_SNDBUF. */
  SNDBUF: 7,
  /** SO_RCVBUF. */
  RCVBUF: 8,
  /** SO_KEEPALIVE. */
  KEEPALIVE: 9,
  /** SO_LINGER. */
  LINGER: 13,
  /** SO_REUSEPORT. */
  REUSEPORT: 15,
  /** SO_RCVTIMEO (SO_RCVTIMEO_OLD on 64-bit). */
  RCVTIMEO: 20,
  /** SO_SNDTIMEO (SO_SNDTIMEO_OLD on 64-bit). */
  SNDTIMEO: 21,
  /** SO_BINDTODEVICE. */
  BINDTODEVICE: 25,
  /** SO_ATTACH_FILTER. */
  ATTACH_FILTER: 26,
  /** SO_GET_FILTER: same number as SO_ATTACH_FILTER, read with getsockopt. */
  GET_FILTER: 26,
  /** SO_DETACH_FILTER. */
  DETACH_FILTER: 27,
  /** SO_MARK. */
  MARK: 36,
  /** SO_TIMESTAMPING_OLD. */
  TIMESTAMPING_OLD: 37,
  /** SO_PROTOCOL. */
  PROTOCOL: 38,
  /** SO_DOMAIN. */
  DOMAIN: 39,
  /** SO_LOCK_FILTER. */
  LOCK_FILTER: 44,
  /** SO_TIMESTAMPING_NEW. */
  TIMESTAMPING_NEW: 65,
} as const;

/** IPPROTO_IP option names (linux/in.h). */
export const IP = {
  /** IP_TOS. */
  TOS: 1,
  /** IP_TTL. */
  TTL: 2,
  /** IP_PKTINFO. */
  PKTINFO: 8,
} as const;

/** IPPROTO_IPV6 option names (linux/in6.h). */
export const IPV6 = {
  /** IPV6_V6ONLY. */
  V6ONLY: 26,
  /** IPV6_PKTINFO. */
  PKTINFO: 50,
  /** IPV6_HOPLIMIT. */
  HOPLIMIT: 52,
  /** IPV6_DONTFRAG. */
  DONTFRAG: 62,
  /** IPV6_TCLASS. */
  TCLASS: 67,
} as const;

/** IPPROTO_TCP option names (linux/tcp.h). */
export const TCP = {
  /** TCP_NODELAY. */
  NODELAY: 1,
  /** TCP_KEEPIDLE. */
  KEEPIDLE: 4,
  /** TCP_KEEPINTVL. */
  KEEPINTVL: 5,
  /** TCP_KEEPCNT. */
  KEEPCNT: 6,
  /** TCP_FASTOPEN. */
  FASTOPEN: 23,
  /** TCP_FASTOPEN_CONNECT. */
  FASTOPEN_CONNECT: 30,
} as const;

/** SOL_UDP `UDP_SEGMENT`: GSO segment size (linux/udp.h). */
export const UDP_SEGMENT = 103;

/** send/recv flags (linux/socket.h). */
export const MSG = {
  /** MSG_OOB. */
  OOB: 0x1,
  /** MSG_PEEK. */
  PEEK: 0x2,
  /** MSG_DONTROUTE. */
  DONTROUTE: 0x4,
  /** MSG_TRUNC. */
  TRUNC: 0x20,
  /** MSG_DONTWAIT. */
  DONTWAIT: 0x40,
  /** MSG_EOR. */
  EOR: 0x80,
  /** MSG_WAITALL. */
  WAITALL: 0x100,
  /** MSG_CONFIRM. */
  CONFIRM: 0x800,
  /** MSG_ERRQUEUE. */
  ERRQUEUE: 0x2000,
  /** MSG_NOSIGNAL. */
  NOSIGNAL: 0x4000,
  /** MSG_MORE. */
  MORE: 0x8000,
  /** MSG_WAITFORONE. */
  WAITFORONE: 0x10000,
  /** MSG_ZEROCOPY. */
  ZEROCOPY: 0x4000000,
  /** MSG_FASTOPEN: a send that connects first, to msg_name. */
  FASTOPEN: 0x20000000,
  /** MSG_CMSG_CLOEXEC. */
  CMSG_CLOEXEC: 0x40000000,
} as const;

/** Control-message types at SOL_SOCKET (linux/socket.h). */
export const SCM = {
  /** SCM_RIGHTS: descriptors. */
  RIGHTS: 1,
  /** SCM_CREDENTIALS: pid, uid, gid. */
  CREDENTIALS: 2,
} as const;

/** `sizeof(struct sockaddr_storage)`: the largest socket address (linux/socket.h). */
export const SOCKADDR_STORAGE_SIZE = 128;
/** `sizeof(struct sockaddr_in)` (linux/in.h). */
export const SOCKADDR_IN_SIZE = 16;
/** `sizeof(struct msghdr)` on 64-bit (linux/socket.h). */
export const MSGHDR_SIZE = 56;
/** `sizeof(struct mmsghdr)` on 64-bit: a msghdr and its `msg_len`, padded. */
export const MMSGHDR_SIZE = 64;
/** `sizeof(struct cmsghdr)` on 64-bit: length, level, type. */
export const CMSG_HEADER_SIZE = 16;
/** `sizeof(struct in_pktinfo)` (linux/in.h). */
export const IN_PKTINFO_SIZE = 12;
/** `sizeof(struct in6_pktinfo)` (linux/ipv6.h). */
export const IN6_PKTINFO_SIZE = 20;
/** Offset of `ipi6_ifindex` in `struct in6_pktinfo`. */
export const IN6_PKTINFO_IFINDEX = 16;
/** `sizeof(struct sock_filter)`: one classic BPF instruction (linux/filter.h). */
export const SOCK_FILTER_SIZE = 8;
/** UIO_MAXIOV: the most iovecs one call takes (linux/uio.h). */
export const UIO_MAXIOV = 1024;
/** poll(2) `POLLOUT`: writable, as a non-blocking connect reports completion (asm-generic/poll.h). */
export const POLLOUT = 0x4;
