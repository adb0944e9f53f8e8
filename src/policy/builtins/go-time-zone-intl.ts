// A zone from Node's ICU when the machine has no TZif file for it (Go would read its embedded copy of the same
// IANA data). ICU gives exact offsets; it does not give the IANA abbreviations, so this zone names each offset
// as the IANA data does for zones without letters ("+0530"), except for the few names en-US knows ("EST").
import type { Zone, ZoneInfo } from './go-time-zone';

/** Returns the ICU zone named `name` exactly as IANA spells it; throws when ICU does not know it. */
export function intlZone(name: string): Zone {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone: name,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
    era: 'short',
    timeZoneName: 'short',
  });
  if (!isIanaName(name)) throw new Error(`unknown time zone ${name}`);
  return { types: [], lookup: (sec) => infoAt(format, sec) };
}

// IANA's names outside an area folder; ICU also knows "PST", "IST" and other names IANA does not have.
const IANA_TOP_LEVEL = new Set(
  (
    'CET CST6CDT Cuba EET EST EST5EDT Egypt Eire GB GB-Eire GMT GMT+0 GMT-0 GMT0 Greenwich HST Hongkong Iceland ' +
    'Iran Israel Jamaica Japan Kwajalein Libya MET MST MST7MDT NZ NZ-CHAT Navajo PRC PST8PDT Poland Portugal ROC ' +
    'ROK Singapore Turkey UCT UTC Universal W-SU WET Zulu'
  ).split(' '),
);

// ICU reads names in any letter case and fixed offsets ("+05:00"); Go's zone database has neither.
function isIanaName(name: string): boolean {
  if (IANA_TOP_LEVEL.has(name) || Intl.supportedValuesOf('timeZone').includes(name)) return true;
  return name.includes('/') && name.split('/').every((part) => /^[A-Z][A-Za-z0-9_+-]*$/.test(part));
}

function infoAt(format: Intl.DateTimeFormat, sec: number): ZoneInfo {
  // ICU works in milliseconds; the offset of the whole second is the offset of every instant in it.
  const parts = format.formatToParts(new Date(sec * 1000));
  const field = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const year = Number(field('year'));
  const date = new Date(0);
  // setUTCFullYear, unlike Date.UTC, does not read years 0–99 as 1900–1999.
  date.setUTCFullYear(
    field('era') === 'BC' ? 1 - year : year,
    Number(field('month')) - 1,
    Number(field('day')),
  );
  date.setUTCHours(Number(field('hour')), Number(field('minute')), Number(field('second')));
  const wall = date.getTime();
  const offset = Math.round((wall - sec * 1000) / 1000);
  const name = field('timeZoneName');
  return { offset, abbrev: /^[A-Z]{3,5}$/.test(name) ? name : numericAbbrev(offset), isDst: false };
}

function numericAbbrev(offset: number): string {
  const abs = Math.abs(offset);
  const hours = String(Math.floor(abs / 3600)).padStart(2, '0');
  const minutes = Math.floor((abs % 3600) / 60);
  return `${offset < 0 ? '-' : '+'}${hours}${minutes === 0 ? '' : String(minutes).padStart(2, '0')}`;
}
