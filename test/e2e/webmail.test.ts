// page.evaluate() runs in the browser: its callbacks see the DOM.
/// <reference lib="dom" />
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { KuraConfig } from '@kura/config';
import { roundcubePaths, webmailUrl } from '@kura/config';
import { simpleParser } from 'mailparser';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { artifactPath, launchChromium } from '../support/browser.js';
import { sendMail } from '../support/smtp-client.js';
import { newUser, type TestUser, useTestStack, withImap } from '../support/stack.js';

const JA_SUBJECT = '会議の議事録について';
const JA_BODY = '明日の定例会議は午後三時から蔵の二階で行います。資料をご確認ください。';
const EN_SUBJECT = 'Quarterly storage report';
const FOLDER = 'プロジェクト';
const REPLY_TEXT = '承知しました。三時に伺います。';
const ATTACHMENT = { name: '議事録-添付.bin', bytes: crypto.randomBytes(48 * 1024) };
const STEP_MS = 30_000;

interface Stored {
  uid: number;
  flags: Set<string>;
  messageId: string;
  source: Buffer;
}

/** A message with a Japanese subject, sender name and body, encoded as Japanese mail clients send UTF-8. */
function japaneseMessage(from: string, to: string, messageId: string): Buffer {
  const b = (text: string) => `=?UTF-8?B?${Buffer.from(text).toString('base64')}?=`;
  const body = Buffer.from(`${JA_BODY}\r\n`)
    .toString('base64')
    .replace(/(.{76})/g, '$1\r\n');
  return Buffer.from(
    [
      `From: ${b('佐藤 花子')} <${from}>`,
      `To: <${to}>`,
      `Subject: ${b(JA_SUBJECT)}`,
      `Message-ID: ${messageId}`,
      `Date: ${new Date().toUTCString()}`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=UTF-8',
      'Content-Transfer-Encoding: base64',
      '',
      body,
      '',
    ].join('\r\n'),
  );
}

function englishMessage(from: string, to: string, messageId: string): Buffer {
  return Buffer.from(
    [
      `From: <${from}>`,
      `To: <${to}>`,
      `Subject: ${EN_SUBJECT}`,
      `Message-ID: ${messageId}`,
      'MIME-Version: 1.0',
      '',
      'Nothing urgent.',
      '',
    ].join('\r\n'),
  );
}

/**
 * Roundcube in headless Chromium against a real local stack: IMAP through
 * the stack's IMAP port, sending through its submission port. Every step is
 * checked from outside the browser, over IMAP.
 */
