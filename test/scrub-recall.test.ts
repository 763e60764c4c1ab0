// The scrubber as an adversarial tester meets it: a labelled corpus of every class in plain,
// unicode-obfuscated and split-by-user forms (src/generate/pii-corpus.ts), and properties that
// embed, split and obfuscate secrets in random text. Recall per class is printed (t.log).
import test from 'ava';
import fc from 'fast-check';
import { formatScrubMeasurement, measureScrubber } from '../bench/scrub.ts';
import type { Action } from '../src/contract/episode.ts';
import { PII_CLASSES, drawPii, keyAction, leaksSecret, obfuscate, typeAction } from '../src/generate/pii-corpus.ts';
import { Random } from '../src/generate/random.ts';
import { PrivacyAudit, findSpans, scrubActions, scrubText } from '../src/privacy/index.ts';

const written = (actions: Action[]) => actions.map((a) => a.text ?? '').join('');

test('recall on the labelled corpus: every class in every form is scrubbed (goal 100%, none below 99%), ordinary text mostly kept', (t) => {
  const m = measureScrubber(19, 40, 300);
  for (const line of formatScrubMeasurement(m)) t.log(line);
  for (const [cls, recall] of Object.entries(m.recall)) t.true(recall >= 0.99, `${cls}: ${recall}`);
  for (const [form, recall] of Object.entries(m.recallByForm)) t.true(recall >= 0.99, `${form}: ${recall}`);
  t.true(m.falsePositiveShare.all < 0.01, `ordinary characters replaced: ${m.falsePositiveShare.all}`);
  for (const [category, share] of Object.entries(m.falsePositiveShare)) t.true(share < 0.03, `${category}: ${share}`);
});

// words with no digits or secret names: what surrounds a secret and the words a person writes
// next to it (drawPii's prefix and suffix, which name the secret where its class needs a name)
const word = fc.constantFrom('the', 'report', 'is', 'ready', 'please', 'send', 'it', 'to', 'me', 'today', 'ok', 'thanks', 'and', 'then', 'Hello,', 'see:', '(', ')', 'note', 'done.');
const words = fc.array(word, { maxLength: 12 }).map((w) => w.join(' '));
const piiClass = fc.constantFrom(...PII_CLASSES);
const seed = fc.integer({ min: 0, max: 2 ** 31 - 1 });

test('property: a secret of any class embedded anywhere in text never survives', (t) => {
  fc.assert(
    fc.property(piiClass, seed, words, words, (cls, s, before, after) => {
      const { secret, core, prefix, suffix } = drawPii(cls, new Random(s));
      const out = scrubText(`${before} ${prefix}${secret}${suffix} ${after}`, new PrivacyAudit());
      return !leaksSecret(core ?? secret, out, `${before} ${prefix} ${suffix} ${after}`);
    }),
    { seed: 19, numRuns: 400 },
  );
  t.pass();
});

test('property: a secret obfuscated with unicode (format characters, full-width forms, other spaces) never survives', (t) => {
  fc.assert(
    fc.property(piiClass, seed, words, words, (cls, s, before, after) => {
      const r = new Random(s);
      const { secret, core, prefix, suffix } = drawPii(cls, r);
      const out = scrubText(`${before} ${prefix}${obfuscate(secret, r)}${suffix} ${after}`, new PrivacyAudit());
      return !leaksSecret(core ?? secret, out, `${before} ${prefix} ${suffix} ${after}`);
    }),
    { seed: 19, numRuns: 400 },
  );
  t.pass();
});

test('property: a secret split across typing, clicks, pastes and corrected typos in one window never survives', (t) => {
  const piece = fc.constantFrom('type', 'paste', 'typo');
  fc.assert(
    fc.property(piiClass, seed, words, words, fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), piece), { minLength: 1, maxLength: 3 }), (cls, s, before, after, cuts) => {
      const { secret, core, prefix, suffix } = drawPii(cls, new Random(s));
      const text = `${before} ${prefix}${secret}${suffix} ${after}`;
      const start = before.length + 1 + prefix.length;
      const points = [...new Set(cuts.map(([c]) => start + 1 + Math.floor(c * (secret.length - 1))))].sort((a, b) => a - b);
      const actions: Action[] = [];
      let at = 0;
      for (let i = 0; i <= points.length; i++) {
        const end = i < points.length ? points[i] : text.length;
        const chunk = text.slice(at, end);
        const how = i === 0 ? 'type' : cuts[Math.min(i, cuts.length) - 1][1];
        if (how === 'paste') actions.push(keyAction('hotkey', 'ctrl+v', i * 1000, chunk));
        else if (how === 'typo') {
          actions.push(typeAction('zq', i * 1000), keyAction('key', 'Backspace', i * 1000 + 10), keyAction('key', 'Backspace', i * 1000 + 20));
          actions.push(typeAction(chunk, i * 1000 + 30));
        } else {
          if (i > 0) actions.push(keyAction('click', null, i * 1000));
          actions.push(typeAction(chunk, i * 1000 + 5));
        }
        at = end;
      }
      scrubActions(actions, new PrivacyAudit());
      return !leaksSecret(core ?? secret, written(actions), `${before} ${prefix} ${suffix} ${after}`);
    }),
    { seed: 19, numRuns: 300 },
  );
  t.pass();
});

