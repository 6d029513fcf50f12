/**
 * `config().key`: the configuration is fixed before any probe runs, so every read becomes a
 * literal between macro expansion and checking (an integer, string or bool, as the key takes).
 */
import type * as A from "./ast.js";
import { CONFIG_KEYS, configValue } from "./config.js";
import type { DiagnosticSink } from "./diagnostics.js";
import { literalExpr } from "./literals.js";
import { type AnyNode, rewriteChildren } from "./macros.js";
import { didYouMean } from "./suggest.js";

function isConfigCall(n: A.Expr): boolean {
  return n.kind === "call" && n.name === "config" && n.args.length === 0;
}

export function substituteConfigReads(
  program: A.Program,
  config: A.ResolvedConfig,
  sink: DiagnosticSink,
): void {
  const visit = (n: AnyNode): AnyNode | undefined => {
    if (n.kind !== "field") return undefined;
    const field = n as unknown as A.FieldExpr;
    if (!isConfigCall(field.operand)) return undefined;
    const value = configValue(config, field.field);
    if (value === undefined) {
      sink.error(
        `config() has no option named '${field.field}'`,
        field.span,
        didYouMean(field.field, CONFIG_KEYS),
      );
      return literalExpr(0n, field.span) as unknown as AnyNode;
    }
    return literalExpr(value, field.span) as unknown as AnyNode;
  };
  for (const probe of program.probes) rewriteChildren(probe, visit);
}
