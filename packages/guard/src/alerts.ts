import type { KuraConfig } from '@kura/config';
import nodemailer from 'nodemailer';
import type { Logger } from 'pino';
import type { FailoverAction } from './failover.js';
import type { Transition } from './state.js';

/**
 * Sends every incident opened or resolved, and every failover action taken, to
 * the configured webhook (JSON POST) and mailbox. The mail goes through a
 * separate relay, never through Kura itself: an alert about Kura's SMTP must
 * not depend on Kura's SMTP.
 */
export class Alerter {
  private readonly mailer;

  constructor(
    private readonly config: KuraConfig['guard']['alerts'],
    private readonly statusUrl: string,
    private readonly log: Logger,
  ) {
    this.mailer = config.email
      ? nodemailer.createTransport({
          host: config.email.smtpHost,
          port: config.email.smtpPort,
          secure: false,
          ignoreTLS: true,
          connectionTimeout: 5_000,
          greetingTimeout: 5_000,
          socketTimeout: 10_000,
        })
      : undefined;
  }

  async send(t: Transition): Promise<void> {
    if (t.kind === 'changed') return;
    const { incident, component } = t;
    const subject = `[kura ${t.kind === 'opened' ? 'OPEN' : 'RESOLVED'}] ${incident.title}`;
    const body = {
      event: `incident.${t.kind}`,
      incident,
      component: { id: component.id, title: component.title, status: component.status, detail: component.detail },
      statusPage: this.statusUrl,
    };
    const resolved = incident.resolvedAt ? `\nResolved: ${new Date(incident.resolvedAt).toISOString()}` : '';
    const text = `${subject}\n\n${incident.detail}\n\nStarted: ${new Date(incident.startedAt).toISOString()}${resolved}\nStatus page: ${this.statusUrl}\n`;
    await this.deliver(subject, body, text, `incident ${incident.id}`);
  }

  /** A failover action the guard took: people must know the topology changed under them. Refusals are only logged. */
  async sendAction(action: FailoverAction): Promise<void> {
    if (action.result === 'skipped') return;
    const subject = `[kura FAILOVER] ${action.action} ${action.instance}: ${action.result}`;
    const note = action.note ? `\nNote: ${action.note}` : '';
    const text = `${subject}\n\nReason: ${action.reason}${note}\nBackends: ${action.backends.join(', ')}\nStatus page: ${this.statusUrl}\n`;
    await this.deliver(subject, { event: `failover.${action.action}`, action, statusPage: this.statusUrl }, text, action.instance);
  }

  private async deliver(subject: string, body: Record<string, unknown>, text: string, what: string): Promise<void> {
    const jobs: Array<Promise<unknown>> = [];
    if (this.config.webhook) {
      const url = this.config.webhook;
      jobs.push(
        fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          // `text` first: chat receivers (Slack, Mattermost, Rocket.Chat incoming webhooks) refuse a body without it.
          body: JSON.stringify({ text, ...body }),
          signal: AbortSignal.timeout(5_000),
        }).then((res) => {
          if (!res.ok) throw new Error(`webhook ${url} answered ${res.status}`);
        }),
      );
    }
    if (this.mailer && this.config.email) {
      jobs.push(this.mailer.sendMail({ from: this.config.email.from, to: this.config.email.to, subject, text }));
    }
    const results = await Promise.allSettled(jobs);
    for (const r of results) {
      if (r.status === 'rejected') this.log.error({ err: r.reason, what }, 'alert delivery failed');
    }
    if (jobs.length) this.log.info({ what, sent: results.filter((r) => r.status === 'fulfilled').length }, `alert sent: ${subject}`);
  }
}
