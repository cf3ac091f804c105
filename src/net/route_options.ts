/**
 * The socket options that choose a route, as data: the policy compiler puts
 * them in the kernel filter and the network check names them in reports. A
 * module of its own so that the compiler, on the CLI's thread, does not load
 * the network check's code.
 *
 * @module
 */

/**
 * Socket options that choose a packet's interface, next hop, route or mark,
 * by level and name: refused while the network is restricted, since an
 * allowed address (loopback included) must not become a way out through
 * another interface. Receive-side flags (IP_PKTINFO, IPV6_RECVPKTINFO, the
 * IPV6_2292* flags but IPV6_2292PKTOPTIONS) stay allowed.
 */
export const ROUTE_OPTIONS: Readonly<Record<number, Readonly<Record<number, string>>>> = {
  // SOL_SOCKET
  1: { 25: "SO_BINDTODEVICE", 36: "SO_MARK", 62: "SO_BINDTOIFINDEX" },
  // IPPROTO_IP
  0: {
    4: "IP_OPTIONS",
    7: "IP_RETOPTS",
    32: "IP_MULTICAST_IF",
    50: "IP_UNICAST_IF",
  },
  // IPPROTO_IPV6
  41: {
    6: "IPV6_2292PKTOPTIONS",
    9: "IPV6_NEXTHOP",
    17: "IPV6_MULTICAST_IF",
    50: "IPV6_PKTINFO",
    57: "IPV6_RTHDR",
    76: "IPV6_UNICAST_IF",
  },
};

/** The name of a refused setsockopt (level, name), or undefined when it is allowed. */
export function refusedOption(level: number, name: number): string | undefined {
  return ROUTE_OPTIONS[level]?.[name];
}
