// Shapes of the Language Server Protocol that the pure language functions return. Structurally the same as
// vscode-languageserver's types (numbers included), declared here so that src/language imports neither the
// editor API nor the LSP packages (.dependency-cruiser.cjs: language-functions-stay-pure).

/** 0-based line and UTF-16 code unit column, as in LSP. */
export interface Position {
  line: number;
  character: number;
}

/** End exclusive. */
export interface Range {
  start: Position;
  end: Position;
}

export const DiagnosticSeverity = { Error: 1, Warning: 2, Information: 3, Hint: 4 } as const;
export type DiagnosticSeverity = (typeof DiagnosticSeverity)[keyof typeof DiagnosticSeverity];

/** LSP's diagnostic tags: `Deprecated` makes editors strike the range through. */
export const DiagnosticTag = { Unnecessary: 1, Deprecated: 2 } as const;
export type DiagnosticTag = (typeof DiagnosticTag)[keyof typeof DiagnosticTag];

export interface Diagnostic {
  range: Range;
  severity: DiagnosticSeverity;
  tags?: DiagnosticTag[];
  /** A stable code of @latchflow/spec's DiagnosticCode, `references_not_checked` or `secrets_not_checked`. */
  code: string;
  source: "latchflow";
  message: string;
  /** The replacement the validator suggests ("did you mean"), for a quick fix. */
  data?: { suggestion: string };
}

export interface TextEdit {
  range: Range;
  newText: string;
}

export const CompletionItemKind = {
  Text: 1,
  Function: 3,
  Field: 5,
  Variable: 6,
  Module: 9,
  Property: 10,
  Value: 12,
  Keyword: 14,
  Snippet: 15,
  EnumMember: 20,
  Event: 23,
} as const;
export type CompletionItemKind = (typeof CompletionItemKind)[keyof typeof CompletionItemKind];

export interface MarkupContent {
  kind: "markdown";
  value: string;
}

export interface CompletionItem {
  label: string;
  kind: CompletionItemKind;
  detail?: string;
  documentation?: MarkupContent;
  /** Replaces `textEdit.range` (the word being typed) with `newText`. */
  textEdit?: TextEdit;
  insertText?: string;
  sortText?: string;
  filterText?: string;
}

export interface Hover {
  contents: MarkupContent;
  range?: Range;
}

export const SymbolKind = {
  Module: 2,
  Namespace: 3,
  Field: 8,
  Function: 12,
  Array: 18,
  Object: 19,
  Event: 24,
} as const;
export type SymbolKind = (typeof SymbolKind)[keyof typeof SymbolKind];

export interface DocumentSymbol {
  name: string;
  detail?: string;
  kind: SymbolKind;
  range: Range;
  selectionRange: Range;
  children?: DocumentSymbol[];
}

export interface FoldingRange {
  startLine: number;
  endLine: number;
  kind?: "comment" | "region";
}

export interface CodeAction {
  title: string;
  kind: "quickfix";
  diagnostics: Diagnostic[];
  isPreferred?: boolean;
  edit: { changes: Record<string, TextEdit[]> };
}

export interface Command {
  title: string;
  /** Empty for an informational lens (shown, not clickable). */
  command: string;
  arguments?: unknown[];
}

export interface CodeLens {
  range: Range;
  command: Command;
}
