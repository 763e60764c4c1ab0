// The scrubber against its labelled corpus (src/generate/pii-corpus.ts): recall per class and
// form, the share of ordinary characters replaced, and the scrubber's speed over typed text.
// test/scrub-recall.test.ts asserts the goals; `npm run bench` prints the figures.
import { CORPUS_FORMS, ORDINARY_CATEGORIES, PII_CLASSES, leaksSecret, ordinaryCorpus, piiCorpus, type CorpusForm, type OrdinaryCategory, type PiiClass } from '../src/generate/pii-corpus.ts';
import { PrivacyAudit, findSpans, scrubActions, scrubText } from '../src/privacy/index.ts';

export interface ScrubMeasurement {
  samples: number;
  /** caught / samples per class, over every form. */
  recall: Record<PiiClass, number>;
  recallByForm: Record<CorpusForm, number>;
  /** class/form cells below 100%, with one sample that leaked, for the report. */
  misses: { cls: PiiClass; form: CorpusForm; recall: number; example: string }[];
  /** characters replaced / characters, per category of ordinary text and overall. */
  falsePositiveShare: Record<OrdinaryCategory | 'all', number>;
}

export function measureScrubber(seed = 19, perCell = 60, perCategory = 400): ScrubMeasurement {
  const caught = new Map<string, number>();
  const total = new Map<string, number>();
  const example = new Map<string, string>();
  const samples = piiCorpus(seed, perCell);
  for (const sample of samples) {
    const input = sample.actions.map((a) => a.text ?? '').join('');
    scrubActions(sample.actions, new PrivacyAudit());
    const written = sample.actions.map((a) => a.text ?? '').join('');
    const ok = !leaksSecret(sample.secret, written, sample.context);
    for (const key of [sample.cls, `form:${sample.form}`, `${sample.cls}/${sample.form}`]) {
      total.set(key, (total.get(key) ?? 0) + 1);
      if (ok) caught.set(key, (caught.get(key) ?? 0) + 1);
    }
    if (!ok && !example.has(`${sample.cls}/${sample.form}`)) example.set(`${sample.cls}/${sample.form}`, `${JSON.stringify(input)} -> ${JSON.stringify(written)}`);
  }
  const rate = (key: string) => (caught.get(key) ?? 0) / (total.get(key) ?? 1);
  const recall = Object.fromEntries(PII_CLASSES.map((c) => [c, rate(c)])) as Record<PiiClass, number>;
  const recallByForm = Object.fromEntries(CORPUS_FORMS.map((f) => [f, rate(`form:${f}`)])) as Record<CorpusForm, number>;
  const misses: ScrubMeasurement['misses'] = [];
  for (const cls of PII_CLASSES) {
    for (const form of CORPUS_FORMS) {
      const r = rate(`${cls}/${form}`);
      if (r < 1) misses.push({ cls, form, recall: r, example: example.get(`${cls}/${form}`) ?? '' });
    }
  }

  const replaced = new Map<string, number>();
  const length = new Map<string, number>();
  for (const { category, text } of ordinaryCorpus(seed, perCategory)) {
    let n = 0;
    for (const span of findSpans(text)) n += span.end - span.start;
    for (const key of [category, 'all']) {
      replaced.set(key, (replaced.get(key) ?? 0) + n);
      length.set(key, (length.get(key) ?? 0) + text.length);
    }
  }
  const falsePositiveShare = Object.fromEntries(
    [...ORDINARY_CATEGORIES, 'all'].map((c) => [c, (replaced.get(c) ?? 0) / (length.get(c) ?? 1)]),
  ) as ScrubMeasurement['falsePositiveShare'];
  return { samples: samples.length, recall, recallByForm, misses, falsePositiveShare };
}

/** scrubText over ordinary text with a sample of PII mixed in (one text in ten), as typed text is. */
export function measureScrubSpeed(seed = 19): { texts_per_s: number; chars_per_s: number } {
  const texts = ordinaryCorpus(seed, 500).map((o) => o.text);
  const pii = piiCorpus(seed, 2).filter((s) => s.form === 'plain');
  for (let i = 0; i < pii.length; i++) texts[(i * 10) % texts.length] = pii[i].actions[0].text!;
  let chars = 0;
  for (const t of texts) chars += t.length;
  const audit = new PrivacyAudit();
  for (const t of texts) scrubText(t, audit); // warm-up
  const rounds = 20;
  const started = performance.now();
  for (let r = 0; r < rounds; r++) for (const t of texts) scrubText(t, audit);
  const seconds = (performance.now() - started) / 1000;
  return { texts_per_s: (rounds * texts.length) / seconds, chars_per_s: (rounds * chars) / seconds };
}

const pct = (x: number, digits = 1) => `${(x * 100).toFixed(digits)}%`;

/** The measurement as printed lines. */
export function formatScrubMeasurement(m: ScrubMeasurement): string[] {
  const lines = [`scrub recall over ${m.samples} labelled samples (goal 100%, no class below 99%):`];
  for (const [cls, r] of Object.entries(m.recall)) lines.push(`  ${cls.padEnd(18)} ${pct(r)}`);
  lines.push(`  by form: ${Object.entries(m.recallByForm).map(([f, r]) => `${f} ${pct(r)}`).join(', ')}`);
  for (const miss of m.misses) lines.push(`  missed ${miss.cls}/${miss.form} (${pct(miss.recall)}), e.g. ${miss.example}`);
  lines.push(`scrub false positives (share of ordinary characters replaced): ${Object.entries(m.falsePositiveShare).map(([c, s]) => `${c} ${pct(s, 2)}`).join(', ')}`);
  return lines;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const line of formatScrubMeasurement(measureScrubber())) console.log(line);
}
