/**
 * The VFS entry points the file system calls reach (fs/read_write.c, fs/open.c): what
 * vfscount and vfsstat count. The model has no page cache or file system below them; the time
 * a call takes is the workload step's own, spent inside the function, so a kretprobe's
 * entry-to-return latency is that time.
 *
 * Linux passes a `struct file *` (vfs_open a `struct path *` as well); the model's opaque
 * handle for an open file is its descriptor, and a path is its user address.
 */
import { traceable } from "../../sim/ftrace.js";
import type { Machine, Sub } from "../../sim/machine.js";

const FN_VFS_READ = traceable("vfs_read", "ssize_t", [
  "struct file *file",
  "char *buf",
  "size_t count",
  "loff_t *pos",
]);
const FN_VFS_WRITE = traceable("vfs_write", "ssize_t", [
  "struct file *file",
  "const char *buf",
  "size_t count",
  "loff_t *pos",
]);
const FN_VFS_OPEN = traceable("vfs_open", "int", ["const struct path *path", "struct file *file"]);

/** vfs_read: `ret` bytes read from `fd` after `ns` of work. */
export function* vfs_read(m: Machine, fd: number, buf: number, ns: number, ret: number): Sub<number> {
  const h = m.ftrace;
  if (h.armed[FN_VFS_READ] !== 0 && h.enter(FN_VFS_READ))
    return h.exit(FN_VFS_READ, h.entry(FN_VFS_READ, fd, buf), yield* vfs_read(m, fd, buf, ns, ret));
  if (ns > 0) yield m.cost(ns);
  return ret;
}

/** vfs_write: `ret` bytes written to `fd` after `ns` of work. */
export function* vfs_write(m: Machine, fd: number, buf: number, ns: number, ret: number): Sub<number> {
  const h = m.ftrace;
  if (h.armed[FN_VFS_WRITE] !== 0 && h.enter(FN_VFS_WRITE))
    return h.exit(FN_VFS_WRITE, h.entry(FN_VFS_WRITE, fd, buf), yield* vfs_write(m, fd, buf, ns, ret));
  if (ns > 0) yield m.cost(ns);
  return ret;
}

/** vfs_open: the open of the file at `path` that becomes descriptor `fd` (0 on success). */
export function* vfs_open(m: Machine, path: number, fd: number, ns: number): Sub<number> {
  const h = m.ftrace;
  if (h.armed[FN_VFS_OPEN] !== 0 && h.enter(FN_VFS_OPEN))
    return h.exit(FN_VFS_OPEN, h.entry(FN_VFS_OPEN, path, fd), yield* vfs_open(m, path, fd, ns));
  if (ns > 0) yield m.cost(ns);
  return Math.min(fd, 0); // the error, or 0
}
