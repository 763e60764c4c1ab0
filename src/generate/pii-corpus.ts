// A labelled, seeded corpus for the scrubber: PII and secrets of every class the scrubber
// promises to replace, each in a sentence, in plain, unicode-obfuscated and split-by-user forms
// (typed in two bursts around a click, half typed and half pasted, corrected with Backspace);
// and ordinary text that must stay (prose, code, shell commands, order numbers, dates, versions,
// git hashes, coordinates). test/scrub-recall.test.ts and the bench measure recall per class and
// the share of ordinary characters replaced over it. Same seed, same corpus.
import { blankAction, type Action } from '../contract/episode.ts';
import { Random } from './random.ts';

export const PII_CLASSES = [
  'email',
  'phone',
  'card',
  'ssn',
  'iban',
  'url_credentials',
  'slack_token',
  'stripe_key',
  'github_token',
  'aws_access_key_id',
  'aws_secret_key',
  'google_api_key',
  'jwt',
  'private_key',
  'hex_token',
  'uuid_token',
  'generic_token',
] as const;
export type PiiClass = (typeof PII_CLASSES)[number];

export const CORPUS_FORMS = ['plain', 'unicode', 'split_click', 'split_paste', 'split_edit'] as const;
export type CorpusForm = (typeof CORPUS_FORMS)[number];

export interface CorpusSample {
  cls: PiiClass;
  form: CorpusForm;
  /** what must not survive, as written before obfuscation. */
  secret: string;
  /** the words around it, which may survive. */
  context: string;
  /** the actions of one window, as the reducer would give them. */
  actions: Action[];
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const UPPER_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const HEX = '0123456789abcdef';
const BASE64 = ALNUM + '+/';
const BASE64URL = ALNUM + '-_';

function chars(r: Random, alphabet: string, n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) out += alphabet[r.int(0, alphabet.length - 1)];
  return out;
}

function digits(r: Random, n: number): string {
  return chars(r, '0123456789', n);
}

function luhnComplete(prefix: string, length: number, r: Random): string {
  let body = prefix + digits(r, length - prefix.length - 1);
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = body.charCodeAt(body.length - 1 - i) - 48;
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  body += String((10 - (sum % 10)) % 10);
  return body;
}

function ibanOf(country: string, bban: string): string {
  const rearranged = bban + country + '00';
  let remainder = 0;
  for (const ch of rearranged) {
    const c = ch.charCodeAt(0);
    const value = c >= 65 ? String(c - 55) : ch;
    for (const d of value) remainder = (remainder * 10 + Number(d)) % 97;
  }
  return `${country}${String(98 - remainder).padStart(2, '0')}${bban}`;
}

const b64url = (text: string) => Buffer.from(text).toString('base64url');

const LOCAL_PARTS = ['josé.garcía', 'иван.петров', 'müller', 'françois.dupont', 'ζωή', '张伟', 'jane.doe', 'a.b-c', 'li.wei+inbox', 'o\'brien', 'søren', 'priya_k', 'ahmed.علي'];
const DOMAINS = ['example.com', 'exämple.de', 'пример.рф', 'mail.example.co.uk', 'xn--80ak6aa92e.com', 'correo.es', 'company.io', '例え.jp', 'uni-köln.de'];
const SCHEMES = ['postgres', 'postgresql', 'mysql', 'mongodb+srv', 'redis', 'amqp', 'https', 'ftp', 'jdbc:mysql'];
const HOSTS = ['db.internal', 'localhost', 'cluster0.abcde.mongodb.net', 'mq.example.com', '10.0.3.7'];

