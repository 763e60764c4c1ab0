// The partitions' pipelines on a thread of their own. kafkajs spends 3.5-4 µs of one core on each
// record it fetches and parses; decode, privacy, sessions, actions and the Parquet encoder take
// about as much again. In one thread they take turns, so the run reached 0.4 of what kafkajs alone
// reads. Here the main thread fetches and hands each batch over as a few typed arrays (`fetched.ts`)
// while this thread works on the batch before; both run at once.
//
// Messages are handled one at a time, in the order sent: a flush sees every batch sent before it,
// and a batch sent after an assignment never meets a partition of the one before. A flush's shards
// are written while later batches go on (as when all of it ran in one thread).
import { Worker, isMainThread, parentPort, workerData, type MessagePort } from 'node:worker_threads';
import type { PipelineConfig } from '../config.ts';
import type { LogLevel, LogSink } from '../observability/log.ts';
import { Registry } from '../privacy/registry.ts';
import { followHeap, SHARED_HEAP_FLOOR_BYTES, stopFollowingHeap, tuneHeapForStreaming } from '../runtime.ts';
import { createKafka } from './client.ts';
import type { FetchedBatch } from './fetched.ts';
import { Partitions, type PartitionFlush, type PartitionsSummary } from './partitions.ts';
import { RegistryFollower } from './registry.ts';

const ROLE = 'episodic-kafka-pipelines';

export interface PipelineThreadOptions {
  config: PipelineConfig;
  out: string;
  pseudonymKey: string;
  /** follow the registry topic (false: it does not exist, nobody is known). */
  followRegistry: boolean;
  env: Record<string, string | undefined>;
  /** the level kafkajs follows on this thread too. */
  logLevel: LogLevel;
}

type LogFields = Record<string, unknown>;

type Request =
  | { type: 'ingest'; id: number; batch: FetchedBatch; now: number }
  | { type: 'assign'; generation: number }
  | { type: 'close-quiet'; now: number }
  | { type: 'flush'; id: number }
  | { type: 'part-written'; partition: number; processedThrough: number }
  | { type: 'end'; id: number }
  | { type: 'positions'; id: number }
  | { type: 'discard' }
  | { type: 'summary'; id: number }
  | { type: 'stop'; id: number };

type Reply =
  | { type: 'ready'; registry: string }
  | { type: 'log'; level: Parameters<LogSink>[0]; msg: string; fields: LogFields }
  | { type: 'done'; id: number; value?: unknown }
  | { type: 'rejected'; id: number; message: string }
  | { type: 'failed'; message: string; stack?: string };

/** The main thread's handle on the pipeline thread. Every call is carried out after the calls before it. */
export class PipelineThread {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private failure: Error | undefined;
  private exited = false;

  private constructor(
    private readonly worker: Worker,
    private readonly onFailure: (error: Error) => void,
  ) {}

  /** Starts the thread; resolves once the registry is loaded (its summary is logged). */
  static async start(
    options: PipelineThreadOptions,
    log: (msg: string, fields?: LogFields) => void,
    onFailure: (error: Error) => void,
    sink?: LogSink,
  ): Promise<PipelineThread> {
    const url = new URL(import.meta.url);
    const workerData = { role: ROLE, options };
    // the CLI runs a bundle, which the thread loads as it is; run from the sources (the bench, tsx),
    // the thread registers tsx itself first (a worker does not inherit the `--import tsx` hooks)
    const worker = url.pathname.endsWith('.ts')
      ? new Worker(
          `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})` +
            `.then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); })`,
          { eval: true, workerData },
        )
      : new Worker(url, { workerData });
    // the open episodes live on that thread: its heap is the one the growth step should follow
    stopFollowingHeap();
    const thread = new PipelineThread(worker, onFailure);
    let ready!: () => void;
    let failed!: (error: Error) => void;
    const started = new Promise<void>((resolve, reject) => {
      ready = resolve;
      failed = reject;
    });
    worker.on('message', (reply: Reply) => {
      switch (reply.type) {
        case 'ready':
          log(reply.registry);
          ready();
          break;
        case 'log':
          // the thread's own lines at info; kafkajs' at the level it gave them
          if (reply.level === 'info' || !sink) log(reply.msg, reply.fields);
          else sink(reply.level, reply.fields, reply.msg);
          break;
        case 'done':
        case 'rejected': {
          const call = thread.waiting.get(reply.id);
          thread.waiting.delete(reply.id);
          if (reply.type === 'done') call?.resolve(reply.value);
          else call?.reject(new Error(reply.message));
          break;
        }
        case 'failed': {
          const error = new Error(reply.message);
          error.stack = reply.stack ?? error.stack;
          thread.fail(error);
          failed(error);
          break;
        }
      }
    });
    worker.on('error', (error) => {
      thread.fail(error);
      failed(error);
    });
    worker.on('exit', (code) => {
      thread.exited = true;
      const error = new Error(`the pipeline thread exited (code ${code})`);
      thread.fail(error);
      failed(error);
    });
    await started;
    return thread;
  }

