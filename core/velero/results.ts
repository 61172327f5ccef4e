import type { ItemProblem } from '../resources/model.js';
import { goJsonLine, goSorted } from './go-json.js';

/**
 * The content of `<backup>-results.gz` (gzip is the caller's): `{"errors": Result, "warnings": Result}`, what
 * `velero backup describe` prints under Errors and Warnings. Velero builds it from its log (pkg/util/logging,
 * LogHook): an entry without a namespace goes to `velero`, namespace "" to `cluster`, others to `namespaces[ns]`, each
 * as the composed string ` resource: /<r> name: /<n> message: /<msg> error: /<err>` with only the fields present.
 */
export interface VeleroResult {
  velero?: string[];
  cluster?: string[];
  namespaces?: Record<string, string[]>;
}

export interface VeleroResults {
  errors: VeleroResult;
  warnings: VeleroResult;
}

const RESOURCE = ' resource: /';
const NAME = ' name: /';
const MESSAGE = ' message: /';
const ERROR = ' error: /';

/** A problem in Velero's composed style; Lifeboat's message already carries the API's reason, so no error field. */
function composed(problem: ItemProblem): string {
  let text = '';
  if (problem.resource !== undefined) text += `${RESOURCE}${problem.resource}`;
  if (problem.name !== undefined) text += `${NAME}${problem.name}`;
  return `${text}${MESSAGE}${problem.message}`;
}

class ResultBuilder {
  private readonly velero: string[] = [];
  private readonly cluster: string[] = [];
  private readonly namespaces = new Map<string, string[]>();

  add(namespace: string | undefined, message: string): void {
    if (namespace === undefined) this.velero.push(message);
    else if (namespace === '') this.cluster.push(message);
    else {
      const list = this.namespaces.get(namespace) ?? [];
      list.push(message);
      this.namespaces.set(namespace, list);
    }
  }

  /** In Go's field order, empty fields left out (omitempty), namespaces sorted (Go marshals maps so). */
  build(): VeleroResult {
    return {
      ...(this.velero.length > 0 ? { velero: this.velero } : {}),
      ...(this.cluster.length > 0 ? { cluster: this.cluster } : {}),
      ...(this.namespaces.size > 0
        ? {
            namespaces: Object.fromEntries(
              goSorted(this.namespaces.keys()).map((ns) => [ns, this.namespaces.get(ns)!]),
            ),
          }
        : {}),
    };
  }
}

/** Velero's results for these problems, each in the order given within its list. */
export function veleroResults(problems: ItemProblem[]): VeleroResults {
  const errors = new ResultBuilder();
  const warnings = new ResultBuilder();
  for (const problem of problems)
    (problem.level === 'error' ? errors : warnings).add(problem.namespace, composed(problem));
  return { errors: errors.build(), warnings: warnings.build() };
}

/** Compact JSON and a newline, as Go's json.Encoder writes it (keys: errors, then warnings, as Go sorts a map). */
export function serializeVeleroResults(results: VeleroResults): string {
  return goJsonLine({ errors: results.errors, warnings: results.warnings });
}

/**
 * One composed message read back. Resource and name never hold spaces (Kubernetes names), so each ends at the next
 * space; the message runs to the first ` error: /`, whose text is appended as "<message>: <error>". A message not in
 * the composed style (older or foreign results) is kept whole.
 */
function parseComposed(text: string): Pick<ItemProblem, 'resource' | 'name' | 'message'> {
  let rest = text;
  const field = (marker: string): string | undefined => {
    if (!rest.startsWith(marker)) return undefined;
    const value = /^\S*/.exec(rest.slice(marker.length))![0];
    rest = rest.slice(marker.length + value.length);
    return value;
  };
  const resource = field(RESOURCE);
  const name = field(NAME);
  if (!rest.startsWith(MESSAGE) && !rest.startsWith(ERROR)) {
    if (resource === undefined && name === undefined) return { message: text.trim() };
    // Fields Velero does not compose (a foreign hook's): keep what was found, and the rest as the message.
    return { resource, name, message: rest.trim() };
  }
  let message = '';
  if (rest.startsWith(MESSAGE)) {
    rest = rest.slice(MESSAGE.length);
    const errorAt = rest.indexOf(ERROR);
    message = errorAt >= 0 ? rest.slice(0, errorAt) : rest;
    rest = errorAt >= 0 ? rest.slice(errorAt) : '';
  }
  if (rest.startsWith(ERROR)) {
    const error = rest.slice(ERROR.length);
    message = message === '' ? error : `${message}: ${error}`;
  }
  return { ...(resource !== undefined ? { resource } : {}), ...(name !== undefined ? { name } : {}), message };
}

function stringList(value: unknown, where: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw new Error(`results: ${where} must be a list of messages`);
  }
  return value;
}

function problemsOf(result: unknown, level: ItemProblem['level']): ItemProblem[] {
  if (result === undefined || result === null) return [];
  if (typeof result !== 'object' || Array.isArray(result)) throw new Error(`results: ${level}s must be an object`);
  const r = result as Record<string, unknown>;
  const problem = (namespace: string | undefined, text: string): ItemProblem => {
    const parsed = parseComposed(text);
    return {
      level,
      ...(parsed.resource !== undefined ? { resource: parsed.resource } : {}),
      ...(namespace !== undefined ? { namespace } : {}),
      ...(parsed.name !== undefined ? { name: parsed.name } : {}),
      message: parsed.message,
    };
  };
  const out = [
    ...stringList(r['velero'], `${level}s.velero`).map((m) => problem(undefined, m)),
    ...stringList(r['cluster'], `${level}s.cluster`).map((m) => problem('', m)),
  ];
  const namespaces = r['namespaces'];
  if (namespaces !== undefined && namespaces !== null) {
    if (typeof namespaces !== 'object' || Array.isArray(namespaces)) {
      throw new Error(`results: ${level}s.namespaces must be an object`);
    }
    for (const ns of goSorted(Object.keys(namespaces))) {
      const messages = stringList((namespaces as Record<string, unknown>)[ns], `${level}s.namespaces.${ns}`);
      out.push(...messages.map((m) => problem(ns, m)));
    }
  }
  return out;
}

/**
 * Results written by Lifeboat or stock Velero, back to problems: errors first, then warnings; within each, velero,
 * cluster, then namespaces in name order (the grouping loses the original interleaving). Throws on text that is not
 * a results file.
 */
export function parseVeleroResults(text: string): ItemProblem[] {
  const value: unknown = JSON.parse(text);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error('results must be a JSON object with "errors" and "warnings"');
  }
  const v = value as Record<string, unknown>;
  return [...problemsOf(v['errors'], 'error'), ...problemsOf(v['warnings'], 'warning')];
}
