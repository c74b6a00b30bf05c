// Where a field is in JSON text: the server names a bad field by its path (["resources",
// "memoryBytes"]), the editor needs the characters to underline. A small parser that keeps the
// offsets JSON.parse throws away.

export interface TextRange {
  start: number;
  end: number;
}

interface Node {
  start: number;
  end: number;
  /** Object members: key → [the key's range, the value]. */
  members?: Map<string, { key: TextRange; value: Node }>;
  items?: Node[];
}

class Parser {
  private i = 0;
  constructor(private readonly s: string) {}

  parse(): Node {
    const node = this.value();
    this.ws();
    if (this.i !== this.s.length) throw new Error('trailing text');
    return node;
  }

  private ws(): void {
    while (this.i < this.s.length && ' \t\n\r'.includes(this.s[this.i]!)) this.i++;
  }

  private value(): Node {
    this.ws();
    const c = this.s[this.i];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    const m = /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(this.s.slice(this.i, this.i + 400));
    if (!m) throw new Error(`unexpected ${c ?? 'end'} at ${this.i}`);
    const start = this.i;
    this.i += m[0].length;
    return { start, end: this.i };
  }

  private string(): Node & { text: string } {
    const start = this.i++;
    while (this.i < this.s.length && this.s[this.i] !== '"') this.i += this.s[this.i] === '\\' ? 2 : 1;
    if (this.s[this.i] !== '"') throw new Error('unterminated string');
    this.i++;
    return { start, end: this.i, text: JSON.parse(this.s.slice(start, this.i)) as string };
  }

  private object(): Node {
    const start = this.i++;
    const members = new Map<string, { key: TextRange; value: Node }>();
    this.ws();
    if (this.s[this.i] === '}') return { start, end: ++this.i, members };
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"') throw new Error(`expected a key at ${this.i}`);
      const key = this.string();
      this.ws();
      if (this.s[this.i++] !== ':') throw new Error(`expected ":" at ${this.i - 1}`);
      members.set(key.text, { key: { start: key.start, end: key.end }, value: this.value() });
      this.ws();
      const sep = this.s[this.i++];
      if (sep === '}') return { start, end: this.i, members };
      if (sep !== ',') throw new Error(`expected "," or "}" at ${this.i - 1}`);
    }
  }

  private array(): Node {
    const start = this.i++;
    const items: Node[] = [];
    this.ws();
    if (this.s[this.i] === ']') return { start, end: ++this.i, items };
    for (;;) {
      items.push(this.value());
      this.ws();
      const sep = this.s[this.i++];
      if (sep === ']') return { start, end: this.i, items };
      if (sep !== ',') throw new Error(`expected "," or "]" at ${this.i - 1}`);
    }
  }
}

/**
 * The text to underline for a path: a scalar value itself; an object or array member by its key
 * (underlining a whole block would hide it); a missing member by the deepest part that exists.
 * null when the text is not JSON.
 */
export function locateJsonPath(text: string, path: readonly (string | number)[]): TextRange | null {
  let node: Node;
  try {
    node = new Parser(text).parse();
  } catch {
    return null;
  }
  let mark: TextRange = { start: node.start, end: node.start + 1 };
  for (const step of path) {
    if (node.members && typeof step === 'string' && node.members.has(step)) {
      const member = node.members.get(step)!;
      node = member.value;
      mark = node.members || node.items ? member.key : { start: node.start, end: node.end };
      if (node.members || node.items) continue;
    } else if (node.items && typeof step === 'number' && node.items[step]) {
      node = node.items[step]!;
      mark = node.members || node.items ? { start: node.start, end: node.start + 1 } : { start: node.start, end: node.end };
      if (node.members || node.items) continue;
    } else {
      return mark; // the field is missing: point at its parent
    }
  }
  return mark;
}
