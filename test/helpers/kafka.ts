// A real Kafka broker for tests. KAFKA_BROKERS (host:port[,host:port...]) points tests at a broker
// someone else runs, e.g. in CI; otherwise scripts/kafka/start.sh starts a private one on a free
// port, so a developer's broker on 9092 and its topics are never touched.
import { execFile, spawnSync } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { kafkajs } from '../../src/kafka/kafkajs.ts';

export interface Broker {
  brokers: string[];
  /** stops the broker this process started (once every ensureBroker caller has stopped); no-op for KAFKA_BROKERS. */
  stop: () => Promise<void>;
}

const run = promisify(execFile);
const scriptsDir = fileURLToPath(new URL('../../scripts/kafka/', import.meta.url));
// one broker per test process, shared by every test in it: a start costs seconds
let started: Promise<{ brokers: string[]; env: NodeJS.ProcessEnv }> | undefined;
let users = 0;

export async function ensureBroker(): Promise<Broker> {
  const external = process.env.KAFKA_BROKERS?.split(',').map((b) => b.trim()).filter(Boolean);
  if (external?.length) return { brokers: external, stop: async () => {} };

  users += 1;
  started ??= startPrivateBroker();
  let brokers: string[];
  try {
    ({ brokers } = await started);
  } catch (error) {
    users -= 1;
    started = undefined;
    throw error;
  }
  let stopped = false;
  return {
    brokers,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      users -= 1;
      if (users > 0 || !started) return;
      const { env } = await started;
      started = undefined;
      await run('bash', [`${scriptsDir}stop.sh`], { env });
    },
  };
}

async function startPrivateBroker(): Promise<{ brokers: string[]; env: NodeJS.ProcessEnv }> {
  const [port, controllerPort] = await freePorts(2);
  const env = { ...process.env, KAFKA_PORT: String(port), KAFKA_CONTROLLER_PORT: String(controllerPort) };
  try {
    // the script's own deadline (90 s) comes first; this one only catches a hung script
    await run('bash', [`${scriptsDir}start.sh`], { env, timeout: 10 * 60_000 });
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`scripts/kafka/start.sh failed on port ${port}:\n${stdout}${stderr}`, { cause: error });
  }
  // A test process that dies before calling stop (a thrown hook, process.exit) must not leave a
  // broker and its data dir behind.
  process.once('exit', () => {
    if (started) spawnSync('bash', [`${scriptsDir}stop.sh`], { env, stdio: 'ignore' });
  });
  return { brokers: [`127.0.0.1:${port}`], env };
}

export interface SecuredBroker extends Broker {
  /** PEM of the broker's self-signed certificate: the CA a client trusts. */
  caFile: string;
  username: string;
  password: string;
}

/**
 * A broker of its own whose only client listener is SASL_SSL (SCRAM-SHA-256 over TLS), with a
 * certificate made here by keytool; its brokers speak TLS only. The readiness probe and the
 * broker's own traffic use a PLAINTEXT listener on another port that clients are not told about.
 */
export async function startSecuredBroker(dir: string): Promise<SecuredBroker> {
  const [port, controllerPort, internalPort] = await freePorts(3);
  const storePassword = randomBytes(8).toString('hex');
  const keystore = `${dir}/broker.p12`;
  const caFile = `${dir}/ca.pem`;
  const keytool = (...args: string[]) => run('keytool', args, { timeout: 120_000 });
  await keytool('-genkeypair', '-alias', 'broker', '-keyalg', 'RSA', '-keysize', '2048', '-validity', '2', '-dname', 'CN=127.0.0.1',
    '-ext', 'SAN=IP:127.0.0.1', '-keystore', keystore, '-storetype', 'PKCS12', '-storepass', storePassword, '-keypass', storePassword);
  const { stdout: pem } = await keytool('-exportcert', '-rfc', '-alias', 'broker', '-keystore', keystore, '-storepass', storePassword);
  writeFileSync(caFile, pem);
  const username = 'episodic';
  const password = randomBytes(12).toString('hex');
  const properties = `${dir}/secured.properties`;
  writeFileSync(
    properties,
    [
      `listeners=SASL_SSL://127.0.0.1:${port},INTERNAL://127.0.0.1:${internalPort},CONTROLLER://127.0.0.1:${controllerPort}`,
      `advertised.listeners=SASL_SSL://127.0.0.1:${port},INTERNAL://127.0.0.1:${internalPort}`,
      'inter.broker.listener.name=INTERNAL',
      'listener.security.protocol.map=SASL_SSL:SASL_SSL,INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT',
      'sasl.enabled.mechanisms=SCRAM-SHA-256',
      'listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
      `ssl.keystore.location=${keystore}`,
      'ssl.keystore.type=PKCS12',
      `ssl.keystore.password=${storePassword}`,
      `ssl.key.password=${storePassword}`,
      '',
    ].join('\n'),
  );
  const env = {
    ...process.env,
    KAFKA_PORT: String(port),
    KAFKA_CONTROLLER_PORT: String(controllerPort),
    KAFKA_READY_PORT: String(internalPort),
    KAFKA_EXTRA_PROPERTIES: properties,
    KAFKA_SCRAM_CREDENTIAL: `SCRAM-SHA-256=[name=${username},password=${password}]`,
    // a second JVM next to the shared broker, on a machine the whole suite shares
    KAFKA_START_TIMEOUT: process.env.KAFKA_START_TIMEOUT ?? '240',
  };
  try {
    await run('bash', [`${scriptsDir}start.sh`], { env, timeout: 10 * 60_000 });
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`scripts/kafka/start.sh failed for a SASL_SSL broker on port ${port}:\n${stdout}${stderr}`, { cause: error });
  }
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await run('bash', [`${scriptsDir}stop.sh`], { env });
  };
  process.once('exit', () => {
    if (!stopped) spawnSync('bash', [`${scriptsDir}stop.sh`], { env, stdio: 'ignore' });
  });
  return { brokers: [`127.0.0.1:${port}`], stop, caFile, username, password };
}

/** Ports the OS reports free now; held open together so the two are distinct. */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => {
      const server = createServer();
      return new Promise<typeof server>((resolve, reject) => {
        server.once('error', reject).listen(0, '127.0.0.1', () => resolve(server));
      });
    }),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

/** Creates a topic (replication factor 1) and returns once every partition has a leader. */
export async function createTopic(
  brokers: string[],
  name: string,
  partitions: number,
  configs: Record<string, string> = {},
): Promise<void> {
  const { Kafka, logLevel } = kafkajs();
  const admin = new Kafka({ clientId: 'episodic-test-admin', brokers, logLevel: logLevel.WARN }).admin();
  await admin.connect();
  try {
    const created = await admin.createTopics({
      topics: [
        {
          topic: name,
          numPartitions: partitions,
          replicationFactor: 1,
          configEntries: Object.entries(configs).map(([name, value]) => ({ name, value })),
        },
      ],
      waitForLeaders: true,
    });
    if (!created) throw new Error(`topic ${name} already exists; use uniqueName() so test runs do not share topics`);
  } finally {
    await admin.disconnect();
  }
}

/** A topic or group name no other test run uses, so runs against a shared broker stay apart. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${randomBytes(4).toString('hex')}`;
}
