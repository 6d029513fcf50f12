/**
 * The GNU build ID of a workload binary, for `ustack(build_id)`. A simulated binary has no
 * ELF notes, so its 20-byte ID (the size of a SHA-1 build ID, BPF_BUILD_ID_SIZE) is derived
 * from its path: the same binary has the same ID in every run, and two binaries differ.
 */
import type { Binary } from "./layout.js";

const ids = new WeakMap<Binary, string>();

/** The binary's build ID as 40 hex digits. */
export function buildIdOf(binary: Binary): string {
  let id = ids.get(binary);
  if (id === undefined) {
    id = "";
    // Five rounds of 32-bit FNV-1a over the path, each seeded differently.
    for (let round = 0; round < 5; round++) {
      let h = (0x811c9dc5 ^ (round * 0x9e3779b9)) >>> 0;
      for (let i = 0; i < binary.path.length; i++)
        h = Math.imul(h ^ binary.path.charCodeAt(i), 0x01000193) >>> 0;
      id += h.toString(16).padStart(8, "0");
    }
    ids.set(binary, id);
  }
  return id;
}
