import fs from 'node:fs';
import type { MachineFacts } from './facts.ts';
import type { ProfileSummary } from './profile.ts';
import type { Sample } from './scenarios.ts';
import { type Summary, summarize, WIDE_SPREAD } from './stats.ts';

export interface Figure {
  /** The scenario that produced it (to re-run it for a profile). */
  key: string;
  scenario: string;
  metric: string;
  unit: string;
  better: 'higher' | 'lower';
  kura: Summary;
  reference: Summary;
  /** Kura's median divided by the reference's. */
  ratio: number;
  /** How many times worse Kura is (1 = same, below 1 = Kura better), whatever the direction of the metric. */
  kuraBehindBy: number;
  /** False when a stack's repeats spread too wide, or the two stacks' ranges overlap. */
  conclusive: boolean;
  notes: string[];
}

export function figures(samples: Array<Sample & { key: string }>): Figure[] {
  const groups = new Map<string, Array<Sample & { key: string }>>();
  for (const s of samples) {
    const id = `${s.scenario}\u0000${s.metric}\u0000${s.unit}`;
    groups.set(id, [...(groups.get(id) ?? []), s]);
  }
  return [...groups.values()].map((group) => {
    const first = group[0] as Sample & { key: string };
    const of = (target: string) => summarize(group.filter((s) => s.target === target).map((s) => s.value));
    const kura = of('kura');
    const reference = of('reference');
    const ratio = kura.median / reference.median;
    const kuraBehindBy = first.better === 'higher' ? reference.median / kura.median : kura.median / reference.median;
    const overlap = kura.min <= reference.max && reference.min <= kura.max;
    const wide = kura.spread > WIDE_SPREAD || reference.spread > WIDE_SPREAD;
    const notes = [...new Set(group.filter((s) => s.note).map((s) => `${s.target}: ${s.note}`))];
    return {
      key: first.key,
      scenario: first.scenario,
      metric: first.metric,
      unit: first.unit,
      better: first.better,
      kura,
      reference,
      ratio,
      kuraBehindBy,
      conclusive: !(wide && overlap) && Number.isFinite(ratio),
      notes,
    };
  });
}

/** The figure where Kura is furthest behind in each scenario, worst scenarios first. */
export function largestGaps(all: Figure[], count: number): Figure[] {
  const ranked = all.filter((f) => Number.isFinite(f.kuraBehindBy) && f.kuraBehindBy > 0).sort((a, b) => b.kuraBehindBy - a.kuraBehindBy);
  const worstPerScenario: Figure[] = [];
  for (const f of ranked) if (!worstPerScenario.some((w) => w.scenario === f.scenario)) worstPerScenario.push(f);
  return worstPerScenario.slice(0, count);
}

