import type { KuraConfig } from '@kura/config';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { artifactPath, launchChromium } from '../support/browser.js';
import { newUser, type TestUser, useTestStack } from '../support/stack.js';

/**
 * The self-service page as `kura up` starts it, driven in headless Chromium:
 * login with the mail password, vacation reply and forwarding written through
 * to WildDuck (read back from WildDuck's own API), both languages, CSRF and
 * the per-IP login throttle.
 */
describe('self-service page', () => {
  // The throttle test names its own client addresses through X-Forwarded-For, so it never blocks the browser's (127.0.0.1).
  const stack = useTestStack('selfservice', { selfService: { maxFailedLogins: 3, trustProxy: ['127.0.0.1'], timeZone: 'Asia/Tokyo' } });
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;
  const url = (config: KuraConfig, path = '') => `http://${config.host}:${config.ports.selfService}/${path}`;
  const api = async (config: KuraConfig, path: string) =>
    (await (await fetch(`http://${config.host}:${config.ports.api}${path}`)).json()) as Record<string, unknown>;

  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });
  beforeEach(async () => {
    // Each test starts signed out, in English unless it says otherwise.
    await browser.context.clearCookies();
    page = await browser.context.newPage();
    await page.setExtraHTTPHeaders({ 'Accept-Language': 'en-US,en;q=0.9' });
  });

  const text = async (selector: string) => (await page.locator(selector).first().textContent())?.trim();
  /** Clicks a submit button (or link) and waits for the page it leads to. */
  const submit = async (selector: string) => {
    await Promise.all([page.waitForNavigation(), page.click(selector)]);
  };

  async function login(config: KuraConfig, user: TestUser, password = user.password): Promise<void> {
    await page.goto(url(config));
    await page.fill('#username', user.username);
    await page.fill('#password', password);
    await submit('#login');
  }

  it('refuses a wrong password and signs in with the right one', async () => {
    const { config } = stack();
    const user = await newUser(config, 'ss-login');
    await login(config, user, 'not-the-password');
    expect(await text('#notice')).toBe('The user name or password is wrong.');
    expect((await browser.context.cookies()).some((c) => c.name === 'kura_ss')).toBe(false);
    expect(await page.locator('#vacation').count()).toBe(0);

    await login(config, user);
    expect(await text('header')).toContain(`Signed in as ${user.address}`);
    const session = (await browser.context.cookies()).find((c) => c.name === 'kura_ss');
    expect(session?.httpOnly).toBe(true);
    expect(session?.sameSite).toBe('Strict');

    await submit('#logout');
    expect(await text('#notice')).toBe('You have signed out.');
    await page.goto(url(config));
    expect(await page.locator('#login').isVisible()).toBe(true);
  });

  it('sets a vacation reply that WildDuck then holds', async () => {
    const { config } = stack();
    const user = await newUser(config, 'ss-vacation');
    await login(config, user);
    await page.check('#vacation-enabled');
    await page.fill('#vacation-subject', '不在のお知らせ / Out of office');
    await page.fill('#vacation-text', '8月20日まで不在です。\nBack on 20 August.');
    await page.fill('#vacation-start', '2026-08-01');
    await page.fill('#vacation-end', '2026-08-20');
    await submit('#vacation-save');
    expect(await text('#notice')).toBe('Your vacation reply was saved.');
    await page.screenshot({ path: artifactPath('selfservice-vacation-en.png'), fullPage: true });

    const auto = await api(config, `/users/${user.id}/autoreply`);
    expect(auto.status).toBe(true);
    expect(auto.subject).toBe('不在のお知らせ / Out of office');
    expect(auto.text).toBe('8月20日まで不在です。\nBack on 20 August.');
    // Whole days in the configured zone (Asia/Tokyo, UTC+9), whatever zone the server runs in.
    expect(new Date(String(auto.start)).toISOString()).toBe('2026-07-31T15:00:00.000Z');
    expect(new Date(String(auto.end)).toISOString()).toBe('2026-08-20T14:59:59.000Z');
    // The page shows what WildDuck holds.
    expect(await page.locator('#vacation-enabled').isChecked()).toBe(true);
    expect(await page.locator('#vacation-end').inputValue()).toBe('2026-08-20');

    // A bad date range is refused in words, and WildDuck keeps the saved reply.
    await page.fill('#vacation-start', '2026-09-10');
    await page.fill('#vacation-end', '2026-09-01');
    await submit('#vacation-save');
    expect(await text('#notice')).toBe('The end date is before the start date.');
    expect((await api(config, `/users/${user.id}/autoreply`)).end).toBe(auto.end);

    await page.uncheck('#vacation-enabled');
    await page.fill('#vacation-start', '');
    await page.fill('#vacation-end', '');
    await submit('#vacation-save');
    expect(await text('#notice')).toBe('Your vacation reply was saved.');
    expect((await api(config, `/users/${user.id}/autoreply`)).status).toBe(false);
  });

  it('sets forwarding targets that WildDuck then holds, refusing bad and own addresses', async () => {
    const { config } = stack();
    const user = await newUser(config, 'ss-forward');
    await login(config, user);
    await page.fill('#forwarding-targets', `not an address\n${user.address}`);
    await submit('#forwarding-save');
    expect(await text('#notice')).toContain('"not an address" is not a mail address.');
    expect(await text('#notice')).toContain(`${user.address} is your own address`);
    expect((await api(config, `/users/${user.id}`)).targets).toEqual([]);

    await page.fill('#forwarding-targets', 'someone@example.org\nother@example.net');
    await submit('#forwarding-save');
    expect(await text('#notice')).toBe('Your forwarding was saved.');
    expect((await api(config, `/users/${user.id}`)).targets).toEqual(['someone@example.org', 'other@example.net']);
    expect(await page.locator('#forwarding-targets').inputValue()).toBe('someone@example.org\nother@example.net');

    await page.fill('#forwarding-targets', '');
    await submit('#forwarding-save');
    expect(await text('#notice')).toBe('Your forwarding was saved.');
    expect((await api(config, `/users/${user.id}`)).targets).toEqual([]);
  });

  it('speaks Japanese to a ja browser, English to an en browser, and switches on request', async () => {
    const { config } = stack();
    const user = await newUser(config, 'ss-lang');
    await page.setExtraHTTPHeaders({ 'Accept-Language': 'ja-JP,ja;q=0.9' });
    await page.goto(url(config));
    expect(await page.getAttribute('html', 'lang')).toBe('ja');
    expect(await text('h2')).toBe('ログイン');
    expect(await text('#login')).toBe('ログイン');
    await login(config, user, 'wrong-password');
    expect(await text('#notice')).toBe('ユーザー名またはパスワードが正しくありません。');
    await login(config, user);
    expect(await text('#vacation h2')).toBe('不在通知');
    expect(await text('#forwarding h2')).toBe('転送');
    await page.screenshot({ path: artifactPath('selfservice-settings-ja.png'), fullPage: true });

    // The switch wins over Accept-Language and is remembered.
    await submit('#lang-switch');
    expect(await text('#vacation h2')).toBe('Vacation reply');
    await page.goto(url(config));
    expect(await page.getAttribute('html', 'lang')).toBe('en');

    await browser.context.clearCookies();
    await page.setExtraHTTPHeaders({ 'Accept-Language': 'en-GB,en;q=0.9,ja;q=0.5' });
    await page.goto(url(config));
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await text('h2')).toBe('Sign in');
  });

  it('refuses a settings form without its CSRF token and changes nothing', async () => {
    const { config } = stack();
    const user = await newUser(config, 'ss-csrf');
    await login(config, user);
    const session = (await browser.context.cookies()).find((c) => c.name === 'kura_ss');
    expect(session).toBeDefined();
    const post = (path: string, body: string) =>
      fetch(url(config, path), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `kura_ss=${session?.value}` },
        body,
        redirect: 'manual',
      });
    const noToken = await post('vacation', 'enabled=on&subject=forged&text=forged');
    expect(noToken.status).toBe(403);
    const wrongToken = await post('forwarding', 'targets=attacker%40example.org&csrf=guessed');
    expect(wrongToken.status).toBe(403);
    expect((await api(config, `/users/${user.id}/autoreply`)).status).toBe(false);
    expect((await api(config, `/users/${user.id}`)).targets).toEqual([]);
    // A login form posted from elsewhere (no token cookie) is refused before the password is checked.
    const forgedLogin = await fetch(url(config, 'login'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `username=${user.username}&password=${user.password}&csrf=x`,
      redirect: 'manual',
    });
    expect(forgedLogin.status).toBe(403);
    expect(forgedLogin.headers.getSetCookie().some((c) => c.startsWith('kura_ss='))).toBe(false);
  });

  it('throttles failed logins per client address', async () => {
    const { config } = stack();
    const user = await newUser(config, 'ss-throttle');
    const attempt = async (ip: string, password: string) => {
      const form = await fetch(url(config), { headers: { 'x-forwarded-for': ip } });
      const token = /name="csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
      const cookie = form.headers
        .getSetCookie()
        .map((c) => c.split(';')[0])
        .join('; ');
      const res = await fetch(url(config, 'login'), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': ip, cookie },
        body: new URLSearchParams({ username: user.username, password, csrf: token }).toString(),
        redirect: 'manual',
      });
      return res.status;
    };
    const attacker = `192.0.2.${Math.floor(Math.random() * 250) + 1}`;
    for (let i = 0; i < 3; i += 1) expect(await attempt(attacker, 'wrong')).toBe(403);
    // Over the limit: refused even with the right password, without asking WildDuck.
    expect(await attempt(attacker, user.password)).toBe(429);
    // Another address is not affected.
    expect(await attempt('198.51.100.7', user.password)).toBe(303);
  });

  it('marks its cookies Secure when the TLS front says the request came over https', async () => {
    const { config } = stack();
    const plain = await fetch(url(config));
    expect(plain.headers.getSetCookie().join('\n')).not.toContain('Secure');
    const behindTls = await fetch(url(config), { headers: { 'x-forwarded-proto': 'https' } });
    const cookies = behindTls.headers.getSetCookie();
    expect(cookies.length).toBeGreaterThan(0);
    for (const c of cookies) expect(c).toMatch(/; HttpOnly; SameSite=Strict; Secure$/);
  });
});
