import fs from 'node:fs';
import path from 'node:path';
import { openDatabase } from '@kura/store';
import type { Mode } from './modes.ts';
import { cpuSeconds, inspectorUrl, type ProfileSummary, RemoteProfiler, summarizeProfile } from './profile.ts';
import type { Figure } from './report.ts';
import { type Prepared, scenarios } from './scenarios.ts';
import type { KuraTarget } from './stacks/kura.ts';

interface Options {
  kura: KuraTarget;
  prepared: Prepared;
  mode: Mode;
  figures: Figure[];
  dir: string;
  say: (line: string) => void;
}

/**
 * Runs the two scenarios where Kura is furthest behind once more, with the
 * V8 CPU profiler on in WildDuck and Haraka (through their inspectors) and
 * /proc CPU accounting for every Kura service, data tier included.
 */
export async function profileScenarios(o: Options) {
  const worst = [...o.figures].filter((f) => Number.isFinite(f.kuraBehindBy)).sort((a, b) => b.kuraBehindBy - a.kuraBehindBy);
  const picked: Figure[] = [];
  for (const f of worst) if (!picked.some((p) => p.key === f.key) && picked.length < 2) picked.push(f);
  const out = [];
  fs.mkdirSync(o.dir, { recursive: true });
  for (const figure of picked) {
    const scenario = scenarios(o.mode).find((s) => s.name === figure.key);
    if (!scenario) continue;
    o.say(`profiling Kura: ${figure.key} (${figure.metric}, ${figure.kuraBehindBy.toFixed(1)}× behind)`);
    const services = o.kura.services();
    const profilers: Array<{ name: string; profiler: RemoteProfiler }> = [];
    for (const name of ['wildduck', 'haraka']) {
      const url = inspectorUrl(path.join(o.kura.logs, `${name}.log`));
      if (!url) continue;
      try {
        const profiler = await RemoteProfiler.connect(url);
        await profiler.start();
        profilers.push({ name, profiler });
      } catch (err) {
        o.say(`no profile of ${name}: ${(err as Error).message}`);
      }
    }
    const cpuBefore = Object.fromEntries(Object.entries(services).map(([name, pid]) => [name, pid ? cpuSeconds(pid) : 0]));
    await scenario.run(o.prepared, o.mode, 99).catch((err: Error) => o.say(`profiled run failed: ${err.message}`));
    const cpuSecondsByService = Object.fromEntries(
      Object.entries(services).map(([name, pid]) => [name, Math.round(((pid ? cpuSeconds(pid) : 0) - (cpuBefore[name] ?? 0)) * 100) / 100]),
    );
    const summaries: ProfileSummary[] = [];
    for (const { name, profiler } of profilers) {
      const profile = await profiler.stop();
      const file = path.join(o.dir, `${figure.key.replace(/[^a-z0-9]+/gi, '-')}-${name}.cpuprofile`);
      fs.writeFileSync(file, JSON.stringify(profile));
      summaries.push(summarizeProfile(name, profile, file));
    }
    out.push({ scenario: figure.scenario, metric: figure.metric, summaries, cpuSecondsByService });
  }
  return { profiles: out, dataTier: await dataTierPlan(o.kura).catch((err: Error) => ({ error: err.message })) };
}

/**
 * The data tier's own account of the query WildDuck runs for FETCH and RETR
 * (messages of one mailbox by UID range): whether the filter reaches the
 * storage engine, the engine's plan, and how much the scan has to read.
 */
async function dataTierPlan(kura: KuraTarget) {
  const database = await openDatabase(kura.mongodbUri);
  try {
    const messages = database.db.collection('messages');
    const one = await messages.findOne({}, { projection: { mailbox: 1 } });
    if (!one) return { error: 'no messages stored' };
    const filter = { mailbox: one.mailbox, uid: { $gte: 1, $lte: 50 } };
    const explained = await database.db.command({ explain: { find: 'messages', filter }, verbosity: 'queryPlanner' });
    const stats = await database.db.command({ collStats: 'messages' });
    return {
      topology: database.topology,
      query: 'messages.find({ mailbox, uid: { $gte: 1, $lte: 50 } })',
      filterPushdown: explained.filterPushdown as boolean | undefined,
      plan: JSON.stringify(explained.queryPlanner ?? {}).slice(0, 300),
      messagesInStore: stats.count as number,
      messageBytesInStore: stats.size as number,
    };
  } finally {
    await database.close();
  }
}
