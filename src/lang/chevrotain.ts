/**
 * Chevrotain, loaded from its own single-file bundle.
 *
 * The package's entry point is its ES module tree, which imports lodash-es function by
 * function: loading it means resolving, reading and linking several hundred files, about
 * 400 ms of every `probelab run` on this project's machines. The same release ships that
 * code as one module (`lib/chevrotain.mjs`, beside the tree), which loads in about 30 ms. The
 * package's `exports` map does not name it, so it is found next to the entry point the
 * package does export; should a release stop shipping it, the entry point is used instead.
 *
 * Every runtime use of Chevrotain goes through this module, so the lexer, the parser and
 * the token types all come from one copy (type-only imports may name "chevrotain" itself).
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";

type Chevrotain = typeof import("chevrotain");

async function loadChevrotain(): Promise<Chevrotain> {
  const entry = createRequire(import.meta.url).resolve("chevrotain"); // .../lib/src/api.js
  const bundle = join(dirname(entry), "..", "chevrotain.mjs");
  if (existsSync(bundle)) return (await import(/* @vite-ignore */ pathToFileURL(bundle).href)) as Chevrotain;
  return import("chevrotain");
}

const chevrotain = await loadChevrotain();

export const { createSyntaxDiagramsCode, createToken, CstParser, EMPTY_ALT, EOF, Lexer, tokenMatcher } =
  chevrotain;
/** The classes are types too, as when imported from the package. */
export type Lexer = import("chevrotain").Lexer;
export type CstParser = import("chevrotain").CstParser;
export type {
  CstElement,
  CstNode,
  IParserErrorMessageProvider,
  IToken,
  TokenType,
} from "chevrotain";
