import { type JsonSchema, sortKeys } from './json-schema';

const sameValue = (a: unknown, b: unknown) => JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));

export type BreakingRule =
  | 'removed-property'
  | 'changed-type'
  | 'newly-required'
  | 'narrowed-enum'
  | 'stricter-bound'
  | 'stricter-pattern'
  | 'changed-format'
  | 'closed-object'
  | 'unsupported';

export interface BreakingChange {
  /** Where in the payload, e.g. `location.city`, `jobIds[]`; `(root)` for the payload itself. */
  readonly path: string;
  readonly rule: BreakingRule;
  readonly detail: string;
}

const LOWER_BOUNDS = ['minLength', 'minimum', 'exclusiveMinimum', 'minItems', 'minProperties'] as const;
const UPPER_BOUNDS = ['maxLength', 'maximum', 'exclusiveMaximum', 'maxItems', 'maxProperties'] as const;
// Keywords the checker understands; anything else that constrains values is refused loudly
// rather than silently treated as compatible.
const KNOWN = new Set<string>([
  ...LOWER_BOUNDS,
  ...UPPER_BOUNDS,
  '$schema',
  'title',
  'description',
  'type',
  'const',
  'enum',
  'pattern',
  'format',
  'contentEncoding',
  'properties',
  'required',
  'additionalProperties',
  'propertyNames',
  'items',
  'anyOf',
  'oneOf',
  'uniqueItems',
  'multipleOf',
  'default',
  'examples',
]);

const asSchema = (value: unknown): JsonSchema =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as JsonSchema) : {};

const child = (path: string, key: string) => (path === '' ? key : `${path}.${key}`);
const shown = (path: string) => (path === '' ? '(root)' : path);

function jsonTypeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** The JSON types a schema admits, or null when it admits any. */
function typesOf(schema: JsonSchema): Set<string> | null {
  const { type } = schema;
  if (typeof type === 'string') return new Set([type]);
  if (Array.isArray(type)) return new Set(type.map(String));
  if ('const' in schema) return new Set([jsonTypeOf(schema.const)]);
  if (Array.isArray(schema.enum)) return new Set(schema.enum.map(jsonTypeOf));
  return null;
}

const admitsType = (types: Set<string>, type: string) =>
  types.has(type) || (type === 'integer' && types.has('number'));

const valuesOf = (schema: JsonSchema): readonly unknown[] | undefined =>
  'const' in schema ? [schema.const] : Array.isArray(schema.enum) ? schema.enum : undefined;

const branchesOf = (schema: JsonSchema): readonly JsonSchema[] | null => {
  const branches = schema.anyOf ?? schema.oneOf;
  return Array.isArray(branches) ? branches.map(asSchema) : null;
};

/**
 * The changes from `before` to `after` that can break a consumer or make stored data invalid:
 * a removed property, a changed type, a newly required property, a narrowed enum or const, a
 * stricter bound, pattern or format, an object that no longer admits other properties. Widening
 * (a new optional property, a new enum value, a looser bound, a nullable field) is compatible.
 * Works on the schemas zod exports (inline, no `$ref`); an unknown keyword is reported, never
 * ignored. Patterns are compared as text: a changed regular expression counts as stricter.
 */
