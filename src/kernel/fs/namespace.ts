/**
 * The mount namespace and the dcache, reduced to what a path walk needs: `struct mount`
 * (with its embedded `struct vfsmount`), `struct dentry` and each process's `struct
 * fs_struct` (root and pwd), laid out in kernel memory at x86-64 offsets so a script that
 * walks `curtask->fs->pwd` up through d_parent and mnt_parent reads real bytes, as
 * d_path() does.
 *
 * The mount table is fixed: the root filesystem, with /home, /proc and /tmp mounted on it
 * (as a Fedora install has /home on its own btrfs subvolume). A dentry is made the first
 * time a walk names it and is never freed.
 */
import type { KernelMemory } from "../kmem.js";

/** struct qstr: hash and len (the u64 hash_len), then name. */
export const QSTR = { hash: 0, len: 4, name: 8, size: 16 } as const;
/** struct dentry up to d_iname (DNAME_INLINE_LEN 40). */
export const DENTRY = {
  d_flags: 0,
  d_seq: 4,
  d_hash: 8,
  d_parent: 24,
  d_name: 32,
  d_inode: 48,
  d_iname: 56,
  size: 96,
} as const;
export const DNAME_INLINE_LEN = 40;
export const VFSMOUNT = { mnt_root: 0, mnt_sb: 8, mnt_flags: 16, size: 24 } as const;
/** struct mount: the hash link, parent, mountpoint, then the vfsmount callers are handed. */
export const MOUNT = { mnt_hash: 0, mnt_parent: 16, mnt_mountpoint: 24, mnt: 32, size: 56 } as const;
export const PATH = { mnt: 0, dentry: 8, size: 16 } as const;
export const FS_STRUCT = {
  users: 0,
  lock: 4,
  seq: 8,
  umask: 12,
  in_exec: 16,
  root: 24,
  pwd: 40,
  size: 56,
} as const;

/** Where the mounted filesystems sit, besides the root. */
const MOUNT_POINTS = ["/home", "/proc", "/tmp"];

interface Dentry {
  addr: number;
  children: Map<string, Dentry>;
}

interface Mount {
  addr: number;
  root: Dentry;
}

/** A resolved path: the vfsmount and dentry addresses (struct path). */
export interface PathRef {
  mnt: number;
  dentry: number;
}

export class MntNamespace {
  private readonly root: Mount;
  /** Mounts by the dentry they cover (the mountpoint's address). */
  private readonly mountedOn = new Map<number, Mount>();
  private readonly initFs: number;

  constructor(private readonly mem: KernelMemory) {
    this.root = this.allocMount(null, null);
    for (const point of MOUNT_POINTS) {
      const at = this.lookup(point);
      this.mountedOn.set(at.d.addr, this.allocMount(at.mnt, at.d));
    }
    this.initFs = this.alloc_fs_struct("/");
  }

  /** init's fs_struct (at /): what kernel threads and bpftrace have. */
  init_fs(): number {
    return this.initFs;
  }

  /** A new fs_struct with root / and pwd `cwd` (an absolute path), for a process's first task. */
  alloc_fs_struct(cwd: string): number {
    const mem = this.mem;
    const fs = mem.kmalloc(FS_STRUCT.size);
    mem.writeU32(fs + FS_STRUCT.users, 1);
    mem.writeU32(fs + FS_STRUCT.umask, 0o022);
    this.writePath(fs + FS_STRUCT.root, this.walk("/"));
    this.writePath(fs + FS_STRUCT.pwd, this.walk(cwd));
    return fs;
  }

  /** copy_fs_struct: a forked process's own fs_struct, with the parent's root and pwd. */
  copy_fs_struct(old: number): number {
    const fs = this.mem.kmalloc(FS_STRUCT.size);
    this.mem.copy(fs, old, FS_STRUCT.size);
    this.mem.writeU32(fs + FS_STRUCT.users, 1);
    return fs;
  }

  /** The path walk of an absolute path: the vfsmount and dentry it ends at. */
  walk(path: string): PathRef {
    const at = this.lookup(path);
    return { mnt: at.mnt.addr + MOUNT.mnt, dentry: at.d.addr };
  }

  /** Each component's dentry (made on first sight), crossing into what is mounted on it. */
  private lookup(path: string): { mnt: Mount; d: Dentry } {
    let mnt = this.root;
    let d = mnt.root;
    for (const name of path.split("/")) {
      if (name === "" || name === ".") continue;
      d = this.child(d, name);
      const mounted = this.mountedOn.get(d.addr);
      if (mounted !== undefined) {
        mnt = mounted;
        d = mounted.root;
      }
    }
    return { mnt, d };
  }

  private child(parent: Dentry, name: string): Dentry {
    const known = parent.children.get(name);
    if (known !== undefined) return known;
    const d = this.d_alloc(parent.addr, name);
    parent.children.set(name, d);
    return d;
  }

  /** d_alloc: a dentry named `name` under `parent` (itself when 0: a filesystem's root). */
  private d_alloc(parent: number, name: string): Dentry {
    const mem = this.mem;
    const addr = mem.kmalloc(DENTRY.size);
    const bytes = new TextEncoder().encode(name).subarray(0, DNAME_INLINE_LEN - 1);
    mem.writeU64(addr + DENTRY.d_parent, parent === 0 ? addr : parent);
    mem.writeU32(addr + DENTRY.d_name + QSTR.hash, full_name_hash(bytes));
    mem.writeU32(addr + DENTRY.d_name + QSTR.len, bytes.length);
    mem.writeU64(addr + DENTRY.d_name + QSTR.name, addr + DENTRY.d_iname);
    mem.writeBytes(addr + DENTRY.d_iname, bytes);
    return { addr, children: new Map() };
  }

  /** A mount of a new filesystem (its root dentry is "/"), on `mountpoint` of `parent`, or the namespace's root. */
  private allocMount(parent: Mount | null, mountpoint: Dentry | null): Mount {
    const mem = this.mem;
    const addr = mem.kmalloc(MOUNT.size);
    const root = this.d_alloc(0, "/");
    mem.writeU64(addr + MOUNT.mnt_parent, parent === null ? addr : parent.addr);
    mem.writeU64(addr + MOUNT.mnt_mountpoint, mountpoint === null ? root.addr : mountpoint.addr);
    mem.writeU64(addr + MOUNT.mnt + VFSMOUNT.mnt_root, root.addr);
    return { addr, root };
  }

  private writePath(at: number, p: PathRef): void {
    this.mem.writeU64(at + PATH.mnt, p.mnt);
    this.mem.writeU64(at + PATH.dentry, p.dentry);
  }
}

/** A 32-bit string hash standing in for full_name_hash (any stable hash serves the model). */
function full_name_hash(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}