test('property: ordinary prose survives scrubbing unchanged', (t) => {
  fc.assert(
    fc.property(words, (text) => scrubText(text, new PrivacyAudit()) === text && findSpans(text).length === 0),
    { seed: 19, numRuns: 300 },
  );
  t.pass();
});

test('an e-mail address is replaced whole in any script, local part included', (t) => {
  for (const address of ['josé.garcía@example.com', 'user@exämple.de', 'иван.петров@пример.рф', '张伟@例え.jp', 'a@xn--80ak6aa92e.com']) {
    t.is(scrubText(`write to ${address} now`, new PrivacyAudit()), 'write to <EMAIL> now', address);
  }
});

test('obfuscated PII is replaced over its original span, the obfuscating characters included', (t) => {
  const cases: [string, string][] = [
    ['mail ja\u200Bne@exam\u200Dple.com ok', 'mail <EMAIL> ok'],
    ['mail jane\uFF20example.com ok', 'mail <EMAIL> ok'],
    ['card \uFF14\uFF11\uFF11\uFF11 1111 1111 1111 ok', 'card <CARD> ok'],
    ['card 4111\u00A01111\u00A01111\u00A01111 ok', 'card <CARD> ok'],
    ['ssn \uFF11\uFF12\uFF13-45-6789 ok', 'ssn <SSN> ok'],
    ['call 415\u2013555\u20130100 ok', 'call <PHONE> ok'],
  ];
  for (const [input, expected] of cases) t.is(scrubText(input, new PrivacyAudit()), expected, JSON.stringify(input));
});

test('numbers: phones without separators, cards with dots, SSNs, IBANs; not versions, dates, order numbers or timestamps', (t) => {
  const audit = new PrivacyAudit();
  t.is(scrubText('call 4155550100 today', audit), 'call <PHONE> today');
  t.is(scrubText('card 4111.1111.1111.1111 ok', audit), 'card <CARD> ok');
  t.is(scrubText('SSN: 123456789 and 123 45 6789', audit), 'SSN: <SSN> and <SSN>');
  t.is(scrubText('iban fr14 2004 1010 0505 0001 3m02 606', audit), 'iban <IBAN>');
  for (const text of ['chrome 122.0.5140.116', 'Order #445-3815015-0456814 shipped', 'epoch 1772546400 and 1772546400500', 'at 37.774929, -122.419416', 'due 2026-03-02T12:30:00.000Z']) {
    t.is(scrubText(text, audit), text);
  }
});

test('secrets: well-known token shapes, connection strings, and hex or UUID tokens after a secret name (not git hashes)', (t) => {
  const cases: [string, string][] = [
    ['xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx', '<SECRET>'],
    ['sk_live_4eC39HqLyjWDarjtT1zdp7dc', '<SECRET>'],
    ['rk_live_abcdefghij1234567890', '<SECRET>'],
    ['AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI', '<SECRET>'],
    ['postgres://admin:s3cr3t!@db.example.com:5432/app', 'postgres://<SECRET>@db.example.com:5432/app'],
    ['mysql://root:p@ss@localhost/x', 'mysql://<SECRET>@localhost/x'],
    ['AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'AWS_SECRET_ACCESS_KEY=<SECRET>'],
    ['api key 9f86d081884c7d659a2feaa0c55ad015', 'api key <SECRET>'],
    ['token: 550e8400-e29b-41d4-a716-446655440000', 'token: <SECRET>'],
    ['password: hunter2', 'password: <SECRET>'],
    ['git checkout 3f2a9c1b4d5e6f708192a3b4c5d6e7f809123456', 'git checkout 3f2a9c1b4d5e6f708192a3b4c5d6e7f809123456'],
    ['git clone git@github.com:acme/app.git', 'git clone git@github.com:acme/app.git'],
  ];
  for (const [input, expected] of cases) t.is(scrubText(input, new PrivacyAudit()), expected, input);
});

test('the text of a window is rebuilt from typing, pastes and Backspace; placeholders land on the actions, offsets dropped only where text changed', (t) => {
  const actions = [
    typeAction('write to jane.do', 0),
    keyAction('click', null, 1000),
    typeAction('ex', 2000),
    keyAction('key', 'Backspace', 2100),
    keyAction('key', 'Backspace', 2200),
    typeAction('e@exa', 2300),
    keyAction('hotkey', 'ctrl+v', 3000, 'mple.com'),
    typeAction(' thanks', 4000),
  ];
  const audit = new PrivacyAudit();
  scrubActions(actions, audit);
  t.is(written(actions), 'write to <EMAIL> thanks');
  t.is(audit.strippedFields.pii_email, 1);
  t.is(actions[0].text, 'write to <EMAIL>');
  t.is(actions[0].key_times_ms, null, 'the changed action has no keystroke offsets');
  t.not(actions[7].key_times_ms, null, 'an unchanged action keeps them');
  t.is(actions[7].key_times_ms!.length, actions[7].text!.length);
});

test('typing in another window is another text', (t) => {
  const a = typeAction('jane@exa', 0);
  const b = typeAction('mple.com', 1000);
  b.context = 1;
  scrubActions([a, b], new PrivacyAudit());
  t.deepEqual([a.text, b.text], ['jane@exa', 'mple.com']);
});
