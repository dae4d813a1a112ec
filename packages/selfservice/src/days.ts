/**
 * Whole days in a time zone (selfService.timeZone; unset: the server's): a
 * vacation "until 20 August" in Tokyo ends at 23:59:59 Tokyo time, whatever
 * zone the server runs in.
 */
const parts = (timeZone: string | undefined) =>
  new Intl.DateTimeFormat('en-CA', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });

/** The wall-clock time in `timeZone` at instant `ms`, read as if it were UTC. */
function wallClock(ms: number, timeZone: string | undefined): number {
  const p = Object.fromEntries(
    parts(timeZone)
      .formatToParts(new Date(ms))
      .map((x) => [x.type, Number(x.value)]),
  ) as Record<string, number>;
  return Date.UTC(p.year as number, (p.month as number) - 1, p.day, p.hour, p.minute, p.second);
}

/** The instant a YYYY-MM-DD day starts (00:00:00) or ends (23:59:59) in `timeZone`; undefined for a date that does not exist. */
export function dayBoundary(value: string, edge: 'start' | 'end', timeZone?: string): Date | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]) - 1, Number(m[3])];
  const wall = edge === 'start' ? Date.UTC(y, mo, d, 0, 0, 0) : Date.UTC(y, mo, d, 23, 59, 59);
  const check = new Date(wall);
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo || check.getUTCDate() !== d) return undefined;
  // Twice, so a day on which the zone's offset changes still lands on the right instant.
  let instant = wall - (wallClock(wall, timeZone) - wall);
  instant = wall - (wallClock(instant, timeZone) - instant);
  return new Date(instant);
}

/** The YYYY-MM-DD day an instant falls on in `timeZone` (what a date input shows). */
export function dayOf(iso: string | undefined, timeZone?: string): string {
  if (!iso) return '';
  const ms = new Date(iso).getTime();
  if (Number.isNaN(ms)) return '';
  return new Date(wallClock(ms, timeZone)).toISOString().slice(0, 10);
}
