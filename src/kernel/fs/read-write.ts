/**
 * The VFS entry points the file system calls reach (fs/read_write.c, fs/open.c, fs/sync.c,
 * fs/namei.c): what
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
const FN_VFS_FSYNC = traceable("vfs_fsync", "int", ["struct file *file", "int datasync"]);
const FN_VFS_CREATE = traceable("vfs_create", "int", [
  "struct mnt_idmap *idmap",
  "struct dentry *dentry",
  "umode_t mode",
  "bool want_excl",
]);

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

/** vfs_fsync: the file's dirty data written back, `ns` of waiting; `ret` is 0 or the error. */
export function* vfs_fsync(m: Machine, fd: number, ns: number, ret: number): Sub<number> {
  const h = m.ftrace;
  if (h.armed[FN_VFS_FSYNC] !== 0 && h.enter(FN_VFS_FSYNC))
    return h.exit(FN_VFS_FSYNC, h.entry(FN_VFS_FSYNC, fd, 0), yield* vfs_fsync(m, fd, ns, ret));
  if (ns > 0) yield m.cost(ns);
  return ret;
}

/**
 * vfs_create: a regular file made in its directory (mknod with S_IFREG; open(O_CREAT) goes to
 * the file system's own ->create). The model passes the path's user address as the dentry.
 */
export function* vfs_create(m: Machine, path: number, mode: number, ns: number, ret: number): Sub<number> {
  const h = m.ftrace;
  if (h.armed[FN_VFS_CREATE] !== 0 && h.enter(FN_VFS_CREATE))
    return h.exit(FN_VFS_CREATE, h.entry(FN_VFS_CREATE, 0, path), yield* vfs_create(m, path, mode, ns, ret));
  if (ns > 0) yield m.cost(ns);
  return ret;
}
