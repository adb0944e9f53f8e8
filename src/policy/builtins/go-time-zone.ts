// Time zones as Go's time.LoadLocation finds them: the machine's TZif files first (what OPA reads on a machine
// that has them, abbreviations included), else the IANA data in Node's ICU for the offsets.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { intlZone } from './go-time-zone-intl';
import { posixRuleLookup } from './go-time-zone-rule';

/** Which offset and abbreviation a zone had at an instant. */
export interface ZoneInfo {
  /** Seconds east of UTC. */
  readonly offset: number;
  readonly abbrev: string;
  readonly isDst: boolean;
}

/** A time zone: what it answered at each instant, and the kinds of local time it ever had. */
export interface Zone {
  /** Returns the zone's offset and abbreviation at `sec` unix seconds. */
  lookup(sec: number): ZoneInfo;
  /** The local time types the zone ever used (Go parses a zone abbreviation against these). */
  readonly types: readonly ZoneInfo[];
}

interface Transition {
  readonly when: number;
  readonly type: number;
}

/** UTC as Go's time.UTC: offset 0, abbreviation "UTC". */
export const UTC: Zone = { lookup: () => UTC_INFO, types: [] };
const UTC_INFO: ZoneInfo = { offset: 0, abbrev: 'UTC', isDst: false };

// Where Go looks on Linux, in order ($ZONEINFO first when set).
const ZONE_DIRECTORIES = [
  '/usr/share/zoneinfo/',
  '/usr/share/lib/zoneinfo/',
  '/usr/lib/locale/TZ/',
  '/etc/zoneinfo/',
];
const loaded = new Map<string, Zone>();
let local: Zone | undefined;

/** Returns the zone Go's time.LoadLocation gives `name` ("" and "UTC" are UTC); throws for an unknown name. */
export function loadZone(name: string): Zone {
  if (name === '' || name === 'UTC') return UTC;
  if (name === 'Local') return localZone();
  // Go refuses these before looking anywhere: they could name files outside the zone database.
  if (name.includes('..') || name.startsWith('/') || name.startsWith('\\')) {
    throw new Error(`time: invalid location name ${name}`);
  }
  // Keyed by the file the name reaches, so that "America/./New_York" and the like cannot grow the cache.
  const key = path.posix.normalize(name);
  const cached = loaded.get(key);
  if (cached) return cached;
  // Only zones found are kept, so names a policy makes up cannot grow the cache. ICU stands in for Go's
  // embedded copy of the IANA data only where the machine has no zone database at all: where it has one, a name
  // missing from it is one Go rejects too, and ICU accepts more ("PST", "SystemV/AST4").
  const zone =
    zoneFromDirectories(name, zoneDirectories()) ?? (hasZoneDatabase() ? undefined : intlZone(name));
  if (!zone) throw new Error(`unknown time zone ${name}`);
  loaded.set(key, zone);
  return zone;
}

/** Returns the machine's zone as Go's time.Local: $TZ, else /etc/localtime, else UTC. */
export function localZone(): Zone {
  local ??= loadLocal();
  return local;
}

function loadLocal(): Zone {
  const tz = process.env.TZ;
  if (tz === undefined) return zoneFromFile('/etc/localtime') ?? UTC;
  const name = tz.startsWith(':') ? tz.slice(1) : tz;
  if (name === '' || name === 'UTC') return UTC;
  if (name.startsWith('/')) return zoneFromFile(name) ?? UTC;
  return (
    zoneFromDirectories(name, ZONE_DIRECTORIES) ??
    (hasZoneDatabase() ? undefined : intlOrUndefined(name)) ??
    UTC
  );
}

let zoneDatabase: boolean | undefined;

function hasZoneDatabase(): boolean {
  zoneDatabase ??= zoneDirectories().some((directory) => existsSync(directory));
  return zoneDatabase;
}

// $ZONEINFO counts for named zones only: Go reads $TZ from the system's folders.
function zoneDirectories(): string[] {
  return process.env.ZONEINFO ? [process.env.ZONEINFO, ...ZONE_DIRECTORIES] : ZONE_DIRECTORIES;
}

function intlOrUndefined(name: string): Zone | undefined {
  try {
    return intlZone(name);
  } catch {
    return undefined;
  }
}

function zoneFromDirectories(name: string, directories: string[]): Zone | undefined {
  for (const directory of directories) {
    const zone = zoneFromFile(path.join(directory, name));
    if (zone) return zone;
  }
  return undefined;
}

function zoneFromFile(file: string): Zone | undefined {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch {
    return undefined;
  }
  return parseTzif(data);
}

