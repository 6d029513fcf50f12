/**
 * The fs model: inodes with symbol tables and their i_mmap index, and struct file.
 *
 * - `new Inode(m, { ino, path, size, symbols })`; `inode.i_mapping.i_mmap` (interval index),
 *   `inode.i_mapping.i_mmap_rwsem`, `*i_mmap_lock_read()` / `i_mmap_unlock_read()`,
 *   `inode.i_mmap_query(firstPage, lastPage)` -> VMAs mapping any page in that range.
 * - `inode.symbolAt(offset)`, `inode.symbolContaining(offset)`, `inode.insnAt(offset)`.
 * - `new Vfs(m, opts)` / `vfsOf(m)`: `alloc_file(inode)`, `get_file(f)`, `fput(f)`;
 *   files come from a typesafe-by-RCU cache (6.7+).
 */
export * from "./file.js";
export * from "./inode.js";
