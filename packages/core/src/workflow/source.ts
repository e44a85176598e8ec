import { findNodeAtLocation, parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import { parsePointer } from '../util/canonical.js';

export interface Position {
  /** 1-based. */
  line: number;
  /** 1-based, in UTF-16 code units like editors count. */
  column: number;
  offset: number;
}

/** A parsed JSON file that can map JSON pointers back to line:column. */
export class JsonSource {
  readonly file: string;
  readonly text: string;
  readonly tree: Node | undefined;
  readonly parseErrors: Array<{ message: string; position: Position }>;
  private readonly lineStarts: number[];

  constructor(file: string, text: string) {
    this.file = file;
    this.text = text;
    this.lineStarts = [0];
    for (let i = 0; i < text.length; i++) {
      const ch = text.charCodeAt(i);
      if (ch === 10) this.lineStarts.push(i + 1);
      else if (ch === 13 && text.charCodeAt(i + 1) !== 10) this.lineStarts.push(i + 1);
    }
    const errors: ParseError[] = [];
    // Strict JSON: workflow files must stay readable by every JSON tool, so no comments or trailing commas.
    this.tree = parseTree(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
    this.parseErrors = errors.map((e) => ({ message: describeParseError(e), position: this.position(e.offset) }));
  }

  position(offset: number): Position {
    let lo = 0, hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.lineStarts[lo] + 1, offset };
  }

  /** The value node at a JSON pointer, or undefined. */
  node(pointer: string): Node | undefined {
    if (!this.tree) return undefined;
    const path = toPath(parsePointer(pointer), this.tree);
    return findNodeAtLocation(this.tree, path);
  }

  /**
   * Where a pointer is in the file: the value's start, or with `key` the property name's start.
   * A pointer to something that does not exist falls back to its nearest existing ancestor.
   */
  locate(pointer: string, options: { key?: boolean } = {}): Position {
    let tokens = parsePointer(pointer);
    for (;;) {
      const p = tokens.map((t) => `/${t.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
      const node = this.node(p);
      if (node) {
        if (options.key && node.parent?.type === 'property' && node.parent.children?.[0]) {
          return this.position(node.parent.children[0].offset);
        }
        return this.position(node.offset);
      }
      if (tokens.length === 0) return this.position(0);
      tokens = tokens.slice(0, -1);
    }
  }
}

function toPath(tokens: string[], root: Node): Array<string | number> {
  const out: Array<string | number> = [];
  let node: Node | undefined = root;
  for (const t of tokens) {
    const key: string | number = node?.type === 'array' && /^\d+$/.test(t) ? Number(t) : t;
    out.push(key);
    node = node ? findNodeAtLocation(node, [key]) : undefined;
  }
  return out;
}

function describeParseError(e: ParseError): string {
  const names: Record<string, string> = {
    InvalidSymbol: 'invalid symbol',
    InvalidNumberFormat: 'invalid number',
    PropertyNameExpected: 'expected a property name in double quotes',
    ValueExpected: 'expected a value',
    ColonExpected: 'expected ":"',
    CommaExpected: 'expected "," or a closing bracket',
    CloseBraceExpected: 'expected "}"',
    CloseBracketExpected: 'expected "]"',
    EndOfFileExpected: 'expected the end of the file',
    InvalidCommentToken: 'comments are not allowed in JSON',
    UnexpectedEndOfComment: 'unterminated comment',
    UnexpectedEndOfString: 'unterminated string',
    UnexpectedEndOfNumber: 'unterminated number',
    InvalidUnicode: 'invalid unicode escape',
    InvalidEscapeCharacter: 'invalid escape character',
    InvalidCharacter: 'invalid character',
  };
  const code = printParseErrorCode(e.error);
  return `malformed JSON: ${names[code] ?? code}`;
}