/** Returns the zone a TZif file (RFC 8536) describes, or undefined when it is not one. */
export function parseTzif(data: Buffer): Zone | undefined {
  if (data.length < 44 || data.toString('latin1', 0, 4) !== 'TZif') return undefined;
  const version = data[4] ?? 0;
  let at = 0;
  let counts = readCounts(data, at);
  let timeSize = 4;
  if (version !== 0) {
    // Version 2+ repeats the data with 64-bit times after the 32-bit block: skip to it.
    at = 44 + blockLength(counts, 4);
    if (data.length < at + 44) return undefined;
    counts = readCounts(data, at);
    timeSize = 8;
  }
  at += 44;
  if (counts.typecnt === 0 || data.length < at + blockLength(counts, timeSize)) return undefined;
  const transitions: Transition[] = [];
  for (let i = 0; i < counts.timecnt; i++) {
    const when = timeSize === 8 ? Number(data.readBigInt64BE(at + i * 8)) : data.readInt32BE(at + i * 4);
    transitions.push({ when, type: data[at + counts.timecnt * timeSize + i] ?? 0 });
  }
  at += counts.timecnt * (timeSize + 1);
  const abbrevs = at + counts.typecnt * 6;
  const types: ZoneInfo[] = [];
  const abbrevsEnd = abbrevs + counts.charcnt;
  for (let i = 0; i < counts.typecnt; i++) {
    const index = data[at + i * 6 + 5] ?? 0;
    if (index >= counts.charcnt) return undefined;
    const end = data.indexOf(0, abbrevs + index);
    types.push({
      offset: data.readInt32BE(at + i * 6),
      isDst: data[at + i * 6 + 4] !== 0,
      abbrev: data.toString('latin1', abbrevs + index, end < 0 || end > abbrevsEnd ? abbrevsEnd : end),
    });
  }
  if (transitions.some((t) => t.type >= types.length)) return undefined;
  const footer = data.toString(
    'latin1',
    at + blockLength(counts, timeSize) - counts.timecnt * (timeSize + 1),
  );
  const extend =
    footer.length > 2 && footer.startsWith('\n') && footer.endsWith('\n') ? footer.slice(1, -1) : '';
  return tzifZone(transitions, types, extend);
}

interface Counts {
  isutcnt: number;
  isstdcnt: number;
  leapcnt: number;
  timecnt: number;
  typecnt: number;
  charcnt: number;
}

function readCounts(data: Buffer, at: number): Counts {
  const count = (i: number) => data.readUInt32BE(at + 20 + i * 4);
  return {
    isutcnt: count(0),
    isstdcnt: count(1),
    leapcnt: count(2),
    timecnt: count(3),
    typecnt: count(4),
    charcnt: count(5),
  };
}

function blockLength(c: Counts, timeSize: number): number {
  return (
    c.timecnt * (timeSize + 1) +
    c.typecnt * 6 +
    c.charcnt +
    c.leapcnt * (timeSize + 4) +
    c.isstdcnt +
    c.isutcnt
  );
}

function tzifZone(transitions: Transition[], types: ZoneInfo[], extend: string): Zone {
  // A file without transitions means one type from the beginning of time (Go adds one transition at -2^63).
  const tx = transitions.length > 0 ? transitions : [{ when: -Infinity, type: 0 }];
  const first = types[firstTypeIndex(transitions, types)] ?? UTC_INFO;
  return {
    types,
    lookup(sec: number): ZoneInfo {
      if (sec < (tx[0]?.when ?? -Infinity)) return first;
      let lo = 0;
      let hi = tx.length;
      while (hi - lo > 1) {
        const mid = (lo + hi) >>> 1;
        if (sec < (tx[mid]?.when ?? Infinity)) hi = mid;
        else lo = mid;
      }
      const info = types[tx[lo]?.type ?? 0] ?? UTC_INFO;
      // After the last transition the footer's POSIX TZ rule (DST every year) says what applies.
      if (lo === tx.length - 1 && extend !== '') return posixRuleLookup(extend, sec) ?? info;
      return info;
    },
  };
}

// Which type applies before the first transition: as Go's lookupFirstZone (the first standard-time type).
function firstTypeIndex(transitions: Transition[], types: ZoneInfo[]): number {
  if (!transitions.some((t) => t.type === 0)) return 0;
  const firstType = transitions[0]?.type;
  if (firstType !== undefined && types[firstType]?.isDst) {
    for (let i = firstType - 1; i >= 0; i--) if (!types[i]?.isDst) return i;
  }
  const standard = types.findIndex((t) => !t.isDst);
  return standard < 0 ? 0 : standard;
}
