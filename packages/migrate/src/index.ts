export { type Account, AccountNotFound, findAccount } from './account.js';
export { contentHash, looksBroken, toWireForm } from './content.js';
export { imapKeyword, maildirBaseName, maildirFlags, mboxFlags, normalizeFlags, parseDovecotKeywords } from './flags.js';
export { decodeFolderName, mailboxPath, specialUseOf } from './folders.js';
export { closeSource, imapFolders, isImapUrl } from './imap.js';
export {
  type FolderImport,
  ImportInterrupted,
  importUser,
  type Problem,
  planImport,
  type QuotaCheck,
  QuotaExceeded,
  quotaExceeded,
  type ScannedSource,
  scanSource,
  type UserImportRequest,
  type UserImportResult,
} from './import-user.js';
export { type MaildirDate, maildirFolders } from './maildir.js';
export { MappingError, type MappingRow, readMapping } from './mapping.js';
export { isFromLine, MboxFormatError, type MboxMessage, type MboxQuoting, parseFromLineDate, readMbox, unquoteLine } from './mbox.js';
export { inParallel } from './pool.js';
export { detectFormat, openSource, type SourceFolder, type SourceFormat, type SourceMessageRef, type SourceOptions } from './source.js';
export { type FolderVerification, type UserVerification, verifyUser } from './verify.js';
