/**
 * Velero's backup filters, checked without a cluster: namespace globs, resource names and Kubernetes label selectors.
 * Pure; the schema (schema.ts) reports what these return at the field's path, and the resource backup will evaluate
 * the parsed selectors.
 */

/** Characters Velero's wildcard expansion rejects in a namespace pattern (pkg/util/wildcard). */
const REJECTED_GLOB = /[|(){}!,]/;

function globShapeIssue(pattern: string, what: string): string | undefined {
  if (pattern === '') return `is empty; give a ${what} or a glob such as "team-*"`;
  if (REJECTED_GLOB.test(pattern))
    return `"${pattern}" uses one of |(){}!, which Velero's globs do not support; use *, ? or [...]`;
  if (pattern.includes('**')) return `"${pattern}" uses "**", which Velero's globs do not support; use a single "*"`;
  let depth = 0;
  for (const ch of pattern) {
    if (ch === '[') {
      if (depth > 0) return `"${pattern}" nests "[" inside "[...]"; close the first class with "]"`;
      depth++;
    } else if (ch === ']') {
      if (depth === 0) return `"${pattern}" has a "]" without a "["`;
      depth--;
    }
  }
  if (depth > 0) return `"${pattern}" has a "[" that is never closed; close it with "]"`;
  return undefined;
}

/** A namespace name or glob (`*`, `?`, `[...]`), as Velero's includedNamespaces/excludedNamespaces take them. */
export function namespacePatternIssue(pattern: string): string | undefined {
  const shape = globShapeIssue(pattern, 'namespace name');
  if (shape) return shape;
  const literal = pattern.replace(/\[[^\]]*\]/g, '').replace(/[*?]/g, '');
  if (!/^[a-z0-9-]*$/.test(literal) || pattern.length > 63) {
    return `"${pattern}" is not a namespace name or glob: use lowercase letters, digits and "-" (at most 63), with *, ? or [...]`;
  }
  return undefined;
}

/**
 * A resource as kubectl and Velero name it: plural (`configmaps`), with its group (`deployments.apps`), a short name
 * (`cm`), a kind (`Deployment`), `*`, or a glob. Whether an API serves it is known only at backup time (a CRD may be
 * installed later), so only the shape is checked here.
 */
export function resourceNameIssue(resource: string): string | undefined {
  const shape = globShapeIssue(resource, 'resource name');
  if (shape) return shape;
  const literal = resource.replace(/\[[^\]]*\]/g, '').replace(/[*?]/g, '');
  if (
    !/^[A-Za-z0-9.-]*$/.test(literal) ||
    resource.startsWith('.') ||
    resource.endsWith('.') ||
    resource.includes('..')
  ) {
    return `"${resource}" is not a resource name: use a name as kubectl knows it, e.g. configmaps, deployments.apps, cm or "*"`;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------------
// Label selectors

export type SelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

/** One requirement of a selector; `k=v` is In [v] and `k!=v` is NotIn [v], as metav1.LabelSelector holds them. */
export interface SelectorRequirement {
  key: string;
  operator: SelectorOperator;
  values: string[];
}

/** A metav1.LabelSelector as written in the config. */
export interface LabelSelectorObject {
  matchLabels?: Record<string, string> | undefined;
  matchExpressions?: { key: string; operator: SelectorOperator; values?: string[] | undefined }[] | undefined;
}

export type SelectorResult = { ok: true; requirements: SelectorRequirement[] } | { ok: false; error: string };

const LABEL_NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Why a label key is invalid ([prefix/]name, as Kubernetes validates it), or undefined. */
export function labelKeyIssue(key: string): string | undefined {
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const namepart = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
    return `label key "${key}" has an invalid prefix: it must be a DNS subdomain such as example.com (lowercase, at most 253)`;
  }
  if (namepart.length === 0 || namepart.length > 63 || !LABEL_NAME.test(namepart)) {
    return `label key "${key}" is invalid: its name must be 1-63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit`;
  }
  return undefined;
}

