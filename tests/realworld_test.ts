/**
 * Real world: a third-party npm package, installed from the registry, runs
 * its own test suite under `jail -- npm test` with the built-in policy; a test
 * that reaches out to the network fails at once with EACCES.
 *
 * The package is `through@2.3.8` (its tarball ships its tape tests). Its
 * install runs outside the jail: the registry is not loopback.
 */

import assert from "node:assert/strict";
import { canUnshareNet, jail } from "./_helpers.ts";
import { runGroup } from "../scripts/_group_run.ts";

const PACKAGE = "through@2.3.8";

/** npm settings for every registry call here: one retry, a short socket timeout. */
const NPM_ENV = {
  npm_config_fetch_retries: "1",
  npm_config_fetch_timeout: "20000",
  npm_config_update_notifier: "false",
};

/** Runs `cmd` with sh in its own process group, killed whole (npm's children too) at `ms`. */
async function sh(
  cmd: string,
  cwd: string,
  ms: number,
): Promise<{ ok: boolean; out: string; timedOut: boolean }> {
  const r = await runGroup(["sh", "-c", cmd], { cwd, env: NPM_ENV, timeoutMs: ms });
  return { ok: r.code === 0, out: r.out, timedOut: r.timedOut };
}

/** Why the registry cannot be used here, or undefined when it answers. */
async function registryUnreachable(): Promise<string | undefined> {
  const probe = await sh(`npm view ${PACKAGE} version`, Deno.cwd(), 30_000).catch((e) => ({
    ok: false,
    out: String(e),
    timedOut: false,
  }));
  if (probe.ok) return undefined;
  return probe.timedOut
    ? "`npm view` got no answer within 30 s"
    : probe.out.split("\n").filter((l) => /code|errno|network|request/i.test(l)).slice(0, 2)
      .join(" / ") || probe.out.trim().split("\n")[0];
}

const unreachable = await registryUnreachable();
if (unreachable) {
  console.log(`realworld_test: SKIPPED: the npm registry is unreachable here (${unreachable})`);
}

Deno.test({
  name: "real world: a registry package's own test suite passes under jail -- npm test",
  ignore: unreachable !== undefined,
}, async () => {
  const dir = await Deno.makeTempDir({ prefix: "jail-realworld-" });
  try {
    const fetched = await sh(
      `npm pack --silent ${PACKAGE} >/dev/null && tar xzf through-*.tgz && ` +
        `cd package && npm install --no-audit --no-fund --ignore-scripts --silent`,
      dir,
      120_000,
    );
    // The registry answered a moment ago: an install that fails now is a failure, not a skip.
    assert.ok(
      fetched.ok,
      `cannot install ${PACKAGE}${fetched.timedOut ? " (timed out after 120 s)" : ""}:\n` +
        fetched.out,
    );
    const pkg = `${dir}/package`;
    const env = { CI: "true", npm_config_update_notifier: "false" };
    const run = await jail(["--", "npm", "test"], { cwd: pkg, env, timeoutMs: 120_000 });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /# ok|ok \d+/);

    if (!(await canUnshareNet())) {
      console.log("SKIPPED (network half): unshare -n is not available");
      return;
    }
    // A test that calls out: in a namespace whose default route is a black hole, so that
    // without the jail the connection would hang until its own timeout.
    await Deno.writeTextFile(
      `${pkg}/test/zz-calls-out.js`,
      `var test = require("tape");
var net = require("net");
test("calls out to the network", function (t) {
  var started = Date.now();
  var s = net.connect(80, "10.20.30.40");
  s.setTimeout(10000, function () { t.fail("hung: no EACCES"); s.destroy(); t.end(); });
  s.on("connect", function () { t.fail("connected"); s.destroy(); t.end(); });
  s.on("error", function (e) {
    console.log("calls-out error " + e.code + " after " + (Date.now() - started) + " ms");
    t.fail(e.code);
    t.end();
  });
});
`,
    );
    const blackhole = [
      "unshare",
      "-n",
      "sh",
      "-c",
      "ip link set lo up && ip link add v0 type veth peer name v1 && ip addr add 10.99.0.1/24 dev v0 && " +
      'ip link set v0 up && ip link set v1 up && ip route add default dev v0 && exec "$0" "$@"',
    ];
    const failing = await jail(["--", "npm", "test"], {
      cwd: pkg,
      env,
      prefix: blackhole,
      timeoutMs: 120_000,
    });
    assert.notEqual(failing.code, 0);
    const m = /calls-out error (\w+) after (\d+) ms/.exec(failing.stdout);
    assert.ok(m, failing.stdout + failing.stderr);
    assert.equal(m[1], "EACCES");
    assert.ok(Number(m[2]) < 2000, `took ${m[2]} ms`);
    assert.match(failing.stderr, /jail: denied connect to 10\.20\.30\.40:80 \(pid \d+ node\)/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
