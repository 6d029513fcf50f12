/**
 * C types: the struct and union definitions at the top of a script, laid out as an x86-64 C
 * compiler lays them out (LP64: natural alignment, members in order, each at the next offset
 * its alignment allows, the whole padded to its largest member's alignment), and the type
 * names casts and struct members may use.
 */
import type { EnumDef, StructDef, TypeRef } from "./ast.js";
import type { DiagnosticSink } from "./diagnostics.js";
import { own } from "./own.js";
import { didYouMean } from "./suggest.js";
import {
  alignOf,
  BOOL,
  ERROR_TYPE,
  type IntType,
  intType,
  NONE,
  pointerTo,
  type StructMember,
  type StructType,
  sizeOf,
  stringType,
  type Type,
} from "./types.js";

const I8 = intType(8, true);
const U8 = intType(8, false);
const I16 = intType(16, true);
const U16 = intType(16, false);
const I32 = intType(32, true);
const U32 = intType(32, false);
const I64 = intType(64, true);
const U64 = intType(64, false);

/** bpftrace's own type names: what a cast may name. */
const BPFTRACE_NAMES: Record<string, Type> = {
  int8: I8,
  int16: I16,
  int32: I32,
  int64: I64,
  uint8: U8,
  uint16: U16,
  uint32: U32,
  uint64: U64,
  bool: BOOL,
};

/** C's integer types on x86-64 (char is signed, long is 64 bits) and the common fixed-width typedefs. */
const C_NAMES: Record<string, Type> = {
  char: I8,
  "signed char": I8,
  "unsigned char": U8,
  short: I16,
  "short int": I16,
  "signed short": I16,
  "signed short int": I16,
  "unsigned short": U16,
  "unsigned short int": U16,
  int: I32,
  signed: I32,
  "signed int": I32,
  unsigned: U32,
  "unsigned int": U32,
  long: I64,
  "long int": I64,
  "signed long": I64,
  "signed long int": I64,
  "unsigned long": U64,
  "unsigned long int": U64,
  "long long": I64,
  "long long int": I64,
  "signed long long": I64,
  "signed long long int": I64,
  "unsigned long long": U64,
  "unsigned long long int": U64,
  _Bool: BOOL,
  int8_t: I8,
  int16_t: I16,
  int32_t: I32,
  int64_t: I64,
  uint8_t: U8,
  uint16_t: U16,
  uint32_t: U32,
  uint64_t: U64,
  s8: I8,
  s16: I16,
  s32: I32,
  s64: I64,
  u8: U8,
  u16: U16,
  u32: U32,
  u64: U64,
  __s8: I8,
  __s16: I16,
  __s32: I32,
  __s64: I64,
  __u8: U8,
  __u16: U16,
  __u32: U32,
  __u64: U64,
  size_t: U64,
  ssize_t: I64,
  uintptr_t: U64,
  intptr_t: I64,
  off_t: I64,
  pid_t: I32,
  uid_t: U32,
  gid_t: U32,
};

/** Element types of the arrays probelab reads as strings. */
const CHAR_NAMES = new Set([
  "char",
  "signed char",
  "unsigned char",
  "int8",
  "uint8",
  "int8_t",
  "uint8_t",
  "s8",
  "u8",
  "__s8",
  "__u8",
]);

/** Qualifiers that change nothing about a type's layout. */
const QUALIFIERS = new Set(["const", "volatile", "restrict"]);

/** `struct Foo *` → base `struct Foo`, 1 star; `char[16]` → base `char`, length 16. */
interface ParsedTypeText {
  base: string;
  stars: number;
  /** `[N]`: N; `[]`: 0; no brackets: undefined. */
  length?: number;
}

function parseTypeText(text: string): ParsedTypeText {
  let rest = text.trim();
  let length: number | undefined;
  const array = /\[(\d*)\]$/.exec(rest);
  if (array) {
    length = array[1] === "" ? 0 : Number(array[1]);
    rest = rest.slice(0, array.index).trim();
  }
  let stars = 0;
  while (rest.endsWith("*")) {
    stars++;
    rest = rest.slice(0, -1).trim();
  }
  const base = rest
    .split(/\s+/)
    .filter((w) => !QUALIFIERS.has(w))
    .join(" ");
  return length === undefined ? { base, stars } : { base, stars, length };
}

/** The struct and union types of one program, and the resolution of type names against them. */
export class CTypes {
  private readonly structs = new Map<string, StructType>();
  /** Structs whose members are laid out; a by-value member must name one of these. */
  private readonly complete = new Set<StructType>();

  /** Named enums' types, by `enum Foo`. */
  private readonly enums = new Map<string, IntType>();
  /** Every enum variant: its value and its enum's type. */
  readonly enumConstants = new Map<string, { value: bigint; type: IntType }>();

  /** Lays out every definition; problems with the definitions themselves go to `sink`. */
  constructor(defs: readonly StructDef[], sink: DiagnosticSink, enums: readonly EnumDef[] = []) {
    for (const def of enums) this.defineEnum(def, sink);
    // Every name first, so a member may point to a struct defined later (or to its own).
    for (const def of defs) {
      if (this.structs.has(def.name)) {
        sink.error(`Redefinition of ${def.name}`, def.span);
        continue;
      }
      this.structs.set(def.name, { kind: "struct", name: def.name, fields: [], size: 0, align: 1 });
    }
    const laidOut = new Set<string>();
    for (const def of defs) {
      if (laidOut.has(def.name)) continue;
      laidOut.add(def.name);
      this.layOut(def, this.structs.get(def.name)!, sink);
    }
  }

