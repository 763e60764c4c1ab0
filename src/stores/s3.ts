// An S3-compatible object store, as the dataset commands need it: streamed multipart uploads that
// appear whole or not at all, conditional writes (If-None-Match / If-Match) for the objects that
// several writers may race on, listing, deletion, and a lease lock built on conditional create.
// Credentials come from the AWS SDK's usual chain (environment, profile, instance role).
import { createReadStream } from 'node:fs';
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';

export interface S3Settings {
  /** `http(s)://host:port` of an S3-compatible server; unset: AWS itself (or EPISODIC_S3_ENDPOINT). */
  endpoint?: string;
  region: string;
  force_path_style: boolean;
}

/** Where the endpoint comes from when the config names none: what `npm run s3:start` prints. */
export const S3_ENDPOINT_ENV = 'EPISODIC_S3_ENDPOINT';

/** Multipart part size: a shard is streamed from its file in parts of this size, two at a time. */
const PART_BYTES = 8 * 1024 * 1024;

export class PreconditionFailed extends Error {}

function status(error: unknown): number | undefined {
  return error instanceof S3ServiceException ? error.$metadata.httpStatusCode : (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

export interface StoredObject {
  body: Buffer;
  etag: string;
}

export class S3Store {
  readonly client: S3Client;

  constructor(
    readonly bucket: string,
    settings: S3Settings,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    // The SDK warns on every run that releases after January 2027 need Node 22; the lockfile pins
    // one that runs on Node 20 (docs/operations/object-storage.md says so once, instead).
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    const endpoint = settings.endpoint ?? env[S3_ENDPOINT_ENV];
    this.client = new S3Client({
      region: settings.region,
      ...(endpoint ? { endpoint, forcePathStyle: settings.force_path_style } : {}),
    });
  }

  /** A file streamed up in parts; the object appears only when the upload completes, and a failed one is aborted. */
  async uploadFile(key: string, path: string): Promise<void> {
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: key, Body: createReadStream(path) },
      partSize: PART_BYTES,
      queueSize: 2,
      leavePartsOnError: false,
    });
    await upload.done();
  }

  /**
   * A small object written whole. `ifMatch`: only over the version with that ETag; `ifNoneMatch`:
   * only when no object has the key. A write that loses such a race throws PreconditionFailed.
   */
  async put(key: string, body: string | Uint8Array, condition: { ifMatch?: string; ifNoneMatch?: boolean } = {}): Promise<string> {
    try {
      const result = await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          ...(condition.ifMatch ? { IfMatch: condition.ifMatch } : {}),
          ...(condition.ifNoneMatch ? { IfNoneMatch: '*' } : {}),
        }),
      );
      return result.ETag ?? '';
    } catch (error) {
      if (status(error) === 412 || status(error) === 409) throw new PreconditionFailed(`s3://${this.bucket}/${key} changed underneath this write`);
      throw error;
    }
  }

  /** The object, or undefined when there is none. */
  async get(key: string): Promise<StoredObject | undefined> {
    try {
      const result = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      const body = Buffer.from(await result.Body!.transformToByteArray());
      return { body, etag: result.ETag ?? '' };
    } catch (error) {
      if (status(error) === 404) return undefined;
      throw error;
    }
  }

  /** Every key under a prefix (`prefix/`), in the store's order. */
  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix ? `${prefix}/` : undefined, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys;
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const chunk = keys.slice(i, i + 1000);
      if (chunk.length === 1) await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: chunk[0] }));
      else await this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: chunk.map((Key) => ({ Key })) } }));
    }
  }

  /** Aborts multipart uploads a crashed writer left under the prefix (their parts cost storage, and never appear). */
  async abortIncompleteUploads(prefix: string): Promise<number> {
    const page = await this.client.send(new ListMultipartUploadsCommand({ Bucket: this.bucket, Prefix: prefix ? `${prefix}/` : undefined }));
    let aborted = 0;
    for (const upload of page.Uploads ?? []) {
      if (!upload.Key || !upload.UploadId) continue;
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: upload.Key, UploadId: upload.UploadId }));
      aborted++;
    }
    return aborted;
  }

  /**
   * A lease on `key`: created only when absent (If-None-Match), so one holder at a time; a lease
   * whose holder died is taken over once `ttlMs` has passed since it was written. Waits up to
   * `waitMs` for a live holder to finish.
   */
  async lease(key: string, ttlMs: number, waitMs: number): Promise<{ release: () => Promise<void> }> {
    const deadline = Date.now() + waitMs;
    const holder = `${process.pid}-${Math.random().toString(36).slice(2)}`;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.put(key, JSON.stringify({ holder, expires: Date.now() + ttlMs }), { ifNoneMatch: true });
        return {
          release: async () => {
            const current = await this.get(key);
            if (current && JSON.parse(current.body.toString('utf8')).holder === holder) await this.delete([key]);
          },
        };
      } catch (error) {
        if (!(error instanceof PreconditionFailed)) throw error;
      }
      const current = await this.get(key);
      if (current) {
        let expires = 0;
        try {
          expires = Number(JSON.parse(current.body.toString('utf8')).expires) || 0;
        } catch {
          // an unreadable lease is treated as expired: nobody could ever release it
        }
        if (expires < Date.now()) {
          try {
            await this.put(key, JSON.stringify({ holder, expires: Date.now() + ttlMs }), { ifMatch: current.etag });
            return { release: async () => this.delete([key]) };
          } catch (error) {
            if (!(error instanceof PreconditionFailed)) throw error;
          }
        }
      }
      if (Date.now() > deadline) throw new Error(`s3://${this.bucket}/${key} is held by another writer of this dataset; try again when it has finished`);
      await new Promise((r) => setTimeout(r, Math.min(1000, 50 * 2 ** Math.min(attempt, 5)) + Math.random() * 50));
    }
  }
}
