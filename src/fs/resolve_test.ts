import assert from "node:assert/strict";
import {
  canonicalize,
  ENOENT,
  ENOTDIR,
  type FsView,
  type Probed,
  realFs,
  type ResolveOptions,
  resolvePath,
} from "./resolve.ts";

/** A fake file system: directories, files, and symlinks with their targets. */
function fakeFs(entries: Record<string, "dir" | "file" | { link: string }>): FsView {
  return {
    lstat(path: string): Probed {
      const e = entries[path];
      if (e === undefined) {
        // A missing path under a file is ENOTDIR, as the kernel says.
        for (let p = path; p.lastIndexOf("/") > 0;) {
          p = p.slice(0, p.lastIndexOf("/"));
          if (entries[p] === "file") return { missing: ENOTDIR };
        }
        return { missing: ENOENT };
      }
      return e === "dir" ? "dir" : e === "file" ? "other" : "symlink";
    },
    readlink(path: string): string | undefined {
      const e = entries[path];
      return typeof e === "object" ? e.link : undefined;
    },
  };
}

const FS = fakeFs({
  "/etc": "dir",
  "/etc/passwd": "file",
  "/home": "dir",
  "/home/ann": "dir",
  "/home/ann/notes": "file",
  "/home/ann/to-etc": { link: "/etc" },
  "/home/ann/rel": { link: "../ann/notes" },
  "/home/ann/dangling": { link: "/etc/newfile" },
  "/home/ann/loop": { link: "loop" },
  "/dev": "dir",
  "/dev/stdout": { link: "/proc/self/fd/1" },
  "/proc": "dir",
  "/proc/42": "dir",
  "/proc/42/fd": "dir",
  "/proc/42/fd/1": { link: "pipe:[777]" },
  "/proc/42/fd/3": { link: "/home/ann/notes" },
  "/proc/42/fd/4": { link: "/home/ann/gone (deleted)" },
  "/proc/42/task": "dir",
  "/proc/42/task/43": "dir",
  "/proc/42/task/43/cwd": { link: "/home" },
  "/proc/7": "dir",
  "/proc/7/fd": "dir",
  "/proc/7/fd/1": { link: "/etc/passwd" },
  "/proc/self": { link: "7" },
  "/jail": "dir",
  "/jail/etc": "dir",
  "/jail/etc/passwd": "file",
  "/jail/abs": { link: "/etc/passwd" },
});

const opts = (o: Partial<ResolveOptions> = {}): ResolveOptions => ({
  root: "/",
  base: "/home/ann",
  follow: true,
  pid: 42,
  tid: 43,
  ...o,
});

Deno.test("resolvePath() walks relative paths from the base and .. lexically at the root", () => {
  assert.deepEqual(resolvePath("notes", opts(), FS), { kind: "path", path: "/home/ann/notes" });
  assert.deepEqual(resolvePath("../../../etc/passwd", opts(), FS), {
    kind: "path",
    path: "/etc/passwd",
  });
  assert.deepEqual(resolvePath("/home/./ann//notes", opts(), FS), {
    kind: "path",
    path: "/home/ann/notes",
  });
});

Deno.test("resolvePath() follows symlinks in the middle, and in the last component only when asked", () => {
  assert.deepEqual(resolvePath("to-etc/passwd", opts(), FS), { kind: "path", path: "/etc/passwd" });
  assert.deepEqual(resolvePath("to-etc/../home", opts(), FS), { kind: "path", path: "/home" });
  assert.deepEqual(resolvePath("rel", opts(), FS), { kind: "path", path: "/home/ann/notes" });
  assert.deepEqual(resolvePath("to-etc", opts({ follow: false }), FS), {
    kind: "path",
    path: "/home/ann/to-etc",
  });
});

Deno.test("resolvePath() names a dangling symlink's target (O_CREAT would create it)", () => {
  assert.deepEqual(resolvePath("dangling", opts(), FS), {
    kind: "path",
    path: "/etc/newfile",
    errno: ENOENT,
  });
});

Deno.test("resolvePath() reports missing components with the kernel's errno", () => {
  assert.deepEqual(resolvePath("/nope/x/../y", opts(), FS), {
    kind: "path",
    path: "/nope/y",
    errno: ENOENT,
  });
  assert.deepEqual(resolvePath("/etc/passwd/x", opts(), FS), {
    kind: "path",
    path: "/etc/passwd/x",
    errno: ENOTDIR,
  });
  assert.deepEqual(resolvePath("loop", opts(), FS), { kind: "loop" });
});

Deno.test("resolvePath() reads /proc/self and /proc/thread-self as the tracee's", () => {
  // The fake's own /proc/self points at 7 (the supervisor); the tracee is 42.
  assert.deepEqual(resolvePath("/dev/stdout", opts(), FS), { kind: "pseudo", what: "pipe:[777]" });
  assert.deepEqual(resolvePath("/proc/self/fd/3", opts(), FS), {
    kind: "path",
    path: "/home/ann/notes",
  });
  assert.deepEqual(resolvePath("/proc/thread-self/cwd/ann/notes", opts(), FS), {
    kind: "path",
    path: "/home/ann/notes",
  });
  assert.deepEqual(resolvePath("/proc/self/fd/4", opts(), FS), {
    kind: "path",
    path: "/home/ann/gone",
  });
});

Deno.test("resolvePath() keeps a chrooted process inside its root", () => {
  const o = opts({ root: "/jail", base: "/jail/etc" });
  assert.deepEqual(resolvePath("/etc/passwd", o, FS), { kind: "path", path: "/jail/etc/passwd" });
  assert.deepEqual(resolvePath("../../../etc/passwd", o, FS), {
    kind: "path",
    path: "/jail/etc/passwd",
  });
  assert.deepEqual(resolvePath("/abs", o, FS), { kind: "path", path: "/jail/etc/passwd" });
});

Deno.test("resolvePath() on the real file system: symlinks and .. escapes", () => {
  const dir = Deno.realPathSync(Deno.makeTempDirSync({ prefix: "jail_resolve_" }));
  try {
    Deno.mkdirSync(`${dir}/in`);
    Deno.mkdirSync(`${dir}/out`);
    Deno.writeTextFileSync(`${dir}/out/secret`, "x");
    Deno.symlinkSync(`${dir}/out`, `${dir}/in/link`);
    const o = { root: "/", base: `${dir}/in`, follow: true, pid: 1, tid: 1 };
    assert.deepEqual(resolvePath("link/secret", o, realFs), {
      kind: "path",
      path: `${dir}/out/secret`,
    });
    assert.deepEqual(resolvePath("../out/secret", o, realFs), {
      kind: "path",
      path: `${dir}/out/secret`,
    });
    assert.equal(canonicalize(`${dir}/in/link/new/../file`), `${dir}/out/file`);
    assert.equal(canonicalize(`${dir}/in/missing/x`), `${dir}/in/missing/x`);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
