// The language features of pipeline documents as pure functions over a document's text: no editor API and no
// LSP package here (src/server holds the thin LSP handlers). Positions and ranges are LSP's (0-based, UTF-16).
export { complete } from "./completion.js";
export { type CursorContext, cursorContext, schemaAt } from "./context.js";
export {
  codeActions,
  type DiagnoseOptions,
  diagnose,
  REFERENCES_NOT_CHECKED,
  SECRETS_NOT_CHECKED,
  toLspDiagnostic,
  toLspRange,
} from "./diagnostics.js";
export { isPipelineDocument, parseText } from "./document.js";
export { codeLenses, type LensOptions, NEXT_FIRE_TIMES, wallClock } from "./lenses.js";
export {
  definition,
  prepareRename,
  type RenameResult,
  references,
  rename,
  stepIdOccurrences,
} from "./navigation.js";
export { documentSymbols, type FormatOptions, foldingRanges, format, hover } from "./outline.js";
export {
  completeReferences,
  type Directory,
  type DirectoryBundle,
  type DirectoryRecipient,
  referenceHover,
  referenceKind,
} from "./references.js";
export { celSemanticTokens, celTokens, SEMANTIC_TOKEN_TYPES } from "./semantic.js";
export { LineIndex } from "./text.js";
export * from "./types.js";
