/**
 * Written types where `typeof(...)` may stand for a type's name: `(typeof($x) *)0`,
 * `let $y: typeof(x)`, `sizeof(typeof(uint64 *))`, and, inside a macro whose parameter was
 * given a typeof, `(T *)p`, `sizeof(T[2])`, `offsetof(T, m)`. Plain names go to CTypes.
 */
import type * as A from "./ast.js";
import type { CTypes } from "./c-types.js";
import type { DiagnosticSink } from "./diagnostics.js";
import { ERROR_TYPE, pointerTo, sizeOf, type Type, typeName } from "./types.js";

/** Where a type is written; a struct by value is allowed only as a "member" (sizeof, offsetof). */
export type TypePlace = "cast" | "declaration" | "member";

/** The checker's typing of an expression, which typeof(e) asks for without evaluating e. */
export type ExprTyper = (e: A.Expr) => Type;

/** The suffix written after a typeof: ` **`, `[2]`. */
function parseSuffix(text: string): { stars: number; length: number | undefined } {
  const m = /^\s*(\**)\s*(?:\[(\d*)\])?\s*$/.exec(text) ?? ["", "", undefined];
  return { stars: m[1]?.length ?? 0, length: m[2] === undefined ? undefined : Number(m[2] || 0) };
}

/**
 * A type an expression denotes rather than a value: a typeof, or a typeof indexed by a literal
 * (`T[2]` with `T` a typeof, bpftrace's array of T). Null for an ordinary expression.
 */
export function typeDenoted(e: A.Expr): A.TypeRef | null {
  if (e.kind === "typeof") return { kind: "typeRef", text: "", typeOf: e, span: e.span };
  if (e.kind === "index" && e.operand.kind === "typeof" && e.index.kind === "int") {
    return { kind: "typeRef", text: `[${e.index.value}]`, typeOf: e.operand, span: e.span };
  }
  return null;
}

export class TypeRefs {
  constructor(
    private readonly cTypes: CTypes,
    private readonly sink: DiagnosticSink,
    private readonly typeOfExpr: ExprTyper,
  ) {}

  /** The type `ref` names at `place`. */
  resolve(ref: A.TypeRef, place: TypePlace): Type {
    if (!ref.typeOf) return this.named(ref, place);
    const base = this.typeOf(ref.typeOf);
    if (base.kind === "error") return base;
    const { stars, length } = parseSuffix(ref.text);
    if (length !== undefined) {
      this.sink.error(
        `array types (${typeName(base)}${ref.text}) are only supported in sizeof by probelab`,
        ref.span,
      );
      return ERROR_TYPE;
    }
    let t = base;
    for (let i = 0; i < stars; i++) t = pointerTo(t);
    if (place !== "member" && t.kind === "struct") {
      this.sink.error(
        `Cannot use ${t.name} by value here; use a pointer (${t.name} *) and dereference it`,
        ref.span,
      );
      return ERROR_TYPE;
    }
    return t;
  }

  /** sizeof of a written type: a typeof array `T[N]` is N times T's size. */
  sizeOf(ref: A.TypeRef): number | null {
    const length = ref.typeOf ? parseSuffix(ref.text).length : undefined;
    if (length === undefined) {
      const t = this.resolve(ref, "member");
      return t.kind === "error" ? null : sizeOf(t);
    }
    const elem = this.resolve({ ...ref, text: ref.text.replace(/\[\d*\]\s*$/, "") }, "member");
    return elem.kind === "error" ? null : sizeOf(elem) * length;
  }

  /** The type a typeof stands for: the type it names, or its expression's type. */
  private typeOf(t: A.TypeofExpr): Type {
    if (t.of.kind === "typeRef") return this.resolve(t.of, "member");
    const denoted = typeDenoted(t.of);
    if (denoted) return this.resolve(denoted, "member");
    return this.typeOfExpr(t.of);
  }

  private named(ref: A.TypeRef, place: TypePlace): Type {
    if (place === "cast") return this.cTypes.resolveCast(ref, this.sink);
    if (place === "declaration") return this.cTypes.resolveDeclared(ref, this.sink);
    return this.cTypes.resolveSized(ref, this.sink);
  }
}
