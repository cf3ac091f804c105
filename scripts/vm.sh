#!/usr/bin/env bash
# Virtual machines that run jail's test suite on another kernel or another architecture.
#
#   scripts/vm.sh run   [amd64|arm64] [test files...]   build what changed, boot, test, power off
#   scripts/vm.sh build [amd64|arm64]                   only build (rootfs, kernel, deno, repo)
#   scripts/vm.sh shell [amd64|arm64]                   boot into a root shell on the console
#   scripts/vm.sh clean [amd64|arm64]                   drop the cached images of that arch
#
# amd64: Debian 12 (bookworm) root filesystem and Debian 12's own kernel (linux-image-amd64,
#        6.1), booted with qemu-system-x86_64 -enable-kvm.
# arm64: the same, Debian's arm64 packages and kernel (linux-image-arm64), booted with
#        qemu-system-aarch64 -M virt -cpu max under TCG emulation (no KVM for a foreign arch).
#
# With no test files, amd64 runs the whole suite (tests/ src/ kernel/ ffi/, as `deno task test`) and arm64
# runs ARM64_TESTS below. Every piece is cached under .vm/<arch>/ (git-ignored); a rerun only
# rebuilds the repository copy. The whole machine lives in one initramfs (the root filesystem
# as a cpio archive, then the kernel's modules, deno and its cache, the repository), so the
# kernel needs no disk driver and Debian's stock kernel boots it as is.
#
# Inside, /vm-init (PID 1) mounts proc, sys, /dev, /dev/pts, /dev/shm, /tmp, cgroup2, brings
# loopback up, builds c/, runs `deno test -A --no-check=remote --reporter=tap <files>` as root
# (TAP: a failure's message follows it at once), prints a last line "N passed, N failed" on the
# serial console, and powers off.
# The console is kept in .vm/<arch>/last.log; the script exits 1 when a test failed or the
# summary is missing.
#
# Needs (host, root): mmdebstrap, cpio, npm (arm64 deno), qemu-system-x86 / qemu-system-arm.
# The arm64 root filesystem is built with mmdebstrap --variant=extract (no maintainer script
# runs: this host has no binfmt_misc for qemu-user), then fixed up here and by /vm-init
# (passwd/group from base-passwd, the cc and other alternatives' links, ldconfig at boot).
#
# Environment: VM_MEM (MiB, default 4096), VM_CPUS (default 2), VM_TIMEOUT (seconds the whole
# boot may take, default 3600 for amd64, 10800 for arm64), VM_ACCEL (kvm or tcg; default kvm
# where /dev/kvm is a usable KVM), VM_TIME_SCALE (the tests' hard time limits are multiplied by
# it: default 1 with KVM, 20 under TCG), MIRROR (default deb.debian.org).
set -euo pipefail

cd "$(dirname "$0")/.."
REPO=$(pwd)
SUITE=bookworm
MIRROR=${MIRROR:-http://deb.debian.org/debian}
DENO_VERSION=2.9.6
# What the tests run besides deno (the packages .ci/run installs, and the essentials they use).
PACKAGES=(iproute2 mount util-linux python3 curl gcc libc6-dev nodejs strace bsdutils
  iputils-ping procps kmod ca-certificates)
# Kernel module trees kept in the image: network (veth, ipv6 pieces), filesystems, and the
# libraries and crypto they load. The rest (drivers for real hardware, sound, ...) is dropped.
MODULE_DIRS=(kernel/net kernel/drivers/net kernel/fs kernel/lib kernel/crypto kernel/arch)
# The arm64 subset: emulation runs about 10-20x slower than KVM (see README).
ARM64_TESTS=(tests/quirks_test.ts tests/teardown_test.ts tests/policy_test.ts tests/net_test.ts
  tests/walls_test.ts tests/guard_test.ts src/ kernel/)

log() { printf 'vm: %s\n' "$*" >&2; }
die() {
  printf 'vm: %s\n' "$*" >&2
  exit 125
}

arch_vars() {
  ARCH=$1
  case "$ARCH" in
    amd64)
      KPKG=linux-image-amd64
      DENO_NPM=@deno/linux-x64-glibc
      ;;
    arm64)
      KPKG=linux-image-arm64
      DENO_NPM=@deno/linux-arm64-glibc
      ;;
    *) die "unknown arch '$ARCH' (amd64 or arm64)" ;;
  esac
  VM=$REPO/.vm/$ARCH
  mkdir -p "$VM"
}