/** The sensitive value, and the sentence around it (prefix, suffix) a person would write. */
export function drawPii(cls: PiiClass, r: Random): { secret: string; prefix: string; suffix: string; core?: string } {
  switch (cls) {
    case 'email': {
      let local = r.pick(LOCAL_PARTS);
      if (r.chance(0.3)) local += digits(r, r.int(1, 3));
      return { secret: `${local}@${r.pick(DOMAINS)}`, prefix: r.pick(['please write to ', 'contact: ', 'cc ', 'my address is ']), suffix: r.pick([' thanks', '.', ' before Friday', '']) };
    }
    case 'phone': {
      const area = String(r.int(201, 989));
      const ex = String(r.int(200, 999));
      const line = digits(r, 4);
      const secret = r.pick([
        `${area}${ex}${line}`,
        `${area}-${ex}-${line}`,
        `(${area}) ${ex}-${line}`,
        `${area}.${ex}.${line}`,
        `+1 ${area} ${ex} ${line}`,
        `1-${area}-${ex}-${line}`,
        `+44 20 ${digits(r, 4)} ${digits(r, 4)}`,
        `+49 30 ${digits(r, 8)}`,
        `07${digits(r, 3)} ${digits(r, 6)}`,
        `+33 1 ${digits(r, 2)} ${digits(r, 2)} ${digits(r, 2)} ${digits(r, 2)}`,
      ]);
      return { secret, prefix: r.pick(['call me at ', 'phone: ', 'my cell is ', 'reach us on ']), suffix: r.pick([' after 5pm', '.', ' anytime', '']) };
    }
    case 'card': {
      const [prefix, length] = r.pick([['4', 16], ['51', 16], ['55', 16], ['2221', 16], ['34', 15], ['37', 15], ['6011', 16], ['35', 16], ['4', 13]] as const);
      const number = luhnComplete(prefix, length, r);
      const sep = r.pick([' ', '-', '.', '']);
      const groups = length === 15 ? [number.slice(0, 4), number.slice(4, 10), number.slice(10)] : (number.match(/.{1,4}/g) as string[]);
      return { secret: groups.join(sep), prefix: r.pick(['card ', 'my visa is ', 'cc number: ', 'pay with ']), suffix: r.pick([' exp 12/29', '.', ' thanks', '']) };
    }
    case 'ssn': {
      let area = r.int(1, 899);
      if (area === 666) area = 667;
      const a = String(area).padStart(3, '0');
      const g = String(r.int(1, 99)).padStart(2, '0');
      const s = String(r.int(1, 9999)).padStart(4, '0');
      const form = r.int(0, 2);
      if (form === 2) return { secret: `${a}${g}${s}`, prefix: r.pick(['SSN ', 'ssn: ', 'social security number ']), suffix: r.pick(['.', ' on file', '']) };
      return { secret: `${a}${form === 0 ? '-' : ' '}${g}${form === 0 ? '-' : ' '}${s}`, prefix: r.pick(['ssn ', 'my social is ', 'tax form: ']), suffix: r.pick(['.', ' on file', '']) };
    }
    case 'iban': {
      const [country, length] = r.pick([['DE', 18], ['GB', 18], ['FR', 23], ['NL', 14], ['ES', 20], ['IT', 23], ['CH', 17], ['BE', 12]] as const);
      const bban = country === 'GB' || country === 'NL' ? chars(r, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 4) + digits(r, length - 4) : digits(r, length);
      const iban = ibanOf(country, bban);
      const secret = r.chance(0.5) ? iban : (iban.match(/.{1,4}/g) as string[]).join(' ');
      return { secret, prefix: r.pick(['IBAN ', 'transfer to ', 'account: ']), suffix: r.pick([' please', '.', '']) };
    }
    case 'url_credentials': {
      const user = r.pick(['admin', 'root', 'app_user', 'svc-report', 'deploy']);
      const password = chars(r, ALNUM + '!$%*~', r.int(8, 20));
      const scheme = r.pick(SCHEMES);
      return {
        secret: `${scheme}://${user}:${password}@${r.pick(HOSTS)}/${r.pick(['main', 'db1', ''])}`,
        core: `${user}:${password}`,
        prefix: r.pick(['DATABASE_URL=', 'connect with ', 'export DB=', '']),
        suffix: r.pick(['', ' and restart', '.']),
      };
    }
    case 'slack_token': {
      const secret = r.pick([
        () => `xoxb-${digits(r, r.int(10, 13))}-${digits(r, r.int(10, 13))}-${chars(r, ALNUM, 24)}`,
        () => `xoxp-${digits(r, 12)}-${digits(r, 12)}-${digits(r, 13)}-${chars(r, HEX, 32)}`,
        () => `xoxa-2-${chars(r, ALNUM, r.int(20, 40))}`,
        () => `xoxr-${chars(r, ALNUM, r.int(20, 40))}`,
        () => `xoxe.xoxp-1-${chars(r, ALNUM, 150)}`,
        () => `xapp-1-A${chars(r, UPPER_DIGITS, 10)}-${digits(r, 13)}-${chars(r, HEX, 64)}`,
      ])();
      return { secret, prefix: r.pick(['SLACK_TOKEN=', 'use token ', 'bot token: ']), suffix: r.pick(['', ' for the bot', '.']) };
    }
    case 'stripe_key':
      return { secret: `${r.pick(['sk_live_', 'rk_live_', 'sk_test_'])}${chars(r, ALNUM, r.int(24, 99))}`, prefix: r.pick(['stripe key ', 'STRIPE_SECRET=', '']), suffix: r.pick(['', ' in prod', '.']) };
    case 'github_token': {
      const secret = r.chance(0.7) ? `${r.pick(['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_'])}${chars(r, ALNUM, 36)}` : `github_pat_${chars(r, ALNUM, 22)}_${chars(r, ALNUM, 59)}`;
      return { secret, prefix: r.pick(['git clone with ', 'GITHUB_TOKEN=', 'token ']), suffix: r.pick(['', ' please', '.']) };
    }
    case 'aws_access_key_id':
      return { secret: `${r.pick(['AKIA', 'ASIA'])}${chars(r, UPPER_DIGITS, 16)}`, prefix: r.pick(['aws_access_key_id = ', 'key id ', '']), suffix: r.pick(['', ' (prod)', '.']) };
    case 'aws_secret_key':
      return { secret: chars(r, BASE64, 40), prefix: r.pick(['aws_secret_access_key = ', 'AWS_SECRET_ACCESS_KEY=', 'secret is ', 'the secret key ']), suffix: r.pick(['', ' for us-east-1', '.']) };
    case 'google_api_key':
      return { secret: `AIza${chars(r, BASE64URL, 35)}`, prefix: r.pick(['maps key ', 'GOOGLE_API_KEY=', '?key=']), suffix: r.pick(['', ' thanks', '.']) };
    case 'jwt': {
      const header = b64url(JSON.stringify({ alg: r.pick(['HS256', 'RS256']), typ: 'JWT' }));
      const payload = b64url(JSON.stringify({ sub: digits(r, 8), name: r.pick(['Jane', 'Omar']), iat: r.int(1e9, 2e9) }));
      return { secret: `${header}.${payload}.${chars(r, BASE64URL, 43)}`, prefix: r.pick(['Authorization: Bearer ', 'jwt ', 'token=']), suffix: r.pick(['', ' expired', '.']) };
    }
    case 'private_key': {
      const kind = r.pick(['RSA ', 'OPENSSH ', 'EC ', '', 'ENCRYPTED ']);
      const lines = Array.from({ length: r.int(2, 6) }, () => chars(r, BASE64, 64)).join('\n');
      return { secret: `-----BEGIN ${kind}PRIVATE KEY-----\n${lines}\n-----END ${kind}PRIVATE KEY-----`, core: lines, prefix: r.pick(['key:\n', 'here: ', '']), suffix: r.pick(['', '\nthanks']) };
    }
    case 'hex_token':
      return { secret: chars(r, r.chance(0.5) ? HEX : HEX.toUpperCase(), r.pick([32, 40, 64])), prefix: r.pick(['api key ', 'X-Api-Key: ', 'token=', 'secret: ', 'session ', 'auth token is ']), suffix: r.pick(['', ' (rotate monthly)', '.']) };
    case 'uuid_token': {
      const h = () => chars(r, HEX, 32);
      const u = h();
      return { secret: `${u.slice(0, 8)}-${u.slice(8, 12)}-${u.slice(12, 16)}-${u.slice(16, 20)}-${u.slice(20)}`, prefix: r.pick(['HEROKU_API_KEY=', 'api key ', 'token: ', 'client secret ']), suffix: r.pick(['', ' now', '.']) };
    }
    case 'generic_token':
      return { secret: chars(r, ALNUM, r.int(24, 64)), prefix: r.pick(['my key is ', 'use ', 'token ', 'paste: ']), suffix: r.pick(['', ' ok', '.']) };
  }
}

