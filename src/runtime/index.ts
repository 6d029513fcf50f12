/** The runtime's public surface in one import: values, maps, formatting, printf and output. */

export * from "./aggregations.js";
export * from "./format.js";
export * from "./histogram.js";
export type { Int } from "./int64.js";
export * as int64 from "./int64.js";
export * from "./maps.js";
export * from "./output.js";
export * from "./printf.js";
export * from "./strftime.js";
export * from "./types.js";
export * from "./values.js";
