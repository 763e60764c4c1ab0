// Schema evolution: data written with another (older or newer) schema is read through a resolver
// to our reader schema. Resolvers are costly to build, so there is one per writer schema, found by
// its Confluent schema id or its text.
import avro from 'avsc';
import { inputEventType, registryRecordType, type AvroResolver, type AvroType } from './schemas.ts';

/** How to read bytes written with some writer schema: `resolver` is undefined when it equals ours. */
interface WriterReading {
  readonly resolver: AvroResolver | undefined;
}

function readingFor(reader: AvroType, writer: AvroType): WriterReading {
  return { resolver: writer.equals(reader) ? undefined : reader.createResolver(writer) };
}

class WriterSchemas {
  private readonly byType = new WeakMap<AvroType, WriterReading>();
  private readonly byCanonical = new Map<string, WriterReading>();
  private readonly byId = new Map<number, WriterReading>();
  private readonly same: WriterReading = { resolver: undefined };

  constructor(private readonly reader: AvroType) {}

  forType(writer: AvroType | undefined): WriterReading {
    if (writer === undefined || writer === this.reader) return this.same;
    let reading = this.byType.get(writer);
    if (reading === undefined) {
      reading = this.forSchemaText(JSON.stringify(writer.schema()));
      this.byType.set(writer, reading);
    }
    return reading;
  }

  /** A writer schema as JSON text (an Avro file header, a schema-registry answer). */
  forSchemaText(schemaJson: string): WriterReading {
    const writer = avro.Type.forSchema(JSON.parse(schemaJson));
    const canonical = writer.fingerprint('sha256').toString('hex');
    let reading = this.byCanonical.get(canonical);
    if (reading === undefined) {
      reading = readingFor(this.reader, writer);
      this.byCanonical.set(canonical, reading);
    }
    return reading;
  }

  register(schemaId: number, writer: AvroType | string | object): void {
    const text = typeof writer === 'string' ? writer : JSON.stringify(writer instanceof avro.Type ? writer.schema() : writer);
    this.byId.set(schemaId, this.forSchemaText(text));
  }

  forId(schemaId: number): WriterReading | undefined {
    return this.byId.get(schemaId);
  }
}

export const eventWriters = new WriterSchemas(inputEventType);
export const registryWriters = new WriterSchemas(registryRecordType);

/**
 * Tells the decoders which writer schema a Confluent schema id stands for (from the schema
 * registry). Messages with an unregistered id are read as written with our own schema.
 */
export function registerEventWriterSchema(schemaId: number, writer: AvroType | string | object): void {
  eventWriters.register(schemaId, writer);
}

export function registerRegistryWriterSchema(schemaId: number, writer: AvroType | string | object): void {
  registryWriters.register(schemaId, writer);
}

/** The resolver that reads records written with `writerSchemaJson` as `InputEvent`s (undefined: same schema). */
export function eventResolverForSchemaText(writerSchemaJson: string): AvroResolver | undefined {
  return eventWriters.forSchemaText(writerSchemaJson).resolver;
}

export function registryResolverForSchemaText(writerSchemaJson: string): AvroResolver | undefined {
  return registryWriters.forSchemaText(writerSchemaJson).resolver;
}