const INVISIBLES = ['\u200B', '\u200C', '\u200D', '\u2060', '\uFEFF', '\u00AD'];
const SPACES = ['\u00A0', '\u202F', '\u2007', '\u3000'];

/** What a person or an attacker does to get a string past a filter that reads code points. */
export function obfuscate(secret: string, r: Random): string {
  let out = '';
  let changed = false;
  for (const ch of secret) {
    const c = ch.codePointAt(0)!;
    if (c >= 48 && c <= 57 && r.chance(0.5)) {
      out += String.fromCodePoint(0xff10 + c - 48); // full-width digit
      changed = true;
    } else if (ch === '@' && r.chance(0.7)) {
      out += r.pick(['\uFF20', '\uFE6B']);
      changed = true;
    } else if (ch === ' ' && r.chance(0.8)) {
      out += r.pick(SPACES);
      changed = true;
    } else if (ch === '-' && /\d/.test(secret) && !/[a-z]/.test(secret) && r.chance(0.5)) {
      out += r.pick(['\u2013', '\u2011', '\u2212']);
      changed = true;
    } else out += ch;
    if (r.chance(0.15)) {
      out += r.pick(INVISIBLES);
      changed = true;
    }
  }
  if (!changed) {
    const at = r.int(1, Math.max(1, out.length - 1));
    out = out.slice(0, at) + '\u200B' + out.slice(at);
  }
  return out;
}