function num(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  const abs = Math.abs(value);
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

function cell(s: Summary): string {
  if (!Number.isFinite(s.median)) return 'n/a';
  const spread = s.runs.length > 1 && Number.isFinite(s.spread) ? ` ±${Math.round((s.spread * 100) / 2)}%` : '';
  return `${num(s.median)}${spread}${s.spread > WIDE_SPREAD ? ' (wide)' : ''}`;
}

export interface RunReport {
  startedAt: string;
  finishedAt: string;
  mode: string;
  runs: number;
  machine: MachineFacts;
  versions: Record<string, string>;
  /** Where each stack listened during the run (all closed again afterwards). */
  endpoints: Record<string, { smtp: number; imap: number; pop3: number }>;
  method: string[];
  figures: Figure[];
  largestGaps: Array<{ scenario: string; metric: string; kuraBehindBy: number }>;
  profiles: Array<{ scenario: string; metric: string; summaries: ProfileSummary[]; cpuSecondsByService: Record<string, number> }>;
  /** The data tier's plan for WildDuck's message query (FerretDB: whether the filter is pushed down). */
  dataTier: Record<string, unknown> | undefined;
  notMeasured: string[];
  samples: Sample[];
}

export function markdown(report: RunReport): string {
  const m = report.machine;
  const lines: string[] = [];
  lines.push(`## ${report.startedAt.slice(0, 16).replace('T', ' ')} UTC, ${report.mode} mode`);
  lines.push('');
  lines.push(
    `Machine: ${m.cpuModel}, ${m.cores} cores, ${(m.memoryBytes / 1024 ** 3).toFixed(1)} GiB, ${m.os}, Linux ${m.kernel}; load average at start ${m.loadAverageAtStart.join(' / ')}.`,
  );
  lines.push(
    `Versions: ${Object.entries(report.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}.`,
  );
  lines.push(
    `Each figure is the median of ${report.runs} run${report.runs === 1 ? '' : 's'} per stack (± half the range as a share of the median). "Kura/ref" is Kura's median divided by the reference's; "behind" says how many times worse Kura is in the direction that matters (below 1: Kura is ahead). Figures marked "inconclusive" have repeats that spread over ${WIDE_SPREAD * 100}% and overlap between the stacks.`,
  );
  lines.push('');
  for (const line of report.method) lines.push(`- ${line}`);
  lines.push('');
  const byScenario = new Map<string, Figure[]>();
  const kuraOnly = report.figures.filter((f) => f.reference.runs.length === 0);
  for (const f of report.figures) {
    if (kuraOnly.includes(f)) continue;
    byScenario.set(f.scenario, [...(byScenario.get(f.scenario) ?? []), f]);
  }
  for (const [scenario, list] of byScenario) {
    lines.push(`### ${scenario}`);
    lines.push('');
    lines.push('| figure | Kura | reference | Kura/ref | behind | notes |');
    lines.push('| --- | ---: | ---: | ---: | ---: | --- |');
    for (const f of list) {
      const better = f.better === 'higher' ? 'higher is better' : 'lower is better';
      const notes = [...(f.conclusive ? [] : ['inconclusive']), ...f.notes].join('; ');
      lines.push(
        `| ${f.metric} (${f.unit}, ${better}) | ${cell(f.kura)} | ${cell(f.reference)} | ${num(f.ratio)} | ${num(f.kuraBehindBy)}× | ${notes} |`,
      );
    }
    lines.push('');
  }
  lines.push('### Kura only');
  lines.push('');
  lines.push('| figure | Kura | notes |');
  lines.push('| --- | ---: | --- |');
  for (const f of kuraOnly) lines.push(`| ${f.metric} (${f.unit}) | ${cell(f.kura)} | ${f.notes.join('; ')} |`);
  for (const item of report.notMeasured) lines.push(`| ${item.split(': ')[0]} | — | ${item.split(': ').slice(1).join(': ')} |`);
  lines.push('');
  lines.push('### Largest gaps');
  lines.push('');
  for (const g of report.largestGaps) lines.push(`- ${g.scenario}, ${g.metric}: Kura ${num(g.kuraBehindBy)}× behind`);
  lines.push('');
  if (report.profiles.length > 0) {
    lines.push('### Where Kura spends its time in the two largest gaps');
    lines.push('');
    for (const p of report.profiles) {
      const cpu = Object.entries(p.cpuSecondsByService)
        .map(([name, s]) => `${name} ${s.toFixed(1)} s`)
        .join(', ');
      lines.push(`- **${p.scenario}, ${p.metric}** — CPU by service during the run: ${cpu}.`);
      for (const s of p.summaries) {
        const pkgs = s.topPackages
          .slice(0, 5)
          .map((x) => `${x.name} ${(x.share * 100).toFixed(0)}%`)
          .join(', ');
        const fns = s.topFunctions
          .filter((x) => !x.name.startsWith('('))
          .slice(0, 3)
          .map((x) => `\`${x.name}\` ${(x.share * 100).toFixed(0)}%`)
          .join(', ');
        lines.push(
          `  - ${s.process}: busy ${(s.busyShare * 100).toFixed(0)}% of ${s.sampledMs} ms sampled; of the busy time: ${pkgs}; hottest functions ${fns}.`,
        );
      }
    }
    const d = report.dataTier;
    if (d && !('error' in d)) {
      lines.push(
        `- Data tier (${String(d.topology)}): \`${String(d.query)}\` — filter pushed down to the storage engine: ${String(d.filterPushdown ?? 'n/a')}; plan ${String(d.plan)}; the collection held ${String(d.messagesInStore)} messages, ${((Number(d.messageBytesInStore) || 0) / 1024 ** 2).toFixed(0)} MB, at the end.`,
      );
    }
    lines.push('');
  }
  return lines.join('\n');
}

const TITLE = '# Benchmarks\n';

const INTRO = `Kura measured side by side with the stack most campuses run today, Postfix
delivering over LMTP to Dovecot (Maildir, IMAP, POP3), on the same machine in
the same run, over loopback. \`npm run bench\` (quick, under ten minutes) or
\`npm run bench -- --full\` adds a section below this paragraph; older runs stay
underneath. Raw figures with every run are in \`bench/results/\`.
`;

const MARKER = '<!-- bench runs: newest first -->';

/**
 * Puts a run's section on top of the earlier runs in docs/BENCHMARKS.md and
 * keeps everything else in the file (other sections, such as Snapshots, stay
 * where they are, below the runs).
 */
export function prependSection(file: string, section: string): void {
  const existing = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : TITLE;
  const body = `${section.trimEnd()}\n`;
  let updated: string;
  if (existing.includes(MARKER)) {
    updated = existing.replace(MARKER, `${MARKER}\n\n${body}`);
  } else {
    const block = `${INTRO}\n${MARKER}\n\n${body}\n`;
    const firstSection = existing.search(/^## /m);
    updated =
      firstSection >= 0 ? existing.slice(0, firstSection) + block + existing.slice(firstSection) : `${existing.trimEnd()}\n\n${block}`;
  }
  fs.writeFileSync(file, updated);
}
