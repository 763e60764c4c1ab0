// Who is who: the registry of people, their exemptions and erasures, built from RegistryRecord.
// Later records win: a `person` record replaces the region; an `exemption` with the same `from`
// replaces the earlier one (so an open-ended exemption is closed by re-sending it with `until`);
// an `erasure` is permanent: nothing in the registry can bring a person back, which is the
// fail-closed reading of "erase me". `registryRecordKey` keys the compacted topic by exactly these
// replacements.
import type { ExemptionReason, RegistryRecord } from '../contract/events.ts';

interface Exemption {
  from: number;
  /** exclusive; null: for good. */
  until: number | null;
  reason: ExemptionReason;
}

/** When an exemption starts: an unreadable `from` is read as the widest window (the person asked not to be captured). */
function exemptionStart(from: number): number {
  return Number.isFinite(from) ? from : -Infinity;
}

/**
 * The key of a registry record on its compacted Kafka topic. Compaction keeps only the newest
 * record of each key, so a key names exactly what a newer record replaces in `Registry.apply`: a
 * person's region (`person:<user_id>`), one exemption window (`exemption:<user_id>:<from>`), an
 * erasure (`erasure:<user_id>`, which nothing replaces). Compacting the topic then never drops a
 * record that still decides anything.
 */
export function registryRecordKey(record: RegistryRecord): string {
  switch (record.kind) {
    case 'person':
      return `person:${record.user_id}`;
    case 'exemption':
      return `exemption:${record.user_id}:${exemptionStart(record.from)}`;
    case 'erasure':
      return `erasure:${record.user_id}`;
    default:
      throw new TypeError(`registry record of unknown kind '${String((record as { kind?: unknown }).kind)}'`);
  }
}

/** Regions compare case-insensitively: `us`, `US` and ` US ` are one region. */
export function normalizeRegion(region: string): string {
  return region.trim().toUpperCase();
}

export class Registry {
  private readonly regions = new Map<string, string>();
  private readonly exemptions = new Map<string, Exemption[]>();
  private readonly erased = new Set<string>();
  private applied = 0;
  private readonly named = new Set<string>();
  /** Every user id any record has named, in the order first named: the scrubber looks for them in written text. */
  readonly userIds: string[] = [];

  /**
   * Changes with every record applied: a stage that caches what it looked up for a person (the
   * gate does, per device) compares it to know whether its answer may have changed.
   */
  get version(): number {
    return this.applied;
  }

  apply(record: RegistryRecord): void {
    this.applied++;
    const id = record.user_id;
    if (typeof id === 'string' && !this.named.has(id)) {
      this.named.add(id);
      this.userIds.push(id);
    }
    switch (record.kind) {
      case 'person':
        this.regions.set(record.user_id, normalizeRegion(record.region));
        return;
      case 'exemption': {
        const from = exemptionStart(record.from);
        const until = typeof record.until === 'number' && !Number.isNaN(record.until) ? record.until : null;
        const exemption: Exemption = { from, until, reason: record.reason };
        const list = this.exemptions.get(record.user_id);
        if (list === undefined) {
          this.exemptions.set(record.user_id, [exemption]);
          return;
        }
        const same = list.findIndex((e) => e.from === from);
        if (same >= 0) list[same] = exemption;
        else {
          // kept in order of `from`, not of arrival: the topic's compaction reorders records of
          // different keys, and which reason an overlap reports must not depend on it
          let at = list.length;
          while (at > 0 && list[at - 1].from > from) at--;
          list.splice(at, 0, exemption);
        }
        return;
      }
      case 'erasure':
        this.erased.add(record.user_id);
        return;
      default:
        // a record we cannot read must not be skipped as if it said nothing
        throw new TypeError(`registry record of unknown kind '${String((record as { kind?: unknown }).kind)}'`);
    }
  }

  regionOf(userId: string): string | undefined {
    return this.regions.get(userId);
  }

  hasExemptions(userId: string): boolean {
    return this.exemptions.has(userId);
  }

  isKnown(userId: string): boolean {
    return this.regions.has(userId);
  }

  /** The reason of an exemption that covers ts (from <= ts < until, until null = for good), or null. */
  exemptionAt(userId: string, ts: number): ExemptionReason | null {
    return this.exemptionDuring(userId, ts, ts);
  }

  /** The reason of an exemption that covers any moment of [start, end], or null. */
  exemptionDuring(userId: string, start: number, end: number): ExemptionReason | null {
    const list = this.exemptions.get(userId);
    if (list === undefined) return null;
    for (let i = 0; i < list.length; i++) {
      const e = list[i];
      if (e.from <= end && (e.until === null || start < e.until)) return e.reason;
    }
    return null;
  }

  isErased(userId: string): boolean {
    return this.erased.has(userId);
  }

  get size(): { people: number; exemptions: number; erasures: number } {
    let exemptions = 0;
    for (const list of this.exemptions.values()) exemptions += list.length;
    return { people: this.regions.size, exemptions, erasures: this.erased.size };
  }
}