export function typeAction(text: string, t: number): Action {
  const a = blankAction('type', t);
  a.text = text;
  a.context = 0;
  a.key_times_ms = Array.from(text, (_, i) => i * 80);
  a.duration_ms = text.length * 80;
  return a;
}

export function keyAction(kind: 'key' | 'hotkey' | 'click', key: string | null, t: number, text: string | null = null): Action {
  const a = blankAction(kind, t);
  a.key = key;
  a.text = text;
  a.context = 0;
  return a;
}

/** A cut inside the secret, not at its ends. */
function cutOf(secret: string, r: Random): number {
  return r.int(1, Math.max(1, secret.length - 1));
}

export function corpusSample(cls: PiiClass, form: CorpusForm, r: Random): CorpusSample {
  const { secret, prefix, suffix, core } = drawPii(cls, r);
  const mustGo = core ?? secret;
  const context = prefix + suffix;
  switch (form) {
    case 'plain':
      return { cls, form, secret: mustGo, context, actions: [typeAction(prefix + secret + suffix, 0)] };
    case 'unicode':
      return { cls, form, secret: mustGo, context, actions: [typeAction(prefix + obfuscate(secret, r) + suffix, 0)] };
    case 'split_click': {
      const cut = cutOf(secret, r);
      return {
        cls,
        form,
        secret: mustGo,
        context,
        actions: [typeAction(prefix + secret.slice(0, cut), 0), keyAction('click', null, 3000), typeAction(secret.slice(cut) + suffix, 5000)],
      };
    }
    case 'split_paste': {
      const cut = cutOf(secret, r);
      return {
        cls,
        form,
        secret: mustGo,
        context,
        actions: [typeAction(prefix + secret.slice(0, cut), 0), keyAction('hotkey', 'ctrl+v', 3000, secret.slice(cut)), typeAction(suffix || ' ', 5000)],
      };
    }
    case 'split_edit': {
      const cut = cutOf(secret, r);
      const typo = chars(r, 'qwxz', r.int(1, 3));
      const actions = [typeAction(prefix + secret.slice(0, cut) + typo, 0)];
      for (let i = 0; i < typo.length; i++) actions.push(keyAction('key', 'Backspace', 2000 + i * 100));
      actions.push(typeAction(secret.slice(cut) + suffix, 4000));
      return { cls, form, secret: mustGo, context, actions };
    }
  }
}

/** `perCell` samples of every class in every form. */
export function piiCorpus(seed: number, perCell: number): CorpusSample[] {
  const r = new Random(seed);
  const out: CorpusSample[] = [];
  for (const cls of PII_CLASSES) for (const form of CORPUS_FORMS) for (let i = 0; i < perCell; i++) out.push(corpusSample(cls, form, r));
  return out;
}