export function findBreakingChanges(before: JsonSchema, after: JsonSchema, path = ''): BreakingChange[] {
  const unknown = Object.keys(after).filter((key) => !KNOWN.has(key));
  if (unknown.length > 0) {
    return [
      { path: shown(path), rule: 'unsupported', detail: `cannot compare keyword(s) ${unknown.join(', ')}` },
    ];
  }
  const oldBranches = branchesOf(before);
  const newBranches = branchesOf(after);
  if (oldBranches || newBranches)
    return compareBranches(oldBranches ?? [before], newBranches ?? [after], path);

  const oldTypes = typesOf(before);
  const newTypes = typesOf(after);
  if (newTypes) {
    const lost = oldTypes ? [...oldTypes].filter((type) => !admitsType(newTypes, type)) : ['any'];
    if (lost.length > 0) {
      return [
        {
          path: shown(path),
          rule: 'changed-type',
          detail: `was ${oldTypes ? [...oldTypes].join('|') : 'any type'}, now ${[...newTypes].join('|')}`,
        },
      ];
    }
  }

  const breaks: BreakingChange[] = [];
  const add = (rule: BreakingRule, detail: string, at = path) =>
    breaks.push({ path: shown(at), rule, detail });

  const newValues = valuesOf(after);
  if (newValues) {
    const oldValues = valuesOf(before);
    if (!oldValues) add('narrowed-enum', `now only ${JSON.stringify(newValues)}`);
    else {
      const dropped = oldValues.filter((value) => !newValues.some((v) => sameValue(v, value)));
      if (dropped.length > 0) add('narrowed-enum', `no longer admits ${JSON.stringify(dropped)}`);
    }
  }

  for (const key of LOWER_BOUNDS) {
    const now = after[key];
    const was = before[key];
    if (typeof now === 'number' && (typeof was !== 'number' || now > was)) {
      add('stricter-bound', `${key} ${typeof was === 'number' ? `${was} → ` : 'added: '}${now}`);
    }
  }
  for (const key of UPPER_BOUNDS) {
    const now = after[key];
    const was = before[key];
    if (typeof now === 'number' && (typeof was !== 'number' || now < was)) {
      add('stricter-bound', `${key} ${typeof was === 'number' ? `${was} → ` : 'added: '}${now}`);
    }
  }
  if (after.multipleOf !== undefined && after.multipleOf !== before.multipleOf) {
    add(
      'stricter-bound',
      `multipleOf ${JSON.stringify(before.multipleOf)} → ${JSON.stringify(after.multipleOf)}`,
    );
  }
  if (after.uniqueItems === true && before.uniqueItems !== true)
    add('stricter-bound', 'items must now be unique');
  if (after.pattern !== undefined && after.pattern !== before.pattern) {
    add(
      'stricter-pattern',
      `pattern ${JSON.stringify(before.pattern ?? '(none)')} → ${JSON.stringify(after.pattern)}`,
    );
  }
  if (after.format !== undefined && after.format !== before.format) {
    add(
      'changed-format',
      `format ${JSON.stringify(before.format ?? '(none)')} → ${JSON.stringify(after.format)}`,
    );
  }

  const oldProperties = asSchema(before.properties);
  const newProperties = asSchema(after.properties);
  for (const [name, schema] of Object.entries(oldProperties)) {
    if (!(name in newProperties))
      add('removed-property', `property "${name}" was removed`, child(path, name));
    else
      breaks.push(...findBreakingChanges(asSchema(schema), asSchema(newProperties[name]), child(path, name)));
  }
  const oldRequired = new Set(Array.isArray(before.required) ? before.required.map(String) : []);
  for (const name of Array.isArray(after.required) ? after.required.map(String) : []) {
    if (!oldRequired.has(name))
      add('newly-required', `property "${name}" is now required`, child(path, name));
  }
  const oldAdditional = before.additionalProperties;
  const newAdditional = after.additionalProperties;
  const wasObject = 'properties' in before || typesOf(before)?.has('object') === true;
  if (newAdditional === false && oldAdditional !== false && wasObject) {
    add('closed-object', 'no longer admits properties beyond the listed ones');
  } else if (typeof newAdditional === 'object' && newAdditional !== null) {
    breaks.push(...findBreakingChanges(asSchema(oldAdditional), asSchema(newAdditional), child(path, '*')));
  }
  if (after.propertyNames !== undefined) {
    breaks.push(
      ...findBreakingChanges(
        asSchema(before.propertyNames),
        asSchema(after.propertyNames),
        child(path, '(name)'),
      ),
    );
  }
  if (after.items !== undefined) {
    breaks.push(...findBreakingChanges(asSchema(before.items), asSchema(after.items), `${path}[]`));
  }
  return breaks;
}

/** Every old alternative must still be admitted by some new alternative. */
function compareBranches(
  oldBranches: readonly JsonSchema[],
  newBranches: readonly JsonSchema[],
  path: string,
): BreakingChange[] {
  const breaks: BreakingChange[] = [];
  for (const old of oldBranches) {
    const attempts = newBranches.map((candidate) => findBreakingChanges(old, candidate, path));
    if (attempts.some((attempt) => attempt.length === 0)) continue;
    // Report against the alternative of the same type, which is what the change most likely was.
    const oldTypes = typesOf(old);
    const sameType = newBranches.findIndex((candidate) => {
      const types = typesOf(candidate);
      return !oldTypes || !types || [...oldTypes].some((type) => admitsType(types, type));
    });
    breaks.push(
      ...(sameType >= 0
        ? attempts[sameType]!
        : [
            {
              path: shown(path),
              rule: 'changed-type' as const,
              detail: `no longer admits ${oldTypes ? [...oldTypes].join('|') : 'any type'}`,
            },
          ]),
    );
  }
  return breaks;
}
