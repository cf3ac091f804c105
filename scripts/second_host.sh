#!/usr/bin/env bash
# Runs the test suite on a second userland: a Debian root file system of another release
# (default: trixie, glibc 2.41, python3.13, iproute2 6.15; this machine is bookworm), built
# with mmdebstrap from Debian's packages, entered with chroot inside private mount and
# network namespaces of its own. The kernel is this machine's; everything the tests run
# (glibc, python3, node, curl, gcc, ip, sh) is the other release's.
#
#   bash scripts/second_host.sh [suite]        # e.g. trixie (default), sid
#
# Needs root, mmdebstrap (apt-get install mmdebstrap) and the Debian mirror; the deno
# binary and the npm packages the tests import are copied in from this machine (the
# chroot has no network once it runs). Prints the suite's own summary and the closing
# "N passed, N failed" line. Leaves nothing mounted: the mounts live in a mount namespace
# that ends with the run.
set -euo pipefail
suite=${1:-trixie}
here=$(cd "$(dirname "$0")/.." && pwd)
work=${SECOND_HOST_DIR:-/tmp/jail-second-host}
root="$work/$suite"
tar="$work/$suite.tar"

[ "$(id -u)" = 0 ] || { echo "second_host.sh: needs root (chroot, namespaces)"; exit 2; }
command -v mmdebstrap >/dev/null || { echo "second_host.sh: needs mmdebstrap (apt-get install mmdebstrap)"; exit 2; }
mkdir -p "$work"
if [ ! -s "$tar" ]; then
  echo "building a $suite root file system with mmdebstrap"
  mmdebstrap --variant=apt \
    --include=iproute2,python3,curl,gcc,libc6-dev,nodejs,strace,util-linux,mount,bsdutils,ca-certificates,procps,git \
    "$suite" "$tar" http://deb.debian.org/debian
fi
rm -rf "$root" && mkdir -p "$root" && tar -C "$root" -xf "$tar"
# What a booted system has and a bare root file system lacks: the tests bind-mount over it.
[ -e "$root/etc/resolv.conf" ] || echo "nameserver 127.0.0.53" > "$root/etc/resolv.conf"

# The repository as committed, Deno, and a DENO_DIR holding the tests' npm packages.
git -C "$here" archive --format=tar --prefix=jail/ HEAD | tar -C "$root" -xf -
install -m 0755 "$(command -v deno | xargs readlink -f)" "$root/usr/local/bin/deno"
export DENO_DIR="$root/deno-dir"
(cd "$root/jail" && deno cache --quiet $(find tests src -name '*.ts') scripts/*.ts jail.ts mod.ts)

echo "host: $(uname -sr); userland: $(. "$root/etc/os-release"; echo "$PRETTY_NAME"), glibc $(chroot "$root" ldd --version | head -1 | awk '{print $NF}'), $(chroot "$root" python3 --version)"
unshare -m --propagation private -- sh -c '
  set -e
  root=$1
  # A mount point of its own, as / is on a booted system: the tests that run `unshare -m` make
  # the root private, which needs it.
  mount --bind "$root" "$root"
  mount -t proc proc "$root/proc"
  mount --rbind /dev "$root/dev"
  mount -t sysfs sysfs "$root/sys"
  mount -t tmpfs tmpfs "$root/tmp"
  exec chroot "$root" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
    DENO_DIR=/deno-dir DENO_NO_UPDATE_CHECK=1 NO_COLOR=1 TERM=dumb CI=true \
    sh -c "cd /jail && bash .ci/run"
' sh "$root"