  private fail(error: Error): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    for (const call of this.waiting.values()) call.reject(error);
    this.waiting.clear();
    this.onFailure(error);
  }

  private call<T>(request: Request & { id: number }, transfer?: ArrayBuffer[]): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(request.id, { resolve: resolve as (value: unknown) => void, reject });
      this.worker.postMessage(request, transfer);
    });
  }

  private send(request: Request): void {
    if (!this.failure) this.worker.postMessage(request);
  }

  /** Hands the batch over (its buffers move to the thread); resolves once it is processed and the encoders have caught up. */
  ingest(batch: FetchedBatch, now: number): Promise<void> {
    const transfer = [batch.bytes.buffer, batch.spans.buffer, batch.offsets.buffer, batch.timestamps.buffer] as ArrayBuffer[];
    return this.call({ type: 'ingest', id: this.nextId++, batch, now }, transfer);
  }

  assign(generation: number): void {
    this.send({ type: 'assign', generation });
  }

  closeQuietDevices(now: number): void {
    this.send({ type: 'close-quiet', now });
  }

  flush(): Promise<PartitionFlush[]> {
    return this.call({ type: 'flush', id: this.nextId++ });
  }

  partWritten(partition: number, processedThrough: number): void {
    this.send({ type: 'part-written', partition, processedThrough });
  }

  end(): Promise<number> {
    return this.call({ type: 'end', id: this.nextId++ });
  }

  positions(): Promise<Map<number, number>> {
    return this.call({ type: 'positions', id: this.nextId++ });
  }

  discard(): void {
    this.send({ type: 'discard' });
  }

  summary(): Promise<PartitionsSummary> {
    return this.call({ type: 'summary', id: this.nextId++ });
  }

  /** Stops following the registry and ends the thread. */
  async stop(): Promise<void> {
    if (this.exited) return;
    try {
      if (!this.failure) await this.call({ type: 'stop', id: this.nextId++ });
    } catch {
      // a thread that failed is ended below either way
    }
    this.failure ??= new Error('the pipeline thread was stopped');
    await this.worker.terminate();
  }
}

/** The thread's side: a `Partitions` and the registry it judges events by. */
async function serve(port: MessagePort, options: PipelineThreadOptions): Promise<void> {
  const sink: LogSink = (level, fields, msg) => port.postMessage({ type: 'log', level, msg, fields } satisfies Reply);
  const log = (msg: string, fields: LogFields = {}) => sink('info', fields, msg);
  // the step is process-wide: kafkajs' heap on the main thread takes the room given here too
  tuneHeapForStreaming(process.execArgv, options.env, SHARED_HEAP_FLOOR_BYTES);
  const registry = new Registry();
  let follower: RegistryFollower | undefined;
  const kafkaSettings = options.config.source.kafka;
  if (options.followRegistry) {
    follower = new RegistryFollower({
      kafka: createKafka(kafkaSettings, options.env, { sink, level: options.logLevel }),
      topic: kafkaSettings.topics.registry,
      registry,
      groupPrefix: `${kafkaSettings.group_id}-registry`,
      onInvalid: (reason, partition, offset) => log(`registry record ${partition}@${offset} skipped: ${reason}`, { partition, offset }),
    });
    await follower.start();
    const size = registry.size;
    port.postMessage({ type: 'ready', registry: `registry loaded: ${size.people} people, ${size.exemptions} exemptions, ${size.erasures} erasures` } satisfies Reply);
  } else {
    port.postMessage({
      type: 'ready',
      registry: `registry topic ${kafkaSettings.topics.registry} does not exist: nobody is known, every event is dropped by the privacy gate`,
    } satisfies Reply);
  }
  const partitions = new Partitions({ config: options.config, out: options.out, pseudonymKey: options.pseudonymKey, registry, log });

  let failed = false;
  const fail = (error: unknown) => {
    if (failed) return;
    failed = true;
    const e = error instanceof Error ? error : new Error(String(error));
    port.postMessage({ type: 'failed', message: e.message, stack: e.stack } satisfies Reply);
  };
  const done = (id: number, value?: unknown) => port.postMessage({ type: 'done', id, value } satisfies Reply);

  const handle = async (request: Request): Promise<void> => {
    switch (request.type) {
      case 'ingest':
        partitions.ingest(request.batch, request.now);
        followHeap();
        // lets the Parquet encoders catch up before the next batch, so their queues stay short
        await partitions.drained();
        done(request.id);
        return;
      case 'assign':
        partitions.assign(request.generation);
        return;
      case 'close-quiet':
        partitions.closeQuietDevices(request.now);
        return;
      case 'flush': {
        // taken now, in order; written while the batches after it go on
        const id = request.id;
        partitions.flush().then(
          (flushed) => done(id, flushed),
          (error: Error) => port.postMessage({ type: 'rejected', id, message: error.message } satisfies Reply),
        );
        return;
      }
      case 'part-written':
        partitions.partWritten(request.partition, request.processedThrough);
        return;
      case 'end':
        done(request.id, await partitions.end());
        return;
      case 'positions':
        done(request.id, partitions.positions());
        return;
      case 'discard':
        partitions.discard();
        return;
      case 'summary':
        done(request.id, partitions.summary());
        return;
      case 'stop':
        // the run discarded what no flush took before it stops the thread
        await follower?.stop().catch(() => {});
        done(request.id);
        return;
    }
  };

  let chain = Promise.resolve();
  port.on('message', (request: Request) => {
    chain = chain.then(() => (failed ? undefined : handle(request))).catch(fail);
  });
}

if (!isMainThread && parentPort !== null && (workerData as { role?: string } | undefined)?.role === ROLE) {
  const port = parentPort;
  serve(port, (workerData as { options: PipelineThreadOptions }).options).catch((error: Error) =>
    port.postMessage({ type: 'failed', message: error.message, stack: error.stack } satisfies Reply),
  );
}
