/**
 * `%gr`: a kernel allocation's gfp_t flags by name, as bpftrace prints them. The bits are
 * include/linux/gfp_types.h's; the names are tried in the order of the kernel's
 * __def_gfpflag_names (mmflags.h), composite masks first, so GFP_KERNEL is named before the
 * single bits it is made of, and bits no name covers print as hex.
 */

const bit = (n: number): bigint => 1n << BigInt(n);

const __GFP_DMA = bit(0);
const __GFP_HIGHMEM = bit(1);
const __GFP_DMA32 = bit(2);
const __GFP_MOVABLE = bit(3);
// bit 4: __GFP_RECLAIMABLE, which the kernel's name list does not show by itself
const __GFP_HIGH = bit(5);
const __GFP_IO = bit(6);
const __GFP_FS = bit(7);
const __GFP_ZERO = bit(8);
// bit 9 is unused
const __GFP_DIRECT_RECLAIM = bit(10);
const __GFP_KSWAPD_RECLAIM = bit(11);
const __GFP_WRITE = bit(12);
const __GFP_NOWARN = bit(13);
const __GFP_RETRY_MAYFAIL = bit(14);
const __GFP_NOFAIL = bit(15);
const __GFP_NORETRY = bit(16);
const __GFP_MEMALLOC = bit(17);
const __GFP_COMP = bit(18);
const __GFP_NOMEMALLOC = bit(19);
const __GFP_HARDWALL = bit(20);
const __GFP_THISNODE = bit(21);
const __GFP_ACCOUNT = bit(22);
const __GFP_ZEROTAGS = bit(23);
const __GFP_SKIP_ZERO = bit(24);
const __GFP_SKIP_KASAN = bit(25);
const __GFP_NO_OBJ_EXT = bit(26);

const __GFP_RECLAIM = __GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM;
const GFP_ATOMIC = __GFP_HIGH | __GFP_KSWAPD_RECLAIM;
const GFP_KERNEL = __GFP_RECLAIM | __GFP_IO | __GFP_FS;
const GFP_KERNEL_ACCOUNT = GFP_KERNEL | __GFP_ACCOUNT;
const GFP_NOWAIT = __GFP_KSWAPD_RECLAIM | __GFP_NOWARN;
const GFP_NOIO = __GFP_RECLAIM;
const GFP_NOFS = __GFP_RECLAIM | __GFP_IO;
const GFP_USER = __GFP_RECLAIM | __GFP_IO | __GFP_FS | __GFP_HARDWALL;
const GFP_HIGHUSER = GFP_USER | __GFP_HIGHMEM;
const GFP_HIGHUSER_MOVABLE = GFP_HIGHUSER | __GFP_MOVABLE | __GFP_SKIP_KASAN;
const GFP_TRANSHUGE_LIGHT =
  (GFP_HIGHUSER_MOVABLE | __GFP_COMP | __GFP_NOMEMALLOC | __GFP_NOWARN) & ~__GFP_RECLAIM;
const GFP_TRANSHUGE = GFP_TRANSHUGE_LIGHT | __GFP_DIRECT_RECLAIM;

const NAMES: readonly (readonly [bigint, string])[] = [
  [GFP_TRANSHUGE, "GFP_TRANSHUGE"],
  [GFP_TRANSHUGE_LIGHT, "GFP_TRANSHUGE_LIGHT"],
  [GFP_HIGHUSER_MOVABLE, "GFP_HIGHUSER_MOVABLE"],
  [GFP_HIGHUSER, "GFP_HIGHUSER"],
  [GFP_USER, "GFP_USER"],
  [GFP_KERNEL_ACCOUNT, "GFP_KERNEL_ACCOUNT"],
  [GFP_KERNEL, "GFP_KERNEL"],
  [GFP_NOFS, "GFP_NOFS"],
  [GFP_ATOMIC, "GFP_ATOMIC"],
  [GFP_NOIO, "GFP_NOIO"],
  [GFP_NOWAIT, "GFP_NOWAIT"],
  [__GFP_DMA, "GFP_DMA"],
  [__GFP_HIGHMEM, "__GFP_HIGHMEM"],
  [__GFP_DMA32, "GFP_DMA32"],
  [__GFP_HIGH, "__GFP_HIGH"],
  [__GFP_IO, "__GFP_IO"],
  [__GFP_FS, "__GFP_FS"],
  [__GFP_ZERO, "__GFP_ZERO"],
  [__GFP_DIRECT_RECLAIM, "__GFP_DIRECT_RECLAIM"],
  [__GFP_KSWAPD_RECLAIM, "__GFP_KSWAPD_RECLAIM"],
  [__GFP_WRITE, "__GFP_WRITE"],
  [__GFP_NOWARN, "__GFP_NOWARN"],
  [__GFP_RETRY_MAYFAIL, "__GFP_RETRY_MAYFAIL"],
  [__GFP_NOFAIL, "__GFP_NOFAIL"],
  [__GFP_NORETRY, "__GFP_NORETRY"],
  [__GFP_MEMALLOC, "__GFP_MEMALLOC"],
  [__GFP_COMP, "__GFP_COMP"],
  [__GFP_NOMEMALLOC, "__GFP_NOMEMALLOC"],
  [__GFP_HARDWALL, "__GFP_HARDWALL"],
  [__GFP_THISNODE, "__GFP_THISNODE"],
  [__GFP_ACCOUNT, "__GFP_ACCOUNT"],
  [__GFP_ZEROTAGS, "__GFP_ZEROTAGS"],
  [__GFP_SKIP_ZERO, "__GFP_SKIP_ZERO"],
  [__GFP_SKIP_KASAN, "__GFP_SKIP_KASAN"],
  [__GFP_NO_OBJ_EXT, "__GFP_NO_OBJ_EXT"],
];

/** `GFP_KERNEL|__GFP_ZERO`, `0` for none, leftover bits as `0x...` at the end. */
export function formatGfpFlags(flags: bigint): string {
  if (flags === 0n) return "0";
  const names: string[] = [];
  let left = flags;
  for (const [mask, name] of NAMES) {
    if ((left & mask) !== mask) continue;
    names.push(name);
    left &= ~mask;
  }
  if (left !== 0n) names.push(`0x${left.toString(16)}`);
  return names.join("|");
}
