/** Plain-language messages (and a fix) for JSON syntax errors, from jsonc-parser's error codes. */
import type { Node as JsonNode } from 'jsonc-parser/lib/esm/main.js';

/** jsonc-parser's error codes (a `const enum` there, which isolatedModules cannot read). */
export const ParseErrorCode = {
  InvalidSymbol: 1,
  InvalidNumberFormat: 2,
  PropertyNameExpected: 3,
  ValueExpected: 4,
  ColonExpected: 5,
  CommaExpected: 6,
  CloseBraceExpected: 7,
  CloseBracketExpected: 8,
  EndOfFileExpected: 9,
  InvalidCommentToken: 10,
  UnexpectedEndOfComment: 11,
  UnexpectedEndOfString: 12,
  UnexpectedEndOfNumber: 13,
  InvalidUnicode: 14,
  InvalidEscapeCharacter: 15,
  InvalidCharacter: 16,
} as const;
export type ParseErrorCode = number;

function prevNonSpace(text: string, offset: number): number {
  let i = offset - 1;
  while (i >= 0 && /\s/.test(text[i])) i--;
  return i;
}

export interface JsonErrorText {
  offset: number;
  message: string;
  hint: string | undefined;
}

/** What a jsonc-parser error means for a person editing the file, and where to show it. */
export function describeJsonError(
  text: string,
  code: ParseErrorCode,
  offset: number,
  root: JsonNode | undefined,
): JsonErrorText {
  const structural = structuralError(text, code, offset, root);
  if (structural) return structural;
  const at = text[offset];
  switch (code) {
    case ParseErrorCode.InvalidCommentToken:
      return {
        offset,
        message: 'comments are not allowed in JSON',
        hint: 'remove the comment, or use a .yaml config, which allows # comments',
      };
    case ParseErrorCode.InvalidEscapeCharacter: {
      const m = /\\[^"\\/bfnrtu]/.exec(text.slice(offset));
      const bad = m ? m[0] : '\\';
      return {
        offset: m ? offset + m.index : offset,
        message: `invalid escape "${bad}" in a string`,
        hint: 'write a backslash as \\\\ (e.g. "C:\\\\Users\\\\me"), or use forward slashes in paths',
      };
    }
    case ParseErrorCode.UnexpectedEndOfString: {
      const nl = text.indexOf('\n', offset);
      return {
        offset: nl === -1 ? offset : nl,
        message: 'string is not closed before the end of the line',
        hint: 'add the closing double quote; a line break inside a string is written \\n',
      };
    }
    case ParseErrorCode.InvalidCharacter:
      return {
        offset,
        message: 'control character (such as a tab) inside a string',
        hint: 'write a tab as \\t and a line break as \\n',
      };
    case ParseErrorCode.ColonExpected:
      return { offset, message: 'expected ":" after the key', hint: 'members are written "key": value' };
    case ParseErrorCode.CommaExpected: {
      const p = prevNonSpace(text, offset);
      return {
        offset: p + 1,
        message: 'expected "," between entries',
        hint: 'add a comma here, after the previous value',
      };
    }
    case ParseErrorCode.InvalidNumberFormat:
      return {
        offset,
        message: 'invalid number',
        hint: 'numbers are written like 30000 or 1.5, without leading zeros or quotes',
      };
    case ParseErrorCode.PropertyNameExpected:
    case ParseErrorCode.ValueExpected:
    case ParseErrorCode.InvalidSymbol:
      return symbolError(text, code, offset);
    case ParseErrorCode.UnexpectedEndOfComment:
      return {
        offset,
        message: 'comment is not closed (and comments are not allowed in JSON)',
        hint: 'remove the comment',
      };
    case ParseErrorCode.UnexpectedEndOfNumber:
      return { offset, message: 'incomplete number', hint: 'numbers are written like 30000 or 1.5' };
    case ParseErrorCode.InvalidUnicode:
      return {
        offset,
        message: 'invalid \\u escape in a string',
        hint: 'a \\u escape takes four hex digits, e.g. \\u00e9',
      };
    default:
      return { offset, message: at ? `unexpected "${at}"` : 'unexpected end of file', hint: undefined };
  }
}

/** Errors about the document's shape: a trailing comma, a cut-off end, text after the end. */
function structuralError(
  text: string,
  code: ParseErrorCode,
  offset: number,
  root: JsonNode | undefined,
): JsonErrorText | undefined {
  const at = text[offset];
  const prev = text[prevNonSpace(text, offset)];
  const trailingComma = prev === ',' && (at === '}' || at === ']');
  if (trailingComma) {
    return {
      offset: prevNonSpace(text, offset),
      message: `trailing comma before "${at}"`,
      hint: 'remove the comma after the last entry: JSON does not allow trailing commas',
    };
  }
  if (
    offset >= text.length ||
    code === ParseErrorCode.CloseBraceExpected ||
    code === ParseErrorCode.CloseBracketExpected
  ) {
    if (offset >= text.trimEnd().length) {
      const missing =
        code === ParseErrorCode.CloseBracketExpected
          ? '"]"'
          : code === ParseErrorCode.CloseBraceExpected
            ? '"}"'
            : 'a value';
      return {
        offset: text.trimEnd().length,
        message: `unexpected end of file: missing ${missing}`,
        hint: 'every "{" needs a matching "}" and every "[" a matching "]"',
      };
    }
  }
  if (
    code === ParseErrorCode.EndOfFileExpected ||
    (root && offset >= root.offset + root.length && code === ParseErrorCode.InvalidSymbol)
  ) {
    return {
      offset,
      message: 'unexpected text after the end of the JSON object',
      hint: 'the file must hold exactly one JSON object; remove what follows, or merge it into the first object',
    };
  }
  return undefined;
}

/** A key or value the parser could not read: quotes, bare words, stray characters. */
function symbolError(text: string, code: ParseErrorCode, offset: number): JsonErrorText {
  const at = text[offset];
  const prev = text[prevNonSpace(text, offset)];
  const word = /^[A-Za-z_$][\w$-]*/.exec(text.slice(offset))?.[0];
  if (at === "'") {
    return { offset, message: 'single quotes are not allowed in JSON', hint: 'use double quotes: "..."' };
  }
  if (word && code !== ParseErrorCode.ValueExpected && (prev === '{' || prev === ',')) {
    return { offset, message: `key ${word} is not quoted`, hint: `JSON keys need double quotes: "${word}"` };
  }
  if (word) {
    return {
      offset,
      message: `unexpected "${word}"`,
      hint: 'strings need double quotes; the only bare words in JSON are true, false and null',
    };
  }
  if (code === ParseErrorCode.PropertyNameExpected) {
    return { offset, message: 'expected a key in double quotes', hint: 'members are written "key": value' };
  }
  return {
    offset,
    message: at ? `unexpected "${at}"` : 'expected a value',
    hint: 'a value is a "string", number, true, false, null, {...} or [...]',
  };
}

/** A YAML-looking file named *.json gets a hint about why it was read as JSON. */
export function jsonHint(text: string, hint: string | undefined): string | undefined {
  const first = text.trimStart()[0];
  if (first !== '{' && first !== '[' && /^\s*[A-Za-z_][\w-]*\s*:/m.test(text)) {
    return `${hint ? `${hint}; ` : ''}this looks like YAML: name the file *.yaml to have it read as YAML`;
  }
  return hint;
}
