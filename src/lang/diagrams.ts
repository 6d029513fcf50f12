/**
 * Railroad diagrams of the grammar, generated from the parser itself so they cannot drift:
 * `npm run diagrams` writes grammar/diagrams.html (a test fails when the checked-in file is stale).
 */
import { pathToFileURL } from "node:url";
import { createSyntaxDiagramsCode } from "./chevrotain.js";
import { parser } from "./grammar.js";

/** The HTML page with one diagram per grammar rule. */
export function diagramsHtml(): string {
  return createSyntaxDiagramsCode(parser.getSerializedGastProductions());
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(diagramsHtml());
}
