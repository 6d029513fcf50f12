/**
 * Enum variants as constants: between macro expansion and checking, every bare identifier
 * that names a variant of a C enum defined in the script becomes an integer literal that
 * remembers its enum, so it prints as the variant's name (`%s`, print, map keys and values)
 * until arithmetic makes it a plain integer, as in bpftrace.
 */
import type * as A from "./ast.js";
import type { CTypes } from "./c-types.js";
import { type AnyNode, rewriteChildren } from "./macros.js";

export function substituteEnumVariants(program: A.Program, cTypes: CTypes): void {
  if (cTypes.enumConstants.size === 0) return;
  const visit = (n: AnyNode): AnyNode | undefined => {
    if (n.kind !== "call") return undefined;
    const call = n as unknown as A.CallExpr;
    const constant = call.bare && call.args.length === 0 ? cTypes.enumConstants.get(call.name) : undefined;
    if (!constant) return undefined;
    const literal: A.IntExpr = {
      kind: "int",
      value: constant.value,
      text: call.name,
      enumName: constant.type.enum!.name,
      type: constant.type,
      span: call.span,
    };
    return literal as unknown as AnyNode;
  };
  for (const probe of program.probes) rewriteChildren(probe, visit);
}
