/** Every English string of the status page (the Japanese catalogue has the same shape). */
export const en = {
  lang: 'en',
  status: { up: 'Working', degraded: 'Degraded', down: 'Down', unknown: 'Checking…' },
  banner: { up: 'All systems working', degraded: 'Degraded', down: 'Service problem', unknown: 'Checking' },
  headline: {
    up: 'All mail services are working.',
    degraded: 'Mail works; a part has a problem and is being handled.',
    unknown: 'Checking every part of the mail system…',
  },
  components: {
    smtp: { title: 'Incoming mail (SMTP)', impact: 'new mail is not accepted; senders retry later' },
    imap: { title: 'Reading mail (IMAP)', impact: 'mail apps cannot open mailboxes' },
    pop3: { title: 'Downloading mail (POP3)', impact: 'POP3 mail apps cannot download' },
    submission: { title: 'Sending mail (submission)', impact: 'mail apps cannot send mail' },
    delivery: { title: 'Delivery time', impact: 'new mail is not arriving in mailboxes' },
    datatier: { title: 'Mail storage (data tier)', impact: 'mail cannot be stored or read' },
    redis: { title: 'Sessions and notifications (Redis)', impact: 'logins and new-mail notifications fail' },
    restarts: { title: 'Frontend restarts', impact: 'a frontend keeps crashing; its clients are cut off each time' },
    blocklist: { title: 'Outgoing mail reputation (blocklists)', impact: 'receivers may refuse mail sent from this system' },
  } as Record<string, { title: string; impact: string }>,
  instance: {
    wildduck: (n: string) => ({ title: `WildDuck instance ${n}`, impact: 'its clients reconnect to another instance' }),
    haraka: (n: string) => ({ title: `Haraka instance ${n}`, impact: 'senders retry through another instance' }),
    submission: (n: string) => ({ title: `Submission instance ${n}`, impact: 'mail apps send through another instance' }),
  },
  /** Between the impact sentences of the banner. */
  sentenceSeparator: '. ',
  degradedSuffix: 'degraded',
  since: (at: string) => `since ${at} UTC`,
  headings: { ongoing: 'Ongoing', services: 'Services', history: 'Incident history', blocklists: 'Own blocklist listings' },
  instances: (up: number, all: number) => `Instances (${up}/${all} working)`,
  resolved: 'Resolved',
  ongoing: 'Ongoing',
  noIncidents: 'No incidents recorded.',
  updated: (at: string) => `Updated ${at} UTC · refreshes every few seconds by itself`,
  unreachable: 'The status service itself cannot be reached; retrying…',
  pageTitle: 'mail status',
  header: 'mail service status',
  blocklist: {
    columns: { target: 'Own IP / domain', zone: 'List', state: 'State', since: 'Since' },
    state: { listed: 'Listed', clear: 'Not listed', unknown: 'Unknown (lookup failed)' },
    none: 'No own IPs or domains are configured for the check.',
  },
  duration: { s: 's', min: 'min', h: 'h' },
  switchTo: '日本語',
};

export type StatusText = typeof en;
