import crypto from 'node:crypto';
import { expect } from 'vitest';
import { RawImap } from './imap-raw.js';
import { isAlive, type TestStack } from './stack.js';

/** A fresh mailbox owner for one test, created through WildDuck's API (each test owns its data). */
export async function freshUser(t: TestStack, label: string): Promise<{ user: string; pass: string; address: string }> {
  const user = `${label}-${crypto.randomBytes(4).toString('hex')}`;
  const pass = `${user}-password`;
  const address = `${user}@${t.config.demo.domain}`;
  const res = await fetch(`http://${t.config.host}:${t.config.ports.api}/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: user, password: pass, address }),
  });
  if (!res.ok) throw new Error(`creating ${user} failed: ${res.status} ${await res.text()}`);
  return { user, pass, address };
}

/**
 * Asserts that the service did not die: the process the test started with is still the one running
 * (a supervisor restart would hide a crash, so the pid must not change) and a new IMAP session still
 * gets a greeting and an answer.
 */
export async function expectWildDuckServing(t: TestStack, pid: number | undefined): Promise<void> {
  expect(pid, 'wildduck pid').toBeTypeOf('number');
  expect(isAlive(pid), 'the WildDuck process is still running').toBe(true);
  expect(t.stack.supervisor.pids.wildduck, 'WildDuck was not restarted').toBe(pid);
  const { imap, greeting } = await RawImap.connect(t.config.ports.imap);
  try {
    expect(greeting).toMatch(/^\* OK/);
    expect((await imap.run('NOOP')).status).toBe('OK');
  } finally {
    imap.close();
  }
}

export function expectProcessUnchanged(t: TestStack, name: string, pid: number | undefined): void {
  expect(isAlive(pid), `the ${name} process is still running`).toBe(true);
  expect(t.stack.supervisor.pids[name], `${name} was not restarted`).toBe(pid);
}
