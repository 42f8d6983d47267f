/**
 * Message schemas learned from real exchange frames: for every object the set of keys,
 * and for every value the JSON kinds seen (recursively through arrays and objects).
 * Simulator messages are then checked to have exactly those keys and kinds.
 */

type Kind = 'null' | 'array' | 'object' | 'string' | 'number' | 'boolean';

export interface Schema {
  kinds: Set<Kind>;
  /** Union of the keys of every object sample. */
  keys?: Map<string, Schema>;
  /** Merged schema of every array element seen (undefined while all arrays were empty). */
  items?: Schema;
}

function kindOf(v: unknown): Kind {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v as Kind;
}

function learnInto(schema: Schema | undefined, value: unknown): Schema {
  const s: Schema = schema ?? { kinds: new Set() };
  const kind = kindOf(value);
  s.kinds.add(kind);
  if (kind === 'object') {
    s.keys ??= new Map();
    for (const [k, v] of Object.entries(value as Record<string, unknown>))
      s.keys.set(k, learnInto(s.keys.get(k), v));
  } else if (kind === 'array') {
    for (const el of value as unknown[]) s.items = learnInto(s.items, el);
  }
  return s;
}

/** The schema of a set of real samples of one message type. */
export function learnSchema(samples: readonly unknown[]): Schema {
  if (samples.length === 0) throw new Error('no samples to learn a schema from');
  let s: Schema | undefined;
  for (const v of samples) s = learnInto(s, v);
  return s!;
}

/**
 * Documented differences from old recordings (key paths like `channels[].account_ids`):
 * keys the live API added since (with their kind) and keys it removed.
 */
export interface Allowances {
  extra?: Record<string, Kind>;
  missing?: readonly string[];
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function check(schema: Schema, value: unknown, path: string, allow: Allowances, errors: string[]): void {
  const kind = kindOf(value);
  if (!schema.kinds.has(kind)) {
    errors.push(`${path || '(root)'}: ${kind}, real frames have ${[...schema.kinds].join('|')}`);
    return;
  }
  if (kind === 'object') {
    const obj = value as Record<string, unknown>;
    const keys = schema.keys ?? new Map<string, Schema>();
    for (const [k, v] of Object.entries(obj)) {
      const p = join(path, k);
      const extra = allow.extra?.[p];
      if (extra !== undefined) {
        if (kindOf(v) !== extra) errors.push(`${p}: ${kindOf(v)}, expected ${extra}`);
      } else {
        const sub = keys.get(k);
        if (sub) check(sub, v, p, allow, errors);
        else errors.push(`${p}: key not in real frames`);
      }
    }
    for (const k of keys.keys()) {
      const p = join(path, k);
      if (!(k in obj) && !allow.missing?.includes(p)) errors.push(`${p}: missing`);
    }
  } else if (kind === 'array') {
    const arr = value as unknown[];
    if (arr.length > 0 && !schema.items) errors.push(`${path}: real frames only had empty arrays here`);
    if (schema.items) for (const el of arr) check(schema.items, el, `${path}[]`, allow, errors);
  }
}

/** Every way `value` differs from the schema (empty = conforms). */
export function schemaErrors(schema: Schema, value: unknown, allow: Allowances = {}): string[] {
  const errors: string[] = [];
  check(schema, value, '', allow, errors);
  return [...new Set(errors)];
}
