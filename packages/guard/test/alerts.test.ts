import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Alerter } from '../src/alerts.js';
import type { Component, Incident } from '../src/state.js';

describe('alert webhook body', () => {
  const bodies: Array<Record<string, unknown>> = [];
  let server: http.Server;
  let url: string;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let text = '';
      req.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8');
      });
      req.on('end', () => {
        bodies.push(JSON.parse(text) as Record<string, unknown>);
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('carries `text` for chat receivers (Slack, Mattermost) next to the structured incident', async () => {
    const alerter = new Alerter({ webhook: url }, 'http://status.example.edu/', pino({ level: 'silent' }));
    const component: Component = {
      id: 'imap',
      title: 'Reading mail (IMAP)',
      impact: 'mail apps cannot open mailboxes',
      status: 'down',
      detail: 'login failed',
      since: 0,
      lastCheck: 0,
      internal: false,
      failures: 2,
      successes: 0,
    };
    const incident: Incident = {
      id: 7,
      component: 'imap',
      title: 'Reading mail (IMAP)',
      detail: 'login failed',
      status: 'down',
      startedAt: Date.UTC(2026, 0, 2, 3, 4, 5),
    };
    await alerter.send({ kind: 'opened', component, incident });
    await alerter.send({
      kind: 'resolved',
      component: { ...component, status: 'up' },
      incident: { ...incident, resolvedAt: Date.UTC(2026, 0, 2, 3, 9, 5) },
    });
    expect(bodies.map((b) => b.event)).toEqual(['incident.opened', 'incident.resolved']);
    expect(bodies[0]?.text).toMatch(/^\[kura OPEN\] Reading mail \(IMAP\)\n/);
    expect(bodies[0]?.text).toContain('Status page: http://status.example.edu/');
    expect(bodies[1]?.text).toMatch(/^\[kura RESOLVED\] Reading mail \(IMAP\)\n[\s\S]*Resolved: 2026-01-02T03:09:05.000Z/);
    expect(bodies[0]?.incident).toMatchObject({ id: 7, component: 'imap' });
  });
});
