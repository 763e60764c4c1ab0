// The shapes of well-known secrets, as data: one place to add a provider's token. Each rule names
// where its shape comes from; the patterns are ported from maintained rule sets rather than made up:
//   secretlint: @secretlint/secretlint-rule-preset-recommend (rules aws, github, slack, npm,
//     privatekey, sendgrid, shopify, openai, anthropic, gcp, hashicorp-vault, docker, huggingface)
//   gitleaks:   config/gitleaks.toml (stripe-access-token, gcp-api-key, slack-*, gitlab-pat,
//     twilio-api-key, mailgun, square, jwt, generic-api-key's keyword list)
// They are widened where the rule set pins an exact length that providers have changed before
// (GitHub, Slack): a scrubber that misses a longer token leaks it, one that takes a few more
// characters costs nothing. Every pattern runs over NFKC-normalized text (see normalize.ts).

export interface TokenRule {
  /** what the token is, for tests and docs. */
  name: string;
  /** where the shape comes from. */
  source: string;
  /** global; matched against normalized text. */
  pattern: RegExp;
}

export const TOKEN_RULES: readonly TokenRule[] = [
  {
    name: 'AWS access key id',
    source: 'secretlint aws, gitleaks aws-access-token',
    pattern: /\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z0-9]{16}\b/g,
  },
  {
    name: 'GitHub token',
    source: 'secretlint github (ghp_, gho_, ghu_, ghs_, ghr_: 36 characters; github_pat_: 82)',
    pattern: /\b(?:gh[pousr]_[A-Za-z0-9_]{30,255}|github_pat_[A-Za-z0-9_]{22,255})/g,
  },
  {
    name: 'GitLab token',
    source: 'secretlint gitlab, gitleaks gitlab-pat',
    pattern: /\bgl(?:pat|ptt|rt|dt|cbt|oas|ft|soat)-[A-Za-z0-9_-]{20,255}/g,
  },
  {
    name: 'Slack token',
    source: 'secretlint slack (xoxb, xoxp, xapp, xoxa, xoxo, xoxr), gitleaks slack-* (xoxe, xoxs)',
    pattern: /\b(?:xox[a-z](?:\.xox[a-z])?|xapp)-[A-Za-z0-9-]{8,255}/g,
  },
  {
    name: 'Slack webhook',
    source: 'secretlint slack IncomingWebhooks',
    pattern: /https?:\/\/hooks\.slack\.com\/(?:services|workflows)\/[A-Za-z0-9/_-]{10,}/gi,
  },
  {
    name: 'Stripe key',
    source: 'gitleaks stripe-access-token (sk_, rk_), Stripe docs (pk_, whsec_)',
    pattern: /\b(?:(?:sk|rk|pk)_(?:live|test|prod)_[A-Za-z0-9]{10,247}|whsec_[A-Za-z0-9]{20,})/g,
  },
  {
    name: 'Google API key',
    source: 'gitleaks gcp-api-key, secretlint gcp',
    pattern: /\bAIza[A-Za-z0-9_-]{35}/g,
  },
  {
    name: 'Google OAuth token or client secret',
    source: 'gitleaks gcp (ya29., GOCSPX-)',
    pattern: /\b(?:ya29\.[A-Za-z0-9_-]{20,}|GOCSPX-[A-Za-z0-9_-]{20,})/g,
  },
  {
    name: 'npm token',
    source: 'secretlint npm',
    pattern: /\bnpm_[A-Za-z0-9]{36}/g,
  },
  {
    name: 'OpenAI or Anthropic key',
    source: 'secretlint openai, anthropic',
    pattern: /\bsk-(?:proj-|svcacct-|admin-|ant-(?:api|admin)\d\d-)?[A-Za-z0-9_-]{20,}/g,
  },
  {
    name: 'SendGrid key',
    source: 'secretlint sendgrid',
    pattern: /\bSG\.[A-Za-z0-9_-]{16,128}\.[A-Za-z0-9_-]{16,128}/g,
  },
  {
    name: 'Twilio key',
    source: 'gitleaks twilio-api-key',
    pattern: /\bSK[0-9a-fA-F]{32}\b/g,
  },
  {
    name: 'Mailgun key',
    source: 'gitleaks mailgun-private-api-token',
    pattern: /\bkey-[0-9a-zA-Z]{32}\b/g,
  },
  {
    name: 'Square token',
    source: 'gitleaks square-access-token',
    pattern: /\b(?:sq0atp|sq0csp|EAAA)[A-Za-z0-9_-]{22,}/g,
  },
  {
    name: 'Shopify token',
    source: 'secretlint shopify',
    pattern: /\bshp(?:pa|ca|at|ss)_[a-fA-F0-9]{32,64}/g,
  },
  {
    name: 'HashiCorp Vault token',
    source: 'secretlint hashicorp-vault',
    pattern: /\bhv[sbr]\.[A-Za-z0-9_-]{24,300}/g,
  },
  {
    name: 'Docker, Hugging Face, Databricks, Linear tokens',
    source: 'secretlint docker, huggingface, databricks, linear',
    pattern: /\b(?:dckr_pat_[A-Za-z0-9_-]{20,}|hf_[A-Za-z]{30,}|dapi[a-f0-9]{32}|lin_api_[A-Za-z0-9]{32,})/g,
  },
];

/**
 * Words that make the value after them a secret (`password: ...`, `api_key = "..."`,
 * `token=...` in a query string): gitleaks generic-api-key's keywords, with passwords added.
 */
export const SECRET_KEYWORDS = [
  'access[_-]?key',
  'access[_-]?token',
  'api[_-]?key',
  'apikey',
  'auth(?:[_-]?token)?',
  'authorization',
  'bearer',
  'client[_-]?secret',
  'cookie',
  'credentials?',
  'passphrase',
  'passwd',
  'password',
  'private[_-]?key',
  'pwd',
  'secret(?:[_-]?key)?',
  'session(?:[_-]?(?:id|key|token))?',
  'sig(?:nature)?',
  'token',
] as const;

/** A keyword in the few characters before a hex or UUID-shaped token marks it as a secret. */
export const SECRET_CONTEXT = /key|token|secret|pass|pwd|auth|bearer|credential|session|cookie|signature|\bsig\b|api/i;
