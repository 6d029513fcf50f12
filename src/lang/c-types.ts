/**
 * C types: the struct and union definitions at the top of a script, laid out as an x86-64 C
 * compiler lays them out (LP64: natural alignment, members in order, each at the next offset
 * its alignment allows, the whole padded to its largest member's alignment; bitfields packed
 * into units of their type as the System V ABI does), and the type names casts and struct
 * members may use.
 */
import type { EnumDef, StructDef, StructFieldDef, TypeRef } from "./ast.js";
import type { DiagnosticSink } from "./diagnostics.js";
import { own } from "./own.js";
import { didYouMean } from "./suggest.js";
import {
  alignOf,
  arrayOf,
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
  typeName,
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

/** Whether `text` names a builtin type by itself (`unsigned int`, `u32`): a bitfield with no name. */
export function isTypeName(text: string): boolean {
  return own(BPFTRACE_NAMES, text) !== undefined || own(C_NAMES, text) !== undefined;
}

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

type Where = "cast" | "declaration" | "member";

/** The struct and union types of one program, and the resolution of type names against them. */
export class CTypes {
  private readonly structs = new Map<string, StructType>();
  /** Structs whose members are laid out; a by-value member must name one of these. */
  private readonly complete = new Set<StructType>();
  /** The type each definition (nested ones included) laid out into. */
  private readonly defined = new Map<StructDef, StructType>();

  /** Named enums' types, by `enum Foo`. */
  private readonly enums = new Map<string, IntType>();
  /** Every enum variant: its value and its enum's type. */
  readonly enumConstants = new Map<string, { value: bigint; type: IntType }>();

  /** Lays out every definition; problems with the definitions themselves go to `sink`. */
  constructor(defs: readonly StructDef[], sink: DiagnosticSink, enums: readonly EnumDef[] = []) {
    for (const def of enums) this.defineEnum(def, sink);
    // Every name first (nested definitions' too: C gives their tags file scope), so a member
    // may point to a struct defined later (or to its own).
    for (const def of withNested(defs)) {
      if (def.name === null) continue;
      if (this.structs.has(def.name)) {
        sink.error(`Redefinition of ${def.name}`, def.span);
        continue;
      }
      this.structs.set(def.name, emptyStruct(def.name));
    }
    for (const def of defs) this.typeOf(def, sink);
  }

  /** The type a definition declares, laid out on first use (nested ones before their owner). */
  private typeOf(def: StructDef, sink: DiagnosticSink): StructType {
    const known = this.defined.get(def);
    if (known) return known;
    const named = def.name === null ? undefined : this.structs.get(def.name);
    // A redefinition lays out into a struct of its own, so its errors are still reported.
    const fresh = named === undefined || [...this.defined.values()].includes(named);
    const kind = def.union ? "union" : "struct";
    const struct = fresh
      ? emptyStruct(def.name ?? `${kind} (unnamed at ${def.span.line}:${def.span.col})`)
      : named;
    this.defined.set(def, struct);
    this.layOut(def, struct, sink);
    return struct;
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

  /** The type `sizeof(T)` and `offsetof(T, m)` name: structs by value too. */
  resolveSized(ref: TypeRef, sink: DiagnosticSink): Type {
    return this.resolve(ref, "member", sink);
  }

  /** The type `let $x: T` names. */
  resolveDeclared(ref: TypeRef, sink: DiagnosticSink): Type {
    return this.resolve(ref, "declaration", sink);
  }

  private resolve(
    ref: TypeRef,
    where: Where,
    sink: DiagnosticSink,
    base: Type | undefined = undefined,
  ): Type {
    const parsed = parseTypeText(ref.text);
    let t = base ?? this.baseType(parsed.base, ref, parsed.stars > 0, sink);
    if (t.kind === "error") return t;
    for (let i = 0; i < parsed.stars; i++) t = pointerTo(t);
    if (parsed.length !== undefined) return this.arrayType(ref, t, parsed, where, sink);
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
   * `T[N]`. In a struct, a `char` array is a string of up to N-1 characters (NUL-terminated
   * within its N bytes), as bpftrace converts char arrays; other members are arrays of their
   * element. A cast makes integer or bool arrays, `[]` taking its length from the operand.
   */
  private arrayType(
    ref: TypeRef,
    element: Type,
    parsed: ParsedTypeText,
    where: Where,
    sink: DiagnosticSink,
  ): Type {
    const unsupported = (why: string) => {
      sink.error(`array types (${ref.text}) are not supported by probelab (${why})`, ref.span);
      return ERROR_TYPE;
    };
    if (where === "declaration")
      return unsupported("in declarations; cast a value to the array type instead");
    if (where === "cast") {
      if (element.kind !== "int" && element.kind !== "bool")
        return unsupported("casts make integer and bool arrays");
      return arrayOf(element, parsed.length!);
    }
    if (!parsed.length) return unsupported("a member array needs a length");
    if (parsed.base === "char" && parsed.stars === 0) return stringType(parsed.length);
    if (element.kind === "none") return unsupported("void elements");
    return arrayOf(element, parsed.length);
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

  /**
   * C layout: each member at the next offset its alignment allows (all at 0 in a union),
   * bitfields in the units of their type, an anonymous member's members lifted into this one.
   */
  private layOut(def: StructDef, struct: StructType, sink: DiagnosticSink): void {
    const layout = new Layout(def);
    const seen = new Set<string>();
    const add = (member: StructMember, span: StructFieldDef["span"]) => {
      if (seen.has(member.name)) {
        sink.error(`Duplicate member '${member.name}' in ${struct.name}`, span);
        return;
      }
      seen.add(member.name);
      layout.fields.push(member);
    };
    for (const f of def.fields) {
      const inner = f.inline ? this.typeOf(f.inline, sink) : undefined;
      if (f.name === "" && inner) {
        // `union { ... };` lifts its members; `struct Tag { ... };` only defines the tag.
        if (f.inline!.name !== null) continue;
        const at = layout.place(inner);
        for (const m of inner.fields) add({ ...m, offset: at + m.offset }, f.span);
        continue;
      }
      const type = this.memberType(f.type, struct, sink, inner);
      if (type.kind === "error") continue;
      if (f.bits !== undefined) {
        const bitfield = this.bitfield(f, type, layout, sink);
        if (bitfield && f.name !== "") add(bitfield, f.span);
        continue;
      }
      add({ name: f.name, type, offset: layout.place(type) }, f.span);
    }
    layout.finish(struct);
    this.complete.add(struct);
  }

  /** A `NAME : BITS` member, placed; null for an error or a padding bitfield. */
  private bitfield(f: StructFieldDef, type: Type, layout: Layout, sink: DiagnosticSink): StructMember | null {
    const bits = f.bits!;
    const what = f.name === "" ? "an unnamed bit-field" : `bit-field '${f.name}'`;
    if (type.kind !== "int" && type.kind !== "bool") {
      sink.error(`${what} has non-integral type ${typeName(type)}`, f.span);
      return null;
    }
    const width = sizeOf(type) * 8;
    if (bits > width) {
      sink.error(`width of ${what} (${bits} bits) exceeds the width of its type (${width} bits)`, f.span);
      return null;
    }
    if (bits === 0 && f.name !== "") {
      sink.error(`named ${what} has zero width`, f.span);
      return null;
    }
    const placed = layout.placeBits(type, bits, f.name !== "");
    return placed === null ? null : { name: f.name, type, ...placed };
  }

  /** A member's type: by-value structs must already be complete (C's rule, and no cycles). */
  private memberType(ref: TypeRef, owner: StructType, sink: DiagnosticSink, inline?: StructType): Type {
    const t = this.resolve(ref, "member", sink, inline);
    const element = t.kind === "array" ? t.element : t;
    if (element.kind === "struct" && !this.complete.has(element)) {
      const why = element === owner ? "contains itself" : `uses ${element.name} before its definition`;
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

/**
 * Where the next member of one definition goes: a running offset in bits (bitfields need
 * bits), the size and alignment so far, and the attributes that change both.
 */
class Layout {
  readonly fields: StructMember[] = [];
  private bit = 0;
  private size = 0;
  private align = 1;
  private readonly union: boolean;
  private readonly packed: boolean;
  private readonly aligned: number;

  constructor(def: StructDef) {
    this.union = def.union;
    this.packed = def.packed === true;
    this.aligned = def.aligned ?? 1;
  }

  /** The byte offset of a whole member of type `t`. */
  place(t: Type): number {
    const a = this.packed ? 1 : alignOf(t);
    const at = this.union ? 0 : alignUp(Math.ceil(this.bit / 8), a);
    this.bit = (at + sizeOf(t)) * 8;
    this.grow(a);
    return at;
  }

  /**
   * A bitfield of `bits` bits of type `t`: at the next bit, unless it would cross a unit of
   * `t` (not in a packed struct); width 0 closes the unit. Unnamed ones leave the struct's
   * alignment alone (System V ABI).
   */
  placeBits(t: Type, bits: number, named: boolean): Pick<StructMember, "offset" | "bitfield"> | null {
    const unit = sizeOf(t) * 8;
    let start = this.union ? 0 : this.bit;
    if (bits === 0) {
      this.bit = alignUp(start, unit);
      return null;
    }
    const crosses = Math.floor(start / unit) !== Math.floor((start + bits - 1) / unit);
    if (crosses && !this.packed) start = alignUp(start, unit);
    this.bit = start + bits;
    this.grow(named && !this.packed ? alignOf(t) : 1);
    const shift = start % 8;
    return { offset: Math.floor(start / 8), bitfield: { shift, bits, bytes: Math.ceil((shift + bits) / 8) } };
  }

  private grow(align: number): void {
    this.size = Math.max(this.size, Math.ceil(this.bit / 8));
    this.align = Math.max(this.align, align);
  }

  /** The whole padded to its alignment (`aligned(N)` only ever raises it). */
  finish(struct: StructType): void {
    const align = Math.max(this.align, this.aligned);
    struct.fields = this.fields;
    struct.size = alignUp(this.size, align);
    struct.align = align;
  }
}

function emptyStruct(name: string): StructType {
  return { kind: "struct", name, fields: [], size: 0, align: 1 };
}

/** The definitions and, before each, the ones nested in it. */
function withNested(defs: readonly StructDef[]): StructDef[] {
  const out: StructDef[] = [];
  const visit = (def: StructDef) => {
    for (const f of def.fields) if (f.inline) visit(f.inline);
    out.push(def);
  };
  for (const def of defs) visit(def);
  return out;
}

function alignUp(n: number, align: number): number {
  return Math.ceil(n / align) * align;
}
