// How every command reads its flags: node's parseArgs, strict (an unknown flag is a usage error),
// numbers read whole or refused, and files checked before any work starts so the error names the
// flag and the path instead of a bare ENOENT deep inside a run.
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { DEFAULT_CONFIG_PATH, loadConfig, type PipelineConfig } from './config.ts';
import { UsageError } from './usage-error.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parses `argv` strictly against `options`; positionals only where a command takes them. */
export function parseFlags<T extends Options>(argv: string[], options: T, allowPositionals = false) {
  return parseArgs({ args: argv, options, allowPositionals, strict: true });
}

export interface NumberRule {
  /** whole numbers only (counts, seeds, milliseconds). */
  integer?: boolean;
  /** the smallest value accepted. */
  min?: number;
  /** above zero (for a number that is not whole: `min` would admit 0). */
  positive?: boolean;
}

/**
 * The flag's value as a number, or `fallback` when the flag was not given. Anything that is not
 * entirely a decimal number within the rule (`abc`, `10k`, `1e`, an empty string) is a usage error
 * naming the flag: a count that silently became NaN once made `generate` run without end.
 */
export function numberFlag(flag: string, value: string | undefined, rule: NumberRule): number | undefined;
export function numberFlag(flag: string, value: string | undefined, rule: NumberRule, fallback: number): number;
export function numberFlag(flag: string, value: string | undefined, rule: NumberRule, fallback?: number): number | undefined {
  if (value === undefined) return fallback;
  const min = rule.min ?? -Infinity;
  const pattern = rule.integer ? /^-?\d+$/ : /^-?(\d+\.?\d*|\.\d+)$/;
  const n = pattern.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isFinite(n) || n < min || (rule.positive && n <= 0) || (rule.integer && !Number.isSafeInteger(n))) {
    const what = `${rule.positive ? 'a positive ' : 'a '}${rule.integer ? 'whole number' : 'number'}`;
    throw new UsageError(`${flag} must be ${what}${Number.isFinite(min) ? ` of at least ${min}` : ''}, not '${value}'`);
  }
  return n;
}

/** The absolute path of an input file given by `flag`, refused by name when it is missing or not a file. */
export function inputFile(flag: string, path: string): string;
export function inputFile(flag: string, path: string | undefined): string | undefined;
export function inputFile(flag: string, path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  const absolute = resolve(path);
  if (!existsSync(absolute)) throw new UsageError(`${flag} ${path}: no such file`);
  if (!statSync(absolute).isFile()) throw new UsageError(`${flag} ${path}: not a file`);
  return absolute;
}

/** The pipeline config of `--config` (pipelines/default.yaml when not given). */
export function configFrom(path: string | undefined): PipelineConfig {
  return loadConfig(path === undefined ? DEFAULT_CONFIG_PATH : inputFile('--config', path));
}
