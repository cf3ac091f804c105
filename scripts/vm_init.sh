#!/bin/bash
# PID 1 of the test machines that scripts/vm.sh boots (it is /vm-init in their initramfs):
# mount what the suite needs, bring loopback up, build c/, run the selected tests as root,
# print "VM-RESULT N passed, N failed" and "VM-RC <deno's exit status>" on the console, power
# off. `vm.mode=shell` on the kernel command line gives a root shell instead.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root DENO_DIR=/opt/deno_dir NO_COLOR=1 DENO_NO_UPDATE_CHECK=1 LANG=C.UTF-8
export TERM=dumb
# The arm64 tree is extracted without maintainer scripts, so no .pyc was compiled: python would
# create __pycache__ (mkdirat) at its first import, which a test's "kill" rule on mkdirat catches.
export PYTHONDONTWRITEBYTECODE=1

power_off() {
  sync
  echo o >/proc/sysrq-trigger
  sleep 60
}

mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm /sys/fs/cgroup
mount -t devpts -o newinstance,ptmxmode=0666 devpts /dev/pts
ln -sf pts/ptmx /dev/ptmx 2>/dev/null
mount -t tmpfs shm /dev/shm
mount -t tmpfs tmp /tmp
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mount -t securityfs securityfs /sys/kernel/security 2>/dev/null
echo 1 >/proc/sys/kernel/sysrq
hostname "$(cat /etc/hostname)"
ln -sf /proc/self/fd /dev/fd 2>/dev/null
ln -sf /proc/self/fd/0 /dev/stdin 2>/dev/null
ln -sf /proc/self/fd/1 /dev/stdout 2>/dev/null
ln -sf /proc/self/fd/2 /dev/stderr 2>/dev/null
ldconfig 2>/dev/null
# The modules travel in /usr/lib/modules; the extracted arm64 tree has no merged /usr, and
# Debian's kmod looks in /lib/modules. modules.dep is made by the package's postinst: here.
[ -e /lib/modules ] || ln -s /usr/lib/modules /lib/modules
depmod -a 2>/dev/null
ip link set lo up
# What kmod-static-nodes does on a normal boot: /dev/net/tun exists before its module loads.
modprobe tun 2>/dev/null

echo "VM-KERNEL $(uname -srm)"
echo "VM-LSM $(cat /sys/kernel/security/lsm 2>/dev/null)"
deno --version | head -1

if grep -q 'vm.mode=shell' /proc/cmdline; then
  cd /repo && setsid -c bash -l
  power_off
fi

cd /repo || power_off
# The machine itself: deno knows its arch, gcc builds and runs a C program.
deno eval 'console.log("VM-DENO-ARCH " + Deno.build.arch)'
printf '#include <stdio.h>\nint main(void){puts("VM-CC-OK");return 0;}\n' >/tmp/hello.c
cc -o /tmp/hello /tmp/hello.c && /tmp/hello
mkdir -p c/build
start=$(date +%s)
for src in c/*.c; do
  [ "c/build/$(basename "$src" .c)" -nt "$src" ] && continue
  cc -O2 -Wall -o "c/build/$(basename "$src" .c)" "$src" -lpthread || echo "cc $src failed"
done
echo "VM-CC $(($(date +%s) - start)) s"

mapfile -t tests </vm-tests
# Emulation is 10-50x slower than the host: the tests' hard time limits grow by this factor.
scale=$(sed -nE 's/.*vm\.timescale=([0-9]+).*/\1/p' /proc/cmdline)
export JAIL_TEST_TIME_SCALE=${scale:-1}
echo "VM-TIME-SCALE $JAIL_TEST_TIME_SCALE"
start=$(date +%s)
# TAP: each failure's message comes right after it, so a run cut short still says why.
# A session and process group of its own, as under a login or CI: PID 1's children are in
# process group 0, where the tests' `-getpgrp()` names no group at all.
setsid -w deno test -A --no-check=remote --reporter=tap "${tests[@]}" 2>&1 | tee /tmp/test.log
rc=${PIPESTATUS[0]}
echo "VM-TEST-SECONDS $(($(date +%s) - start))"
passed=$(grep -cE '^ok [0-9]+ ' /tmp/test.log)
failed=$(grep -cE '^not ok [0-9]+ ' /tmp/test.log)
[ "$rc" -eq 0 ] || [ "$failed" -gt 0 ] || failed=1
echo "VM-RC $rc"
echo "VM-RESULT ${passed:-0} passed, ${failed:-0} failed"
power_off
