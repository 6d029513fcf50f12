/** Workloads: simulated binaries and the process that runs them. Public surface of src/process. */

export { deriveSeed, Prng } from "../sim/prng.js";
export { formatLimit, MAX_SCRIPT_BYTES, MAX_WORKLOAD_BYTES, readTextBounded } from "./bounded-read.js";
export { WorkloadError } from "./errors.js";
export { GlobError, globError, globMatch, hasWildcard } from "./glob.js";
export {
  type AddressInfo,
  addressToOffset,
  type Binary,
  type BinarySymbol,
  findSymbol,
  listSymbols,
  lookupAddress,
  type Mapping,
  mappingCoversOffset,
  matchSymbols,
  offsetToAddress,
  PAGE_SIZE,
  resolveTarget,
  shownTarget,
  symbolAtOffset,
  symbolAtVaddr,
  type UsdtNote,
} from "./layout.js";
export {
  bundledNames,
  type LoadOptions,
  listWorkloads,
  loadWorkload,
  loadWorkloadText,
  processBinaries,
  type ThreadPlan,
  type Workload,
  type WorkloadProcess,
} from "./load.js";
export { encodeMemBlock, UserMemory } from "./memory.js";
export { findMirror, type Mirror, mirrorNames } from "./mirrors.js";
export * from "./program.js";
export { describeThread, walkProgram } from "./reference.js";
export { type FirstInsn, PROT_EXEC, PROT_READ, PROT_WRITE } from "./schema.js";
export { parseSize, parseTime } from "./units.js";
export * from "./values.js";