/** Why a label value is invalid, or undefined (the empty value is valid). */
export function labelValueIssue(value: string): string | undefined {
  if (value === '') return undefined;
  if (value.length > 63 || !LABEL_NAME.test(value)) {
    return `label value "${value}" is invalid: it must be at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit`;
  }
  return undefined;
}

type Token = { kind: 'word'; text: string } | { kind: 'op'; text: string };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const two = text.slice(i, i + 2);
    if (two === '!=' || two === '==') {
      tokens.push({ kind: 'op', text: two });
      i += 2;
    } else if ('=!(),<>'.includes(ch)) {
      tokens.push({ kind: 'op', text: ch });
      i++;
    } else {
      let j = i;
      while (j < text.length && !/[\s=!(),<>]/.test(text[j]!)) j++;
      tokens.push({ kind: 'word', text: text.slice(i, j) });
      i = j;
    }
  }
  return tokens;
}

/**
 * Parses a selector in kubectl's syntax: `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`, joined by
 * commas. `<` and `>` are refused: metav1.LabelSelector, which Velero stores, cannot hold them.
 */
export function parseSelector(text: string): SelectorResult {
  if (text.trim() === '')
    return { ok: false, error: 'is empty; remove it to select every object, or write e.g. "app=web"' };
  const tokens = tokenize(text);
  const requirements: SelectorRequirement[] = [];
  let pos = 0;
  const peek = () => tokens[pos];
  const fail = (why: string): SelectorResult => ({
    ok: false,
    error: `"${text}" is not a valid label selector: ${why}; write requirements such as "app=web", "tier in (a,b)", "!legacy", joined by commas`,
  });
  for (;;) {
    let negated = false;
    if (peek()?.kind === 'op' && peek()!.text === '!') {
      negated = true;
      pos++;
    }
    const keyToken = peek();
    if (keyToken?.kind !== 'word')
      return fail(keyToken ? `expected a label key, found "${keyToken.text}"` : 'it ends where a label key should be');
    pos++;
    const key = keyToken.text;
    const keyProblem = labelKeyIssue(key);
    if (keyProblem) return { ok: false, error: keyProblem };
    const next = peek();
    if (negated) {
      requirements.push({ key, operator: 'DoesNotExist', values: [] });
    } else if (next === undefined || (next.kind === 'op' && next.text === ',')) {
      requirements.push({ key, operator: 'Exists', values: [] });
    } else if (next.kind === 'op' && (next.text === '=' || next.text === '==' || next.text === '!=')) {
      pos++;
      const valueToken = peek();
      let value = '';
      if (valueToken?.kind === 'word') {
        value = valueToken.text;
        pos++;
      } else if (valueToken !== undefined && valueToken.text !== ',') {
        return fail(`expected a value after "${key}${next.text}", found "${valueToken.text}"`);
      }
      const valueProblem = labelValueIssue(value);
      if (valueProblem) return { ok: false, error: valueProblem };
      requirements.push({ key, operator: next.text === '!=' ? 'NotIn' : 'In', values: [value] });
    } else if (next.kind === 'word' && (next.text === 'in' || next.text === 'notin')) {
      pos++;
      if (peek()?.text !== '(') return fail(`expected "(" after "${key} ${next.text}"`);
      pos++;
      const values: string[] = [];
      for (;;) {
        const t = peek();
        if (t === undefined) return fail(`the value list of "${key}" is not closed with ")"`);
        if (t.kind === 'word') {
          const valueProblem = labelValueIssue(t.text);
          if (valueProblem) return { ok: false, error: valueProblem };
          values.push(t.text);
          pos++;
          const after = peek();
          if (after?.text === ',') pos++;
          else if (after?.text !== ')') return fail(`expected "," or ")" in the value list of "${key}"`);
        } else if (t.text === ')') {
          pos++;
          break;
        } else {
          return fail(`unexpected "${t.text}" in the value list of "${key}"`);
        }
      }
      if (values.length === 0) return fail(`"${key} ${next.text} ()" needs at least one value`);
      requirements.push({ key, operator: next.text === 'in' ? 'In' : 'NotIn', values });
    } else if (next.kind === 'op' && (next.text === '<' || next.text === '>')) {
      return fail(
        `"${next.text}" is not supported (a metav1.LabelSelector, which Velero stores, has no Gt/Lt); use =, !=, in or notin`,
      );
    } else {
      return fail(`expected =, ==, !=, in, notin or "," after "${key}", found "${next.text}"`);
    }
    const sep = peek();
    if (sep === undefined) break;
    if (sep.text !== ',') return fail(`expected "," between requirements, found "${sep.text}"`);
    pos++;
    if (peek() === undefined) return fail('it ends with ","');
  }
  return { ok: true, requirements };
}

