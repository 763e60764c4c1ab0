// Environment interpolation in pipeline YAML, for values that differ between machines but are not
// secret (brokers, group ids, directories): `${VAR}`, `${VAR:-default}` (unset or empty),
// `${VAR-default}` (unset), `${VAR:?message}` / `${VAR?message}` (refuse to start), `$$` for a `$`.
// Secrets never go through here: they stay in the variables the `*_env` keys name, read where used.
//
// Only values are interpolated, never keys. A plain (unquoted) scalar is read as YAML again after
// interpolation, so `commit_interval_ms: ${INTERVAL:-5000}` is a number; a quoted one stays a string.
import { isScalar, parseDocument, visit, type Document, type LineCounter, type Scalar } from 'yaml';

const REFERENCE = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])((?:[^}\\]|\\.)*))?\}|\$\{[^}]*\}?/g;

export interface InterpolationProblem {
  path: string;
  line: number | undefined;
  message: string;
}

/** Replaces `${...}` in one string; returns the problems instead of throwing. */
export function interpolate(text: string, env: NodeJS.ProcessEnv): { value: string; problems: string[] } {
  const problems: string[] = [];
  const value = text.replace(REFERENCE, (match, name: string | undefined, colon: string | undefined, op: string | undefined, arg: string | undefined) => {
    if (match === '$$') return '$';
    if (name === undefined) {
      problems.push(`'${match}' is not a variable reference: write \${NAME}, \${NAME:-default} or \${NAME:?message} (or $$ for a literal $)`);
      return match;
    }
    const raw = env[name];
    const missing = colon ? raw === undefined || raw === '' : raw === undefined;
    if (op === undefined) {
      if (raw === undefined) problems.push(`environment variable ${name} is not set (give a default with \${${name}:-default})`);
      return raw ?? '';
    }
    const argument = (arg ?? '').replace(/\\(.)/g, '$1');
    if (!missing) return raw!;
    if (op === '-') return argument;
    problems.push(argument ? `${name}: ${argument}` : `environment variable ${name} is ${raw === undefined ? 'not set' : 'empty'}`);
    return '';
  });
  return { value, problems };
}

/**
 * Interpolates every value scalar of the document in place. Problems name the key path and the line;
 * the caller reports them with the config's other errors.
 */
export function interpolateDocument(doc: Document, lineCounter: LineCounter, env: NodeJS.ProcessEnv): InterpolationProblem[] {
  const problems: InterpolationProblem[] = [];
  visit(doc, {
    Scalar(key, node, path) {
      if (key === 'key' || typeof node.value !== 'string' || !node.value.includes('$')) return;
      const { value, problems: found } = interpolate(node.value, env);
      const keys = path
        .filter((p) => 'key' in (p as object) && isScalar((p as { key: unknown }).key))
        .map((p) => String(((p as { key: Scalar }).key).value));
      const line = node.range ? lineCounter.linePos(node.range[0]).line : undefined;
      for (const message of found) problems.push({ path: keys.join('.') || '(top level)', line, message });
      if (found.length) return;
      node.value = node.type === 'PLAIN' ? plainValue(value) : value;
    },
  });
  return problems;
}

/** What YAML makes of an unquoted value: a number, a boolean, null or the string itself. */
function plainValue(text: string): unknown {
  if (text === '') return '';
  const parsed = parseDocument(text);
  const contents = parsed.contents;
  return parsed.errors.length === 0 && isScalar(contents) ? contents.value : text;
}
