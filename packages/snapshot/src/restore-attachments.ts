import type { Db, Document } from 'mongodb';
import { deserialize } from './bson.js';
import type { SnapshotInfo } from './catalog.js';
import { readCollection } from './format.js';
import { BatchInserter, collectionEntry, existingIds, hex, type RefCount, selected } from './restore-common.js';

export interface AttachmentsReport {
  reused: number;
  restored: number;
  missingFromSnapshot: number;
}

/**
 * The attachments the restored messages reference: files still in the store
 * get the new references counted (as WildDuck counts them: c per reference,
 * m per magic); missing ones are restored from the snapshot, chunks first.
 */
export async function restoreAttachments(db: Db, snapshot: SnapshotInfo, needed: Map<string, RefCount>): Promise<AttachmentsReport> {
  const attachments = { reused: 0, restored: 0, missingFromSnapshot: 0 };
  const files = db.collection('attachments.files');
  const missingFiles = new Map<string, RefCount>();
  const neededList = [...needed.values()];
  for (let i = 0; i < neededList.length; i += 200) {
    const slice = neededList.slice(i, i + 200);
    const present = await existingIds(
      db,
      'attachments.files',
      slice.map((r) => r.id),
    );
    for (const ref of slice) {
      if (present.has(hex(ref.id))) {
        const res = await files.updateOne({ _id: ref.id } as Document, {
          $inc: { 'metadata.c': ref.c, 'metadata.m': ref.m },
          $set: { 'metadata.cu': new Date() },
        });
        if (res.matchedCount === 1) {
          attachments.reused++;
          continue;
        }
      }
      missingFiles.set(hex(ref.id), ref);
    }
  }
  if (!missingFiles.size) return attachments;
  const fileDocs: Document[] = [];
  for await (const batch of selected(snapshot, 'attachments.files', (d) => missingFiles.has(hex(d._id)))) fileDocs.push(...batch);
  // Leftover chunks of a file that no longer exists would collide (WildDuck cleans them the same way).
  await db.collection('attachments.chunks').deleteMany({ files_id: { $in: fileDocs.map((f) => f._id) } } as Document);
  const wanted = new Set(fileDocs.map((f) => hex(f._id)));
  const chunks = new BatchInserter(db, 'attachments.chunks');
  for await (const raw of readCollection(snapshot.dir, collectionEntry(snapshot, 'attachments.chunks'))) {
    const chunk = deserialize(raw);
    if (wanted.has(hex(chunk.files_id))) await chunks.add(chunk, raw.length);
  }
  await chunks.flush();
  for (const file of fileDocs) {
    const ref = missingFiles.get(hex(file._id)) as RefCount;
    await files.insertOne({ ...file, metadata: { ...(file.metadata as Document), c: ref.c, m: ref.m, cu: new Date() } });
    attachments.restored++;
  }
  attachments.missingFromSnapshot = missingFiles.size - fileDocs.length;
  return attachments;
}