/** The requirements of a LabelSelector object, or why it is invalid (each problem with its path inside it). */
export function selectorObjectIssues(selector: LabelSelectorObject): { path: (string | number)[]; message: string }[] {
  const issues: { path: (string | number)[]; message: string }[] = [];
  const labels = Object.entries(selector.matchLabels ?? {});
  const expressions = selector.matchExpressions ?? [];
  if (labels.length === 0 && expressions.length === 0) {
    issues.push({
      path: [],
      message: 'selects everything (no matchLabels or matchExpressions); remove it, or give at least one requirement',
    });
  }
  for (const [key, value] of labels) {
    const problem = labelKeyIssue(key) ?? labelValueIssue(value);
    if (problem) issues.push({ path: ['matchLabels', key], message: problem });
  }
  expressions.forEach((e, i) => {
    const keyProblem = labelKeyIssue(e.key);
    if (keyProblem) issues.push({ path: ['matchExpressions', i, 'key'], message: keyProblem });
    const values = e.values ?? [];
    if ((e.operator === 'In' || e.operator === 'NotIn') && values.length === 0) {
      issues.push({ path: ['matchExpressions', i, 'values'], message: `${e.operator} needs at least one value` });
    }
    if ((e.operator === 'Exists' || e.operator === 'DoesNotExist') && values.length > 0) {
      issues.push({
        path: ['matchExpressions', i, 'values'],
        message: `${e.operator} takes no values; remove values, or use In/NotIn`,
      });
    }
    values.forEach((v, j) => {
      const problem = labelValueIssue(v);
      if (problem) issues.push({ path: ['matchExpressions', i, 'values', j], message: problem });
    });
  });
  return issues;
}

/** Every problem of a selector as the config has it (string or object), with its path inside the selector. */
export function selectorIssues(
  selector: string | LabelSelectorObject,
): { path: (string | number)[]; message: string }[] {
  if (typeof selector === 'string') {
    const parsed = parseSelector(selector);
    return parsed.ok ? [] : [{ path: [], message: parsed.error }];
  }
  return selectorObjectIssues(selector);
}

/** The requirements of a selector the schema has validated (matchLabels first, in key order, then expressions). */
export function selectorRequirements(selector: string | LabelSelectorObject): SelectorRequirement[] {
  if (typeof selector === 'string') {
    const parsed = parseSelector(selector);
    if (!parsed.ok) throw new Error(parsed.error);
    return parsed.requirements;
  }
  return [
    ...Object.entries(selector.matchLabels ?? {})
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, value]): SelectorRequirement => ({ key, operator: 'In', values: [value] })),
    ...(selector.matchExpressions ?? []).map((e) => ({
      key: e.key,
      operator: e.operator,
      values: [...(e.values ?? [])],
    })),
  ];
}

/** The `labelSelector` query parameter of a LIST for these requirements (kubectl's syntax). */
export function formatSelector(requirements: SelectorRequirement[]): string {
  return requirements
    .map((r) => {
      switch (r.operator) {
        case 'Exists':
          return r.key;
        case 'DoesNotExist':
          return `!${r.key}`;
        case 'In':
          return r.values.length === 1 ? `${r.key}=${r.values[0]}` : `${r.key} in (${r.values.join(',')})`;
        case 'NotIn':
          return r.values.length === 1 ? `${r.key}!=${r.values[0]}` : `${r.key} notin (${r.values.join(',')})`;
      }
    })
    .join(',');
}
