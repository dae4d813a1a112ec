import type { UserImportResult, UserVerification } from '@kura/migrate';
import { mb } from '../admin/open-store.js';

const LIMIT = 20;

/** The per-user import summary a person reads on a terminal. */
export function describeImport(r: UserImportResult): string {
  const messages = r.folders.reduce((n, f) => n + f.messages, 0);
  const imported = r.folders.reduce((n, f) => n + f.imported, 0);
  const bytes = r.folders.reduce((n, f) => n + f.importedBytes, 0);
  const present = r.folders.reduce((n, f) => n + f.alreadyPresent, 0);
  const verb = r.dryRun ? 'would import' : 'imported';
  const lines = [
    `${r.user}: ${messages} messages in ${r.folders.length} folders: ${verb} ${imported} (${mb(bytes)}), ${present} already in Kura, ${r.setAside.length} set aside (${r.seconds.toFixed(1)} s)`,
    ...r.folders.map(
      (f) =>
        `  ${f.path}${f.mailbox !== f.path ? ` → ${f.mailbox}` : ''}: ${f.messages} messages, ${verb} ${f.imported}, ${f.alreadyPresent} already there`,
    ),
  ];
  for (const p of r.setAside.slice(0, LIMIT))
    lines.push(`  SET ASIDE ${p.folder} ${p.message}: ${p.problem}${p.copy ? ` (copy: ${p.copy})` : ''}`);
  if (r.setAside.length > LIMIT) lines.push(`  … and ${r.setAside.length - LIMIT} more set aside (--json lists all)`);
  for (const p of r.warnings.slice(0, LIMIT)) lines.push(`  note ${p.folder} ${p.message}: ${p.problem}`);
  if (r.warnings.length > LIMIT) lines.push(`  … and ${r.warnings.length - LIMIT} more notes (--json lists all)`);
  return lines.join('\n');
}

/** The per-user proof that nothing was lost, folder by folder. */
export function describeVerification(v: UserVerification): string {
  const lines = [
    `${v.user}: verify ${v.ok ? 'OK — every source message is in Kura byte for byte, with its flags' : 'FAILED'} (${v.seconds.toFixed(1)} s)`,
  ];
  for (const f of v.folders) {
    const state = f.ok ? 'ok' : 'MISMATCH';
    lines.push(
      `  ${f.path}${f.mailbox && f.mailbox !== f.path ? ` → ${f.mailbox}` : ''}: ${state}; source ${f.source.messages} messages ${mb(f.source.bytes)}, Kura ${f.kura.messages} messages ${mb(f.kura.bytes)}${f.extra ? `, ${f.extra} only in Kura` : ''}`,
    );
    if (!f.mailbox) lines.push('    no such mailbox in Kura (not imported yet?)');
    for (const id of f.missing.slice(0, LIMIT)) lines.push(`    missing: ${id}`);
    if (f.missing.length > LIMIT) lines.push(`    … and ${f.missing.length - LIMIT} more missing`);
    for (const d of f.flagsDiffer.slice(0, LIMIT))
      lines.push(`    flags differ: ${d.message}: source [${d.source.join(' ')}], Kura [${d.kura.join(' ')}]`);
  }
  return lines.join('\n');
}