  /** C's rule: a variant without a value is one more than the one before it (the first is 0). */
  private defineEnum(def: EnumDef, sink: DiagnosticSink): void {
    if (def.name !== null && this.enums.has(def.name)) {
      sink.error(`Redefinition of ${def.name}`, def.span);
      return;
    }
    const names = new Map<string, string>();
    const type: IntType = { kind: "int", bits: 64, signed: true, enum: { name: def.name ?? "enum", names } };
    let next = 0n;
    for (const v of def.variants) {
      const value = v.value ?? next;
      next = value + 1n;
      if (this.enumConstants.has(v.name)) {
        sink.error(`Redefinition of enum variant ${v.name}`, v.span);
        continue;
      }
      this.enumConstants.set(v.name, { value, type });
      if (!names.has(value.toString())) names.set(value.toString(), v.name);
    }
    if (def.name !== null) this.enums.set(def.name, type);
  }

  /** The type a cast names: bpftrace's names, C integer names, structs, pointers to any of them. */
  resolveCast(ref: TypeRef, sink: DiagnosticSink): Type {
    return this.resolve(ref, "cast", sink);
  }

  /** The type `let $x: T` names. */
  resolveDeclared(ref: TypeRef, sink: DiagnosticSink): Type {
    return this.resolve(ref, "declaration", sink);
  }

  private resolve(ref: TypeRef, where: "cast" | "declaration" | "member", sink: DiagnosticSink): Type {
    const parsed = parseTypeText(ref.text);
    if (parsed.length !== undefined) return this.arrayType(ref, parsed, where, sink);
    let t = this.baseType(parsed.base, ref, parsed.stars > 0, sink);
    if (t.kind === "error") return t;
    for (let i = 0; i < parsed.stars; i++) t = pointerTo(t);
    if (where !== "member" && t.kind === "struct") {
      sink.error(
        `Cannot use ${t.name} by value here; use a pointer (${t.name} *) and dereference it`,
        ref.span,
      );
      return ERROR_TYPE;
    }
    return t;
  }

  /**
   * A fixed array member. Only byte arrays are supported: `char name[16]` is a string of up to
   * 15 characters (NUL-terminated within its 16 bytes), as bpftrace prints char arrays.
   */
  private arrayType(
    ref: TypeRef,
    parsed: ParsedTypeText,
    where: "cast" | "declaration" | "member",
    sink: DiagnosticSink,
  ): Type {
    const byte = parsed.stars === 0 && CHAR_NAMES.has(parsed.base);
    if (where !== "member" || !byte || !parsed.length) {
      const why =
        where === "member" && byte ? "needs a length" : "only char arrays in structs, read as strings";
      sink.error(`array types (${ref.text}) are not supported by probelab (${why})`, ref.span);
      return ERROR_TYPE;
    }
    return stringType(parsed.length);
  }

  /** A base type name; `void` only behind a pointer. */
  private baseType(base: string, ref: TypeRef, pointee: boolean, sink: DiagnosticSink): Type {
    if (base === "void") {
      if (pointee) return NONE;
      sink.error("void is only allowed behind a pointer (void *)", ref.span);
      return ERROR_TYPE;
    }
    const named = own(BPFTRACE_NAMES, base) ?? own(C_NAMES, base);
    if (named) return named;
    const struct = /^(struct|union) /.test(base) ? this.structs.get(base) : undefined;
    if (struct) return struct;
    if (/^(struct|union) /.test(base)) {
      const kind = base.startsWith("union") ? "union" : "struct";
      const known = [...this.structs.keys()].filter((n) => n.startsWith(kind));
      sink.error(`Unknown ${kind}: ${base}`, ref.span, didYouMean(base, known));
    } else if (base.startsWith("enum ")) {
      const e = this.enums.get(base);
      if (e) return e;
      sink.error(`Unknown enum: ${base}`, ref.span, didYouMean(base, [...this.enums.keys()]));
    } else {
      const names = [...Object.keys(BPFTRACE_NAMES), ...this.structs.keys()];
      sink.error(`Unknown type: ${base}`, ref.span, didYouMean(base, names));
    }
    return ERROR_TYPE;
  }

  /** C layout: each member at the next offset its alignment allows (all at 0 in a union). */
  private layOut(def: StructDef, struct: StructType, sink: DiagnosticSink): void {
    const fields: StructMember[] = [];
    const seen = new Set<string>();
    let offset = 0;
    let size = 0;
    let align = 1;
    for (const f of def.fields) {
      if (seen.has(f.name)) {
        sink.error(`Duplicate member '${f.name}' in ${def.name}`, f.span);
        continue;
      }
      seen.add(f.name);
      const type = this.memberType(f.type, struct, sink);
      if (type.kind === "error") continue;
      const a = alignOf(type);
      const at = def.union ? 0 : alignUp(offset, a);
      fields.push({ name: f.name, type, offset: at });
      offset = at + sizeOf(type);
      size = Math.max(size, offset);
      align = Math.max(align, a);
    }
    struct.fields = fields;
    struct.size = alignUp(size, align);
    struct.align = align;
    this.complete.add(struct);
  }

  /** A member's type: by-value structs must already be complete (C's rule, and no cycles). */
  private memberType(ref: TypeRef, owner: StructType, sink: DiagnosticSink): Type {
    const t = this.resolve(ref, "member", sink);
    if (t.kind === "struct" && !this.complete.has(t)) {
      const why = t === owner ? "contains itself" : `uses ${t.name} before its definition`;
      sink.error(`${owner.name} ${why}; a member of struct type needs a complete type`, ref.span);
      return ERROR_TYPE;
    }
    if (t.kind === "none") {
      sink.error("a member cannot have type void", ref.span);
      return ERROR_TYPE;
    }
    return t;
  }
}

function alignUp(n: number, align: number): number {
  return Math.ceil(n / align) * align;
}
