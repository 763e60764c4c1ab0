// A real S3-compatible server for tests (versitygw, scripts/s3/start.sh). EPISODIC_S3_ENDPOINT
// (with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) points tests at one someone else runs, as
// npm test does; otherwise one is started on a free port for this test file and stopped after.
import { execFile, spawnSync } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const scriptsDir = fileURLToPath(new URL('../../scripts/s3/', import.meta.url));

export interface S3Server {
  /** what a client process needs in its environment */
  env: Record<string, string>;
  stop: () => Promise<void>;
}

/** Reads `export NAME=value` lines, as start.sh prints them. */
export function exportsOf(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const m of text.matchAll(/^export ([A-Z0-9_]+)=(.*)$/gm)) env[m[1]] = m[2];
  return env;
}

export async function ensureS3(): Promise<S3Server> {
  const endpoint = process.env.EPISODIC_S3_ENDPOINT;
  if (endpoint) {
    const env: Record<string, string> = { EPISODIC_S3_ENDPOINT: endpoint };
    for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION']) if (process.env[name]) env[name] = process.env[name]!;
    return { env, stop: async () => {} };
  }
  const port = await new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject).listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
  const scriptEnv = { ...process.env, S3_PORT: String(port) };
  const { stdout } = await run('bash', [`${scriptsDir}start.sh`], { env: scriptEnv, timeout: 15 * 60_000 });
  process.once('exit', () => spawnSync('bash', [`${scriptsDir}stop.sh`], { env: scriptEnv, stdio: 'ignore' }));
  return { env: exportsOf(stdout), stop: async () => void (await run('bash', [`${scriptsDir}stop.sh`], { env: scriptEnv })) };
}
