/**
 * A careful, text-level reader for the subset of the Alloy configuration syntax that
 * stack/alloy/config.alloy uses: blocks (`name "label" { ... }` and `name { ... }`), attributes
 * (`key = value`) with string, number, boolean, list values (lists of references, strings or
 * objects) and object values (`{ "key" = value, ... }`, keys quoted or bare), and
 * `//` or `/* *\/` comments. Anything else is an error, so a config the reader misunderstands fails
 * loudly instead of being half-checked.
 */
export type AlloyValue = string | number | boolean | AlloyValue[] | { ref: string } | { object: AlloyObject };
export type AlloyObject = Record<string, AlloyValue>;

export interface AlloyBlock {
  name: string;
  label: string | undefined;
  attrs: Record<string, AlloyValue>;
  blocks: AlloyBlock[];
  line: number;
}

type Token =
  | { kind: 'ident'; text: string; line: number }
  | { kind: 'string'; text: string; line: number }
  | { kind: 'number'; value: number; line: number }
  | { kind: 'punct'; text: string; line: number };

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  while (i < src.length) {
    const c = src[i]!;
    if (c === '\n') {
      line++;
      i++;
    } else if (/\s/.test(c)) {
      i++;
    } else if (src.startsWith('//', i)) {
      while (i < src.length && src[i] !== '\n') i++;
    } else if (src.startsWith('/*', i)) {
      const end = src.indexOf('*/', i + 2);
      if (end < 0) throw new Error(`line ${line}: unterminated comment`);
      line += src.slice(i, end).split('\n').length - 1;
      i = end + 2;
    } else if (c === '"') {
      let j = i + 1;
      let text = '';
      while (j < src.length && src[j] !== '"') {
        if (src[j] === '\\') {
          const next = src[j + 1];
          text += next === 'n' ? '\n' : next === 't' ? '\t' : (next ?? '');
          j += 2;
        } else {
          if (src[j] === '\n') throw new Error(`line ${line}: newline in string`);
          text += src[j];
          j++;
        }
      }
      if (j >= src.length) throw new Error(`line ${line}: unterminated string`);
      tokens.push({ kind: 'string', text, line });
      i = j + 1;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(src.slice(i))!;
      tokens.push({ kind: 'ident', text: m[0], line });
      i += m[0].length;
    } else if (/[-0-9]/.test(c)) {
      const m = /^-?\d+(\.\d+)?/.exec(src.slice(i));
      if (!m) throw new Error(`line ${line}: unexpected "${c}"`);
      tokens.push({ kind: 'number', value: Number(m[0]), line });
      i += m[0].length;
    } else if ('{}[]=,'.includes(c)) {
      tokens.push({ kind: 'punct', text: c, line });
      i++;
    } else {
      throw new Error(`line ${line}: unexpected "${c}"`);
    }
  }
  return tokens;
}

export function parseAlloy(src: string): AlloyBlock[] {
  const tokens = tokenize(src);
  let pos = 0;
  const peek = () => tokens[pos];
  const next = () => {
    const t = tokens[pos++];
    if (!t) throw new Error('unexpected end of file');
    return t;
  };
  const expectPunct = (p: string) => {
    const t = next();
    if (t.kind !== 'punct' || t.text !== p) throw new Error(`line ${t.line}: expected "${p}"`);
  };

  const value = (): AlloyValue => {
    const t = next();
    if (t.kind === 'string') return t.text;
    if (t.kind === 'number') return t.value;
    if (t.kind === 'ident') {
      if (t.text === 'true' || t.text === 'false') return t.text === 'true';
      return { ref: t.text };
    }
    if (t.text === '[') {
      const list: AlloyValue[] = [];
      for (;;) {
        const p = peek();
        if (p?.kind === 'punct' && p.text === ']') {
          pos++;
          return list;
        }
        list.push(value());
        const sep = peek();
        if (sep?.kind === 'punct' && sep.text === ',') pos++;
      }
    }
    if (t.text === '{') {
      const object: AlloyObject = {};
      for (;;) {
        const k = next();
        if (k.kind === 'punct' && k.text === '}') return { object };
        if (k.kind !== 'string' && k.kind !== 'ident')
          throw new Error(`line ${k.line}: expected an object key`);
        expectPunct('=');
        object[k.text] = value();
        const sep = peek();
        if (sep?.kind === 'punct' && sep.text === ',') pos++;
      }
    }
    throw new Error(`line ${t.line}: unexpected "${t.text}"`);
  };

  const body = (closing: boolean): { attrs: Record<string, AlloyValue>; blocks: AlloyBlock[] } => {
    const attrs: Record<string, AlloyValue> = {};
    const blocks: AlloyBlock[] = [];
    for (;;) {
      const t = peek();
      if (!t) {
        if (closing) throw new Error('missing "}"');
        return { attrs, blocks };
      }
      if (t.kind === 'punct' && t.text === '}') {
        if (!closing) throw new Error(`line ${t.line}: unexpected "}"`);
        pos++;
        return { attrs, blocks };
      }
      if (t.kind !== 'ident') throw new Error(`line ${t.line}: expected a name`);
      pos++;
      const after = next();
      if (after.kind === 'punct' && after.text === '=') {
        if (t.text in attrs) throw new Error(`line ${t.line}: "${t.text}" set twice`);
        attrs[t.text] = value();
        continue;
      }
      let label: string | undefined;
      if (after.kind === 'string') {
        label = after.text;
        expectPunct('{');
      } else if (!(after.kind === 'punct' && after.text === '{')) {
        throw new Error(`line ${after.line}: expected "=" or "{" after ${t.text}`);
      }
      const inner = body(true);
      blocks.push({ name: t.text, label, ...inner, line: t.line });
    }
  };
  return body(false).blocks;
}

/** The one top-level component `name "label"`; throws when absent or ambiguous. */
export function component(blocks: AlloyBlock[], name: string, label?: string): AlloyBlock {
  const found = blocks.filter((b) => b.name === name && (label === undefined || b.label === label));
  if (found.length !== 1) throw new Error(`expected one ${name} block, found ${found.length}`);
  return found[0]!;
}

/** The one nested block `name` of `parent`. */
export function child(parent: AlloyBlock, name: string): AlloyBlock {
  return component(parent.blocks, name);
}

/** A reference's target component, e.g. `otelcol.processor.batch.default.input` → ["otelcol.processor.batch", "default"]. */
export function refTarget(ref: AlloyValue): { component: string; label: string; export: string } {
  if (typeof ref !== 'object' || Array.isArray(ref) || !('ref' in ref))
    throw new Error(`not a reference: ${JSON.stringify(ref)}`);
  const parts = ref.ref.split('.');
  if (parts.length < 3) throw new Error(`not a component reference: ${ref.ref}`);
  return {
    component: parts.slice(0, -2).join('.'),
    label: parts.at(-2)!,
    export: parts.at(-1)!,
  };
}

/** An object value's entries (e.g. a scrape target, a header map); throws for anything else. */
export function objectOf(value: AlloyValue | undefined): AlloyObject {
  if (typeof value !== 'object' || Array.isArray(value) || !('object' in value))
    throw new Error(`not an object: ${JSON.stringify(value)}`);
  return value.object;
}