describe('webmail (Roundcube in a real browser)', () => {
  const stack = useTestStack('webmail', { trust: { rspamd: { enabled: false } } });
  let config: KuraConfig;
  let user: TestUser;
  let peer: TestUser;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;
  const jaId = `<${crypto.randomUUID()}@kura.test>`;
  const enId = `<${crypto.randomUUID()}@kura.test>`;

  /** Every message of one mailbox (by special use such as \\Sent, or by path), read over IMAP. */
  const mailbox = (owner: TestUser, box: string) =>
    withImap(
      config,
      async (client) => {
        const boxPath = box.startsWith('\\') ? (await client.list()).find((m) => m.specialUse === box)?.path : box;
        if (!boxPath) throw new Error(`${owner.username} has no ${box} mailbox`);
        const lock = await client.getMailboxLock(boxPath);
        try {
          const out: Stored[] = [];
          if (client.mailbox && client.mailbox.exists === 0) return out;
          for await (const msg of client.fetch('1:*', { uid: true, flags: true, envelope: true, source: true })) {
            out.push({
              uid: msg.uid,
              flags: msg.flags ?? new Set(),
              messageId: msg.envelope?.messageId ?? '',
              source: msg.source as Buffer,
            });
          }
          return out;
        } finally {
          lock.release();
        }
      },
      owner,
    );

  /** Polls a mailbox until `match` finds a message (or the step's time is up). */
  async function waitFor(owner: TestUser, box: string, match: (m: Stored) => boolean | Promise<boolean>): Promise<Stored> {
    const deadline = Date.now() + STEP_MS;
    for (;;) {
      for (const m of await mailbox(owner, box)) if (await match(m)) return m;
      if (Date.now() > deadline) throw new Error(`no matching message in ${owner.username}'s ${box} within ${STEP_MS} ms`);
      await new Promise((r) => setTimeout(r, 300));
    }
  }

  /** Roundcube ignores commands while a request of its own runs (rcmail.busy): wait for it to finish. */
  const idle = () =>
    page.waitForFunction(() => !(window as unknown as { rcmail?: { busy?: boolean } }).rcmail?.busy, null, { timeout: STEP_MS });
  /** Clicks a toolbar or menu command once Roundcube is idle and has enabled it (a disabled command is only greyed out). */
  const command = async (selector: string) => {
    await idle();
    await page.locator(`${selector}:not(.disabled)`).click({ timeout: STEP_MS });
  };
  /** Selects one message in the list and waits until its preview has loaded. */
  const select = async (subject: string) => {
    await idle();
    await row(subject).click();
    await page.locator('#messagelist tr.message.selected', { hasText: subject }).waitFor({ timeout: STEP_MS });
    await page.frameLocator('#messagecontframe').locator('h2.subject', { hasText: subject }).waitFor({ timeout: STEP_MS });
    await idle();
  };
  const row = (subject: string) => page.locator('#messagelist tr.message:visible', { hasText: subject });
  const shot = (name: string) => page.screenshot({ path: artifactPath(name, 'webmail'), fullPage: true });
  /** Roundcube's own notice (e.g. why sending failed), for the failure message of a step. */
  const notices = () =>
    page
      .locator('#messagestack')
      .innerText()
      .catch(() => '');

  async function sendFromCompose(): Promise<void> {
    await page.locator('#compose-content .formbuttons button.send').click();
    try {
      await page.locator('#messagelist').waitFor({ timeout: STEP_MS });
    } catch (err) {
      await shot('send-failed.png');
      throw new Error(`sending from the webmail did not finish: ${await notices()} (${(err as Error).message})`);
    }
  }

  beforeAll(async () => {
    config = stack().config;
    user = await newUser(config, 'webmail');
    peer = await newUser(config, 'webmail-peer');
    await withImap(config, (client) => client.mailboxCreate(FOLDER), user);
    for (const [message, id] of [
      [japaneseMessage(peer.address, user.address, jaId), jaId],
      [englishMessage(peer.address, user.address, enId), enId],
    ] as const) {
      const sent = await sendMail(config.ports.smtp, { from: peer.address, to: [user.address] }, message);
      if (sent.data?.code !== 250) throw new Error(`delivering ${id} over SMTP: ${sent.data?.text ?? sent.rcpts[0]?.text}`);
    }
    browser = await launchChromium();
    page = await browser.context.newPage();
    await page.setViewportSize({ width: 1280, height: 900 });
    // A campus user in Japan: the browser asks for Japanese first.
    await page.setExtraHTTPHeaders({ 'accept-language': 'ja,en;q=0.5' });
  });
  // A failed step leaves what the browser showed: a screenshot and the page's HTML.
  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== 'fail' || !page) return;
    const name = `failed-${ctx.task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 40)}`;
    await page.screenshot({ path: artifactPath(`${name}.png`, 'webmail'), fullPage: true }).catch(() => undefined);
    fs.writeFileSync(artifactPath(`${name}.html`, 'webmail'), await page.content().catch((e: Error) => e.message));
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('serves the login page in the browser language: Japanese, or English', async () => {
    const english = await fetch(webmailUrl(config), { headers: { 'accept-language': 'en-US,en;q=0.9' } }).then((r) => r.text());
    expect(english).toContain('<html lang="en"');
    expect(english).toMatch(/<button[^>]*id="rcmloginsubmit"[^>]*>Login<\/button>/);
    await page.goto(webmailUrl(config));
    expect(await page.getAttribute('html', 'lang')).toBe('ja');
    expect(await page.locator('#rcmloginsubmit').innerText()).toBe('ログイン');
    expect(await page.title()).toContain('Kura Webmail');
  });

  it('logs in with the account password and lists the inbox', async () => {
    await page.fill('#rcmloginuser', user.username);
    await page.fill('#rcmloginpwd', user.password);
    await page.click('#rcmloginsubmit');
    await row(JA_SUBJECT).waitFor({ timeout: STEP_MS });
    await row(EN_SUBJECT).waitFor({ timeout: STEP_MS });
    await shot('01-inbox.png');
    expect(await page.locator('#messagelist tr.message:visible').count()).toBe(2);
  });

  it('reads a message delivered over SMTP: Japanese subject, sender and body render, and it is marked read', async () => {
    await select(JA_SUBJECT);
    const preview = page.frameLocator('#messagecontframe');
    await preview.locator('#messagebody', { hasText: JA_BODY }).waitFor({ timeout: STEP_MS });
    expect(await preview.locator('h2.subject').innerText()).toContain(JA_SUBJECT);
    expect(await preview.locator('.header-headline, .header.from, .from').first().innerText()).toContain('佐藤 花子');
    // Drawn with the page's own font: two different kanji must differ (a missing font draws the same empty box).
    const glyphsDiffer = await page.evaluate(() => {
      const draw = (text: string) => {
        const canvas = document.createElement('canvas');
        canvas.width = 64;
        canvas.height = 32;
        const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
        ctx.font = `24px ${getComputedStyle(document.body).fontFamily}`;
        ctx.fillText(text, 0, 26);
        return canvas.toDataURL();
      };
      return draw('議') !== draw('録') && draw('議') !== draw('\uFFFF');
    });
    expect(glyphsDiffer).toBe(true);
    await shot('02-read-japanese.png');
    const stored = await waitFor(user, 'INBOX', (m) => m.messageId === jaId && m.flags.has('\\Seen'));
    expect(stored.flags.has('\\Seen')).toBe(true);
  });

  it('searches the mailbox by a Japanese word', async () => {
    const box = page.locator('#mailsearchform');
    await box.fill('議事録');
    await box.press('Enter');
    const counts = async () => [await row(JA_SUBJECT).count(), await row(EN_SUBJECT).count()];
    await expect.poll(counts, { timeout: STEP_MS }).toEqual([1, 0]);
    await shot('03-search.png');
    await page.locator('.searchbar:has(#mailsearchform) a.reset').click();
    await expect.poll(counts, { timeout: STEP_MS }).toEqual([1, 1]);
  });

  it('replies to a local user: the reply arrives threaded (In-Reply-To, References) and the original is marked answered', async () => {
    await select(JA_SUBJECT);
    await command('#toolbar-menu a.reply');
    const body = page.locator('#composebody');
    await body.waitFor({ timeout: STEP_MS });
    await body.fill(`${REPLY_TEXT}\n\n${await body.inputValue()}`);
    await shot('04-reply-compose.png');
    await sendFromCompose();
    const reply = await waitFor(peer, 'INBOX', (m) => m.source.includes(Buffer.from(jaId)));
    const parsed = await simpleParser(reply.source);
    expect(parsed.subject).toBe(`Re: ${JA_SUBJECT}`);
    expect(parsed.inReplyTo).toBe(jaId);
    expect([parsed.references ?? []].flat()).toContain(jaId);
    expect(parsed.from?.value[0]?.address).toBe(user.address);
    expect(parsed.text).toContain(REPLY_TEXT);
    await waitFor(user, 'INBOX', (m) => m.messageId === jaId && m.flags.has('\\Answered'));
    await waitFor(user, '\\Sent', (m) => m.messageId === parsed.messageId);
  });

  it('sends a message with an attachment that arrives byte for byte', async () => {
    await command('#layout-menu a.compose');
    await page.locator('#composebody').waitFor({ timeout: STEP_MS });
    const to = page.locator('#compose_to input[type="text"]').first();
    await to.fill(peer.address);
    await to.press('Enter');
    await page.fill('#compose-subject', '添付ファイルを送ります');
    await page.fill('#composebody', '資料を添付します。');
    const chooser = page.waitForEvent('filechooser');
    await page.locator('#compose-attachments button.attach').click();
    await (await chooser).setFiles({ name: ATTACHMENT.name, mimeType: 'application/octet-stream', buffer: ATTACHMENT.bytes });
    await page.locator('#attachment-list li:not(.uploading)', { hasText: ATTACHMENT.name }).waitFor({ timeout: STEP_MS });
    await shot('05-attachment-compose.png');
    await sendFromCompose();
    const got = await waitFor(peer, 'INBOX', async (m) => (await simpleParser(m.source)).subject === '添付ファイルを送ります');
    const parsed = await simpleParser(got.source);
    expect(parsed.attachments).toHaveLength(1);
    expect(parsed.attachments[0]?.filename).toBe(ATTACHMENT.name);
    expect(Buffer.compare(parsed.attachments[0]?.content ?? Buffer.alloc(0), ATTACHMENT.bytes)).toBe(0);
    expect(parsed.text).toContain('資料を添付します。');
  });

  it('moves a message to another folder', async () => {
    await select(JA_SUBJECT);
    await page.locator('#messagemenulink').click();
    await command('#message-menu a.move');
    await page.locator('#folder-selector li a.active', { hasText: FOLDER }).click();
    await expect.poll(() => row(JA_SUBJECT).count(), { timeout: STEP_MS }).toBe(0);
    await waitFor(user, FOLDER, (m) => m.messageId === jaId);
    expect((await mailbox(user, 'INBOX')).some((m) => m.messageId === jaId)).toBe(false);
  });

  it('flags a message', async () => {
    await select(EN_SUBJECT);
    await page.locator('#markmessagemenulink').click();
    await command('#markmessage-menu a.flag');
    await page.locator('#messagelist tr.message.flagged', { hasText: EN_SUBJECT }).waitFor({ timeout: STEP_MS });
    await waitFor(user, 'INBOX', (m) => m.messageId === enId && m.flags.has('\\Flagged'));
    await shot('06-flagged.png');
  });

  it('deletes a message into Trash', async () => {
    // From a freshly loaded list: clicking the row the previous step left selected, with its flag just redrawn,
    // opened the message full-page or selected nothing in two full runs (never alone).
    await page.goto(`${webmailUrl(config)}?_task=mail&_mbox=INBOX`);
    await row(EN_SUBJECT).waitFor({ timeout: STEP_MS });
    await select(EN_SUBJECT);
    await command('#toolbar-menu a.delete');
    await expect.poll(() => row(EN_SUBJECT).count(), { timeout: STEP_MS }).toBe(0);
    await waitFor(user, '\\Trash', (m) => m.messageId === enId);
    expect((await mailbox(user, 'INBOX')).some((m) => m.messageId === enId)).toBe(false);
  });

  it('logs out: the session ends and the mailbox asks for a login again', async () => {
    await page.locator('#layout-menu a.logout').click();
    await page.locator('#rcmloginuser').waitFor({ timeout: STEP_MS });
    await shot('07-logged-out.png');
    await page.goto(`${webmailUrl(config)}?_task=mail&_mbox=INBOX`);
    await page.locator('#rcmloginuser').waitFor({ timeout: STEP_MS });
    expect(await page.locator('#messagelist').count()).toBe(0);
  });

  it("keeps the installation's own key private: mode 0600, never in a log or generated JSON", () => {
    const file = roundcubePaths(config).desKey;
    const key = fs.readFileSync(file, 'utf8').trim();
    expect(key).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const logs = fs.readdirSync(config.paths.logs).map((f) => path.join(config.paths.logs, f));
    for (const exposed of [config.paths.resolvedConfig, config.paths.endpoints, ...logs]) {
      expect(fs.readFileSync(exposed, 'utf8').includes(key), exposed).toBe(false);
    }
  });
});