/** Letters and digits only, lowercase: how a leak is looked for whatever surrounds or splits it. */
export function foldForLeak(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/[^\p{L}\p{N}]/gu, '');
}

/**
 * Whether any part of `secret` survives in `written`: any six consecutive letters or digits of it
 * (all of it when shorter), compared folded, outside what the placeholders and the sentence
 * around it hold anyway.
 */
export function leaksSecret(secret: string, written: string, context = ''): boolean {
  const s = foldForLeak(secret);
  const w = foldForLeak(written.replace(/<(?:EMAIL|PHONE|CARD|SSN|IBAN|SECRET)>/g, '|'));
  const around = foldForLeak(context);
  if (s.length <= 6) return w.includes(s) && !around.includes(s);
  for (let i = 0; i + 6 <= s.length; i++) {
    const window = s.slice(i, i + 6);
    if (w.includes(window) && !around.includes(window)) return true;
  }
  return false;
}

export const ORDINARY_CATEGORIES = ['prose', 'code', 'shell', 'order_numbers', 'dates', 'versions', 'git_hashes', 'coordinates'] as const;
export type OrdinaryCategory = (typeof ORDINARY_CATEGORIES)[number];

const WORDS = 'the quarterly report is due on friday so please review the draft and send comments about revenue growth in the northeast region before our meeting with the product team we also need to update the roadmap slides and check whether the new onboarding flow reduced support tickets'.split(' ');
const IDENTS = ['userId', 'fetchOrders', 'renderTable', 'config', 'response', 'items', 'handleSubmit', 'useEffect', 'getElementById', 'parseInt', 'total', 'index'];
const PACKAGES = ['react', 'lodash', 'express', 'typescript', 'zod', 'vite'];

function hex(r: Random, n: number): string {
  return chars(r, HEX, n);
}