# A step's output is rebuilt when its stamp (the inputs it was built from) changes.
stamp_ok() { [ -f "$1.stamp" ] && [ "$(cat "$1.stamp")" = "$2" ] && [ -e "$1" ]; }

build_rootfs() {
  local out=$VM/rootfs.cpio key
  key="$SUITE ${PACKAGES[*]} v5"
  stamp_ok "$out" "$key" && return 0
  log "building the $ARCH root filesystem (mmdebstrap, $SUITE)"
  local dir=$VM/rootfs
  rm -rf "$dir"
  mkdir -p "$dir"
  local incl
  incl=$(
    IFS=,
    echo "${PACKAGES[*]}"
  )
  # mmdebstrap's root mode mounts /proc, /sys and /dev into the chroot: a private mount
  # namespace keeps those mounts off this machine's own.
  if [ "$ARCH" = amd64 ]; then
    nice -n 10 unshare --mount --propagation private -- \
      mmdebstrap --mode=root --variant=apt --include="$incl" "$SUITE" "$dir" "$MIRROR"
  else
    # No binfmt_misc here, so no arm64 program can run during the build: unpack only.
    local essential=base-files,base-passwd,bash,coreutils,dash,debianutils,diffutils,findutils
    essential+=,grep,gzip,hostname,libc-bin,login,ncurses-base,ncurses-bin,perl-base,sed,tar
    essential+=,sysvinit-utils,init-system-helpers,libpam-runtime,passwd
    nice -n 10 unshare --mount --propagation private -- \
      mmdebstrap --mode=root --variant=extract --architectures=arm64 \
      --include="$essential,$incl" "$SUITE" "$dir" "$MIRROR"
    fixup_extracted "$dir"
  fi
  rm -rf "$dir/var/cache/apt/archives"/*.deb "$dir/usr/share/doc" "$dir/usr/share/man" \
    "$dir/usr/share/locale"
  (cd "$dir" && find . -print0 | cpio --null -o -H newc --quiet) >"$out.tmp"
  mv "$out.tmp" "$out"
  rm -rf "$dir"
  echo "$key" >"$out.stamp"
}

# What the skipped maintainer scripts would have done, as far as the tests need it.
fixup_extracted() {
  local dir=$1
  # Merged /usr, as Debian 12's own installs (and the amd64 tree) have it: /bin, /sbin and /lib
  # are links into /usr (the tests name /usr/bin/sh).
  local d
  for d in bin sbin lib; do
    if [ -d "$dir/$d" ] && [ ! -L "$dir/$d" ]; then
      mkdir -p "$dir/usr/$d"
      cp -a "$dir/$d/." "$dir/usr/$d/"
      rm -rf "${dir:?}/$d"
      ln -s "usr/$d" "$dir/$d"
    fi
  done
  cp "$dir/usr/share/base-passwd/passwd.master" "$dir/etc/passwd"
  cp "$dir/usr/share/base-passwd/group.master" "$dir/etc/group"
  # libc-bin's postinst writes /etc/nsswitch.conf; without it glibc asks DNS before /etc/hosts and
  # stops there (a name the tests put in /etc/hosts "does not resolve").
  [ -e "$dir/etc/nsswitch.conf" ] || cp "$dir/usr/share/libc-bin/nsswitch.conf" "$dir/etc/nsswitch.conf"
  [ -e "$dir/usr/bin/cc" ] || ln -s gcc "$dir/usr/bin/cc"
  [ -e "$dir/usr/bin/sh" ] || ln -s dash "$dir/usr/bin/sh"
  [ -e "$dir/usr/bin/awk" ] || { [ -e "$dir/usr/bin/mawk" ] && ln -s mawk "$dir/usr/bin/awk"; }
  [ -e "$dir/usr/bin/node" ] || { [ -e "$dir/usr/bin/nodejs" ] && ln -s nodejs "$dir/usr/bin/node"; }
  true
}

build_kernel() {
  local out=$VM/modules.cpio key
  key="$SUITE $KPKG ${MODULE_DIRS[*]} v2"
  stamp_ok "$out" "$key" && [ -e "$VM/vmlinuz" ] && return 0
  log "fetching Debian's $ARCH kernel ($KPKG, $SUITE)"
  local dir=$VM/kernel
  rm -rf "$dir"
  mkdir -p "$dir"
  nice -n 10 unshare --mount --propagation private -- \
    mmdebstrap --mode=root --variant=extract --architectures="$ARCH" \
    --include="$KPKG" "$SUITE" "$dir" "$MIRROR"
  local vmlinuz
  vmlinuz=$(ls "$dir"/boot/vmlinuz-* | head -1)
  [ -n "$vmlinuz" ] || die "no vmlinuz in $KPKG"
  cp "$vmlinuz" "$VM/vmlinuz"
  cp "$(ls "$dir"/boot/config-* | head -1)" "$VM/config"
  local kver mods stage=$VM/modstage
  kver=$(basename "$vmlinuz" | sed 's/^vmlinuz-//')
  mods=$( (ls -d "$dir"/lib/modules/* "$dir"/usr/lib/modules/* 2>/dev/null || true) | head -1)
  rm -rf "$stage"
  mkdir -p "$stage/usr/lib/modules/$kver"
  cp "$mods"/modules.* "$stage/usr/lib/modules/$kver/"
  local d
  for d in "${MODULE_DIRS[@]}"; do
    [ -d "$mods/$d" ] && mkdir -p "$stage/usr/lib/modules/$kver/$(dirname "$d")" &&
      cp -a "$mods/$d" "$stage/usr/lib/modules/$kver/$d"
  done
  (cd "$stage" && find . -print0 | cpio --null -o -H newc --quiet) >"$out.tmp"
  mv "$out.tmp" "$out"
  echo "$kver" >"$VM/kver"
  rm -rf "$dir" "$stage"
  echo "$key" >"$out.stamp"
}

# deno for the guest arch and a DENO_DIR filled with everything the tests import (the guest
# has no network).
build_deno() {
  local out=$VM/deno.cpio key
  key="$DENO_VERSION $(sha256sum deno.lock | cut -c1-16) v1"
  stamp_ok "$out" "$key" && return 0
  log "packing deno $DENO_VERSION ($DENO_NPM) and its cache"
  local stage=$VM/denostage
  rm -rf "$stage"
  mkdir -p "$stage/usr/local/bin" "$stage/opt"
  if [ "$ARCH" = amd64 ] && deno --version 2>/dev/null | grep -q "deno $DENO_VERSION "; then
    cp "$(readlink -f "$(command -v deno)")" "$stage/usr/local/bin/deno"
  else
    local tgz
    tgz=$(cd "$VM" && npm pack --silent "$DENO_NPM@$DENO_VERSION" | tail -1)
    tar -xzf "$VM/$tgz" -C "$stage" package/deno
    mv "$stage/package/deno" "$stage/usr/local/bin/deno"
    rm -rf "$stage/package" "${VM:?}/$tgz"
  fi
  chmod 755 "$stage/usr/local/bin/deno"
  # The module and npm caches are the same for every arch; fill them with this host's deno.
  DENO_DIR=$stage/opt/deno_dir DENO_NO_UPDATE_CHECK=1 \
    deno cache --quiet jail.ts mod.ts $(git ls-files 'tests/*.ts' 'src/*_test.ts' 'kernel/*_test.ts' 'scripts/*.ts')
  (cd "$stage" && find . -print0 | cpio --null -o -H newc --quiet) >"$out.tmp"
  mv "$out.tmp" "$out"
  rm -rf "$stage"
  echo "$key" >"$out.stamp"
}

# The repository as committed (git archive of HEAD) plus the working tree's uncommitted
# changes to tracked files, the init script and the test list. Rebuilt on every run.
build_repo() {
  local tests=("$@")
  local stage=$VM/repostage
  rm -rf "$stage"
  mkdir -p "$stage/repo" "$stage/etc"
  git archive --format=tar HEAD | tar -x -C "$stage/repo"
  # Uncommitted edits to tracked files travel too, so a fix can be tried before committing.
  git diff --name-only HEAD | while read -r f; do
    if [ -e "$f" ]; then cp -a --parents "$f" "$stage/repo/"; else rm -f "$stage/repo/$f"; fi
  done
  git ls-files --others --exclude-standard | while read -r f; do
    cp -a --parents "$f" "$stage/repo/"
  done
  if [ "$ARCH" = amd64 ] && [ "$(dpkg --print-architecture 2>/dev/null)" = amd64 ]; then
    # Same Debian release and arch as the guest: build c/ here, where it takes seconds rather
    # than the two minutes it takes under emulation (the guest's /vm-init skips what is built).
    mkdir -p "$stage/repo/c/build"
    local src
    for src in "$stage"/repo/c/*.c; do
      nice -n 10 cc -O2 -Wall -o "$stage/repo/c/build/$(basename "$src" .c)" "$src" -lpthread
    done
  fi
  cp scripts/vm_init.sh "$stage/vm-init"
  chmod 755 "$stage/vm-init"
  printf '%s\n' "${tests[@]}" >"$stage/vm-tests"
  printf '%s\n' "$ARCH" >"$stage/vm-arch"
  printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$stage/etc/hosts"
  echo jailvm >"$stage/etc/hostname"
  (cd "$stage" && find . -print0 | cpio --null -o -H newc --quiet) >"$VM/repo.cpio"
  rm -rf "$stage"
}

build_all() {
  build_rootfs
  build_kernel
  build_deno
}

boot() {
  local mode=$1
  local mem=${VM_MEM:-4096} cpus=${VM_CPUS:-2}
  cat "$VM/rootfs.cpio" "$VM/modules.cpio" "$VM/deno.cpio" "$VM/repo.cpio" >"$VM/initrd"
  # The stock kernel's own LSM list (Debian 12's starts with landlock): nothing is added.
  local append="console=ttyS0 rdinit=/vm-init panic=-1 vm.mode=$mode"
  local qemu scale=1
  if [ "$ARCH" = amd64 ]; then
    qemu=(qemu-system-x86_64 -M q35)
    # kvm_pvm (a paravirtual KVM for nested guests, as on this project's machines) runs only
    # PVM-enabled guest kernels: Debian's stock kernel hangs right after decompression there.
    local accel=${VM_ACCEL:-}
    if [ -z "$accel" ]; then
      if [ -w /dev/kvm ] && [ ! -d /sys/module/kvm_pvm ]; then accel=kvm; else accel=tcg; fi
    fi
    if [ "$accel" = kvm ]; then
      qemu+=(-enable-kvm -cpu host,-arch-capabilities)
    else
      log "no usable KVM here (/dev/kvm missing or kvm_pvm): emulating x86_64 with TCG"
      qemu+=(-accel tcg,thread=multi -cpu max)
      scale=20
    fi
  else
    append=${append/console=ttyS0/console=ttyAMA0}
    qemu=(qemu-system-aarch64 -M virt -accel tcg,thread=multi -cpu max)
    scale=20
  fi
  # The tests' hard time limits (JAIL_TEST_TIME_SCALE in the guest) grow under emulation.
  append+=" vm.timescale=${VM_TIME_SCALE:-$scale}"
  qemu+=(-smp "$cpus" -m "$mem" -nographic -no-reboot -kernel "$VM/vmlinuz"
    -initrd "$VM/initrd" -append "$append" -nic none)
  if [ "$mode" = shell ]; then
    nice -n 10 "${qemu[@]}"
    return
  fi
  local limit=${VM_TIMEOUT:-$([ "$ARCH" = amd64 ] && echo 3600 || echo 10800)}
  local logf=$VM/last.log start=$SECONDS
  log "booting $ARCH ($cpus vCPUs, $mem MiB); console in $logf"
  # -serial on stdio, the monitor off: the console is the only output.
  nice -n 10 timeout --foreground "$limit" "${qemu[@]}" </dev/null 2>&1 | tee "$logf" ||
    true
  rm -f "$VM/initrd"
  local line
  line=$(grep -aE '^VM-RESULT [0-9]+ passed, [0-9]+ failed' "$logf" | tail -1 | tr -d '\r')
  log "boot to power-off: $((SECONDS - start)) s"
  if [ -z "$line" ]; then
    # Cut short (time limit or crash): count the tests that did finish.
    local ok bad
    ok=$(grep -acE '^ok [0-9]+ ' "$logf" || true)
    bad=$(grep -acE '^not ok [0-9]+ ' "$logf" || true)
    log "no result line on the console (crash, or the ${limit}s limit): incomplete run"
    log "tests that finished: $ok passed, $bad failed"
    echo "0 passed, 1 failed"
    return 1
  fi
  echo "${line#VM-RESULT }"
  [[ "$line" =~ \ 0\ failed$ ]] && grep -aq '^VM-RC 0' "$logf"
}

cmd=${1:-run}
shift || true
arch_vars "${1:-amd64}"
shift || true
case "$cmd" in
  build)
    build_all
    build_repo
    ;;
  run)
    tests=("$@")
    if [ "${#tests[@]}" -eq 0 ]; then
      if [ "$ARCH" = amd64 ]; then tests=(tests/ src/ kernel/ ffi/); else tests=("${ARM64_TESTS[@]}"); fi
    fi
    build_all
    build_repo "${tests[@]}"
    boot test
    ;;
  shell)
    build_all
    build_repo
    boot shell
    ;;
  clean) rm -rf "$VM" ;;
  *) die "unknown command '$cmd' (run, build, shell, clean)" ;;
esac