/** Ordinary text that must survive scrubbing (mostly): what people type all day. */
export function ordinaryText(category: OrdinaryCategory, r: Random): string {
  switch (category) {
    case 'prose':
      return Array.from({ length: r.int(8, 30) }, () => r.pick(WORDS)).join(' ') + r.pick(['.', '?', '!']);
    case 'code':
      return r.pick([
        () => `const ${r.pick(IDENTS)} = await ${r.pick(IDENTS)}(${r.pick(IDENTS)}, { limit: ${r.int(1, 500)} });`,
        () => `for (let i = 0; i < ${r.pick(IDENTS)}.length; i++) { ${r.pick(IDENTS)}[i] = ${r.pick(IDENTS)}(i * ${r.int(2, 64)}); }`,
        () => `def ${r.pick(IDENTS)}(self, ${r.pick(IDENTS)}: int = ${r.int(0, 99)}) -> dict:`,
        () => `if (${r.pick(IDENTS)} === null) throw new Error('missing ${r.pick(IDENTS)}');`,
        () => `import { ${r.pick(IDENTS)} } from './components/${r.pick(IDENTS)}Panel';`,
        () => `export function getUserProfileSettingsForAccount(accountId: string): Promise<${r.pick(['void', 'Settings'])}> {`,
        () => `const requestId = "${hex(r, 8)}-${hex(r, 4)}-${hex(r, 4)}-${hex(r, 4)}-${hex(r, 12)}";`,
        () => `XMLHttpRequest.prototype.${r.pick(IDENTS)} = function handleReadyStateChangeEvent() {};`,
        () => `SELECT id, name FROM orders WHERE created_at > '2024-0${r.int(1, 9)}-1${r.int(0, 9)}' LIMIT ${r.int(10, 1000)};`,
      ])();
    case 'shell':
      return r.pick([
        () => `npm install ${r.pick(PACKAGES)}@${r.int(1, 20)}.${r.int(0, 9)}.${r.int(0, 30)} --save-dev`,
        () => `docker run -p ${r.int(3000, 9000)}:80 -v $(pwd):/app node:${r.int(16, 22)}-alpine`,
        () => `kubectl get pods -n ${r.pick(['prod', 'staging'])} --selector app=${r.pick(IDENTS).toLowerCase()}`,
        () => `ssh deploy@${r.pick(['build01', 'web-2'])} 'sudo systemctl restart nginx'`,
        () => `git clone git@github.com:acme/${r.pick(IDENTS)}.git`,
        () => `psql -h localhost -U postgres -d orders -c 'select count(*) from items'`,
        () => `grep -rn "${r.pick(IDENTS)}" src/ | wc -l`,
        () => `curl -s https://api.example.com/v1/items?page=${r.int(1, 40)}&per_page=${r.int(10, 100)}`,
        () => `cd ~/projects/${r.pick(IDENTS)} && ls -la && tail -n ${r.int(10, 500)} logs/app.log`,
      ])();
    case 'order_numbers':
      return r.pick([
        () => `Order #${digits(r, 3)}-${digits(r, 7)}-${digits(r, 7)} has shipped`,
        () => `invoice INV-${r.int(2019, 2026)}-${digits(r, 5)} is overdue`,
        () => `ticket JIRA-${r.int(100, 9999)} and PR #${r.int(10, 9999)}`,
        () => `order number ${r.int(100000, 99999999)} for ${r.int(1, 12)} items, total $${r.int(10, 999)}.${digits(r, 2)}`,
        () => `tracking 1Z${chars(r, UPPER_DIGITS, 16)} arrives tomorrow`,
        () => `PO ${r.int(1, 9)}${digits(r, 6)} approved`,
      ])();
    case 'dates':
      return r.pick([
        () => `meeting on 202${r.int(0, 9)}-0${r.int(1, 9)}-${r.int(10, 28)} at ${r.int(10, 23)}:${r.int(10, 59)}`,
        () => `due ${r.int(1, 12)}/${r.int(1, 28)}/202${r.int(0, 9)}, moved from ${r.int(1, 12)}/${r.int(1, 28)}`,
        () => `timestamp 202${r.int(0, 9)}-0${r.int(1, 9)}-1${r.int(0, 9)}T${r.int(10, 23)}:${r.int(10, 59)}:${r.int(10, 59)}.${digits(r, 3)}Z`,
        () => `from March ${r.int(1, 28)}, 202${r.int(0, 9)} until April ${r.int(1, 28)}`,
      ])();
    case 'versions':
      return r.pick([
        () => `upgraded to v${r.int(1, 30)}.${r.int(0, 20)}.${r.int(0, 40)}`,
        () => `node ${r.int(16, 22)}.${r.int(0, 20)}.${r.int(0, 9)} and python 3.${r.int(8, 13)}.${r.int(0, 9)}`,
        () => `release 1.${r.int(0, 9)}.0-beta.${r.int(1, 9)} (build ${r.int(1000, 99999)})`,
        () => `chrome ${r.int(100, 130)}.0.${r.int(1000, 6999)}.${r.int(10, 200)}`,
      ])();
    case 'git_hashes':
      return r.pick([
        () => `git checkout ${hex(r, 40)}`,
        () => `git show ${hex(r, 7)} && git revert ${hex(r, 12)}`,
        () => `git rebase -i ${hex(r, 40)}~3`,
        () => `commit ${hex(r, 40)} (HEAD -> main)`,
        () => `sha256sum: ${hex(r, 64)}  release.tar.gz`,
      ])();
    case 'coordinates':
      return r.pick([
        () => `meet at ${r.int(10, 60)}.${digits(r, 4)}, -${r.int(70, 125)}.${digits(r, 4)}`,
        () => `lat=${r.int(10, 60)}.${digits(r, 6)}&lon=${r.int(1, 20)}.${digits(r, 6)}`,
        () => `${r.int(10, 60)}.${digits(r, 4)}° N, ${r.int(1, 20)}.${digits(r, 4)}° E`,
        () => `geo:${r.int(10, 60)}.${digits(r, 5)},${r.int(1, 120)}.${digits(r, 5)}`,
      ])();
  }
}

export function ordinaryCorpus(seed: number, perCategory: number): { category: OrdinaryCategory; text: string }[] {
  const r = new Random(seed);
  const out: { category: OrdinaryCategory; text: string }[] = [];
  for (const category of ORDINARY_CATEGORIES) for (let i = 0; i < perCategory; i++) out.push({ category, text: ordinaryText(category, r) });
  return out;
}
