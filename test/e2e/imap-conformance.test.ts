import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { expectWildDuckServing, freshUser } from '../support/conformance.js';
import { type ImapAnswer, RawImap } from '../support/imap-raw.js';
import { type TestStack, useTestStack } from '../support/stack.js';

/**
 * Kura's own IMAP conformance checks in the spirit of Dovecot's imaptest: odd-but-legal commands
 * get the answers RFC 3501 / RFC 9051 require, malformed ones a protocol error (BAD / NO), and no
 * input ends the WildDuck process. Each case runs in a logged-in session with a selected INBOX.
 */
describe('IMAP conformance: NIL, literals, nesting, sequence sets, charsets, pipelining', () => {
  const stack = useTestStack('imap-conformance');
  let t: TestStack;
  let pid: number | undefined;
  const sessions: RawImap[] = [];

  beforeAll(() => {
    t = stack();
    pid = t.stack.supervisor.pids.wildduck;
  });
  afterEach(async () => {
    for (const s of sessions.splice(0)) s.close();
    // After every test: the same WildDuck process still answers.
    await expectWildDuckServing(t, pid);
  });

  async function session(label: string, messages: string[] = []): Promise<RawImap> {
    const { user, pass } = await freshUser(t, label);
    const imap = await RawImap.session(t.config.ports.imap, user, pass);
    sessions.push(imap);
    for (const message of messages) {
      const bytes = Buffer.from(message.replace(/\r?\n/g, '\r\n'));
      expect((await imap.run(Buffer.concat([Buffer.from(`APPEND INBOX {${bytes.length}}\r\n`), bytes]))).status).toBe('OK');
    }
    if (messages.length) expect((await imap.run('NOOP')).status).toBe('OK');
    return imap;
  }

  const searchHits = (answer: ImapAnswer) => {
    const line = answer.untagged.find((l) => /^\* SEARCH\b/.test(l));
    return line === undefined
      ? undefined
      : line
          .replace(/^\* SEARCH ?/, '')
          .split(' ')
          .filter(Boolean)
          .map(Number);
  };

  it('SEARCH SUBJECT NIL searches for the text "NIL" instead of ending the process', async () => {
    const imap = await session('nil-search');
    // Empty mailbox: a complete, empty SEARCH answer.
    const empty = await imap.run('SEARCH SUBJECT NIL');
    expect(empty.status, JSON.stringify(empty)).toBe('OK');
    expect(searchHits(empty)).toEqual([]);
    // The same session goes on: the process did not die under it.
    expect((await imap.run('NOOP')).status).toBe('OK');

    const filled = await session('nil-search-2', ['Subject: nil and void\n\nbody\n', 'Subject: other\n\nbody\n']);
    const hits = await filled.run('SEARCH SUBJECT NIL');
    // Header search works on both tiers (the local one through Kura's FerretDB patches).
    expect(hits.status, JSON.stringify(hits)).toBe('OK');
    expect(searchHits(hits)).toEqual([1]);
    // NIL as a search key is not a key: BAD, and the session goes on.
    expect((await filled.run('UID SEARCH NIL')).tagged).toMatch(/ BAD Unknown search term NIL/);
    const keyword = await filled.run('SEARCH KEYWORD NIL');
    expect(keyword.status).toBe('OK');
    expect(searchHits(keyword)).toEqual([]);
    const unkeyword = await filled.run('SEARCH UNKEYWORD NIL');
    expect(searchHits(unkeyword)).toEqual([1, 2]);
  });

  it('answers NIL in every argument position with a protocol answer', async () => {
    const imap = await session('nil-args', ['Subject: one\n\nbody\n']);
    // [command, expected status, extra check on the answer]
    const cases: Array<[string, ImapAnswer['status'], RegExp?]> = [
      ['SEARCH NIL', 'BAD'],
      ['SEARCH NOT NIL', 'BAD'],
      ['SEARCH OR NIL NIL', 'BAD'],
      ['SEARCH (NIL)', 'BAD'],
      ['SEARCH BEFORE NIL', 'BAD'],
      ['SEARCH SINCE NIL', 'BAD'],
      ['SEARCH LARGER NIL', 'BAD'],
      ['SEARCH UID NIL', 'BAD'],
      ['SEARCH MODSEQ NIL', 'BAD'],
      ['SEARCH OLDER NIL', 'BAD'],
      ['SEARCH CHARSET NIL ALL', 'NO', /\[BADCHARSET/],
      ['SELECT NIL', 'NO', /\[NONEXISTENT\]/],
      ['EXAMINE NIL', 'NO', /\[NONEXISTENT\]/],
      ['DELETE NIL', 'NO'],
      ['RENAME NIL NIL', 'NO'],
      ['SUBSCRIBE NIL', 'NO'],
      ['STATUS NIL (MESSAGES)', 'NO'],
      ['STATUS INBOX NIL', 'BAD'],
      ['STATUS INBOX (NIL)', 'BAD'],
      ['LIST (NIL) "" "*"', 'BAD'],
      ['LIST "" "*" NIL', 'BAD'],
      ['LIST "" "*" RETURN (NIL)', 'BAD'],
      ['LSUB NIL NIL', 'OK'],
      ['APPEND NIL {1}\r\nx', 'NO', /\[TRYCREATE\]/],
      ['APPEND INBOX (NIL) {1}\r\nx', 'BAD'],
      ['FETCH NIL FLAGS', 'BAD'],
      ['FETCH 1 NIL', 'BAD'],
      ['FETCH 1 (NIL)', 'BAD'],
      ['FETCH 1 BODY[NIL]', 'BAD'],
      ['FETCH 1 (FLAGS) (CHANGEDSINCE NIL)', 'BAD'],
      ['UID FETCH 1:* NIL', 'BAD'],
      ['STORE NIL +FLAGS (\\Seen)', 'BAD'],
      ['STORE 1 NIL (\\Seen)', 'BAD'],
      ['STORE 1 +FLAGS (NIL)', 'BAD'],
      ['STORE 1 (UNCHANGEDSINCE NIL) +FLAGS (\\Seen)', 'BAD'],
      ['UID STORE 1 +FLAGS (NIL)', 'BAD'],
      ['COPY NIL INBOX', 'BAD'],
      // A mailbox name is an astring: NIL is the (missing) mailbox "NIL".
      ['COPY 1 NIL', 'NO', /\[TRYCREATE\]/],
      ['MOVE 1 NIL', 'NO', /\[TRYCREATE\]/],
      ['UID EXPUNGE NIL', 'BAD'],
      ['ID (NIL NIL)', 'OK', /./],
      ['ID (NIL "x")', 'OK'],
      ['GETQUOTAROOT NIL', 'NO'],
      ['COMPRESS NIL', 'BAD'],
    ];
    for (const [command, status, text] of cases) {
      // A failed SELECT leaves no mailbox selected: every case starts in the Selected state.
      expect((await imap.run('SELECT INBOX')).status).toBe('OK');
      const answer = await imap.run(command);
      expect(answer.status, `${command} → ${JSON.stringify(answer)}`).toBe(status);
      expect(answer.tagged, command).not.toMatch(/not allowed now/);
      if (text) expect(answer.tagged, command).toMatch(text);
    }
    // The NIL flag attempts stored nothing: FLAGS stays a valid list of non-empty atoms.
    const flags = await imap.run('FETCH 1 FLAGS');
    expect(flags.untagged).toEqual(['* 1 FETCH (FLAGS ())']);
  });

  it('gives the answers the RFCs require to odd but legal commands', async () => {
    const imap = await session('odd-legal', ['Subject: legal\nX-Tag: a\n\nbody\n']);
    // RFC 3501 6.3.8: an empty LIST pattern returns the hierarchy delimiter; LSUB answers the same way.
    for (const command of ['LIST "" ""', 'LSUB "" ""']) {
      const answer = await imap.run(command);
      expect(answer.status, command).toBe('OK');
      expect(answer.untagged[0], command).toMatch(/^\* (LIST|LSUB) \(\\Noselect\) "\/" /);
    }
    // RFC 2971: NIL instead of the parameter list, and NIL as a value.
    for (const command of ['ID NIL', 'ID ("name" NIL)', 'ID ("name" "kura-test" "version" NIL)']) {
      const answer = await imap.run(command);
      expect(answer.status, command).toBe('OK');
      expect(answer.untagged, command).toEqual([expect.stringMatching(/^\* ID \(/)]);
    }
    // A header field name is an astring: NIL names the (absent) field "NIL", the answer is an empty header block.
    const header = await imap.run('FETCH 1 BODY.PEEK[HEADER.FIELDS (NIL)]');
    const absent = await imap.run('FETCH 1 BODY.PEEK[HEADER.FIELDS (X-ABSENT)]');
    expect(header.status).toBe('OK');
    expect(header.untagged).toEqual(absent.untagged.map((l) => l.replace('X-ABSENT', 'NIL')));
    expect(header.untagged[0]).toMatch(/^\* 1 FETCH \(BODY\[HEADER\.FIELDS \(NIL\)\] \{\d\}$/);
    // RFC 3501 6.4.4: an unknown charset is a tagged NO with BADCHARSET; the supported ones work.
    expect((await imap.run('SEARCH CHARSET X-UNKNOWN ALL')).tagged).toMatch(/ NO \[BADCHARSET \(UTF-8 US-ASCII\)\]/);
    for (const charset of ['UTF-8', 'US-ASCII', 'utf-8']) {
      const answer = await imap.run(`SEARCH CHARSET ${charset} ALL`);
      expect(searchHits(answer), charset).toEqual([1]);
    }
    // Legal, empty literals are strings like any other.
    // The one message has no keywords, so an empty keyword finds nothing (a SEARCH answer with no hits, not a BAD).
    expect(searchHits(await imap.run('SEARCH KEYWORD {0}\r\n'))).toEqual([]);
    expect((await imap.run('SELECT {0}\r\n')).status).toBe('NO');
    const literalSelect = await imap.run('SELECT {5}\r\nINBOX');
    expect(literalSelect.status, JSON.stringify(literalSelect)).toBe('OK');
    // NIL where a mailbox name goes is the name "NIL" (an astring, RFC 3501 section 9).
    expect((await imap.run('CREATE NIL')).status).toBe('OK');
    expect((await imap.run('STATUS NIL (MESSAGES)')).untagged).toEqual([expect.stringMatching(/^\* STATUS "?NIL"? \(MESSAGES 0\)$/)]);
    expect((await imap.run('DELETE "NIL"')).status).toBe('OK');
    expect((await imap.run('SELECT INBOX')).status).toBe('OK');
    const status = await imap.run('STATUS INBOX (MESSAGES UIDNEXT)');
    expect(status.untagged).toEqual([expect.stringMatching(/^\* STATUS "?INBOX"? \(MESSAGES 1 UIDNEXT 2\)$/)]);
    expect((await imap.run('CAPABILITY')).untagged[0]).toMatch(/^\* CAPABILITY .*\bIMAP4rev1\b/);
  });

  it('refuses huge literals, deep nesting and invalid sequence sets with a protocol error', async () => {
    const imap = await session('malformed', ['Subject: m\n\nbody\n']);
    // A literal larger than the command allows is refused before a byte of it is sent.
    expect((await imap.run('SEARCH SUBJECT {2000}\r\n')).tagged).toMatch(/ NO Literal too large/);
    expect((await imap.run('APPEND INBOX {99999999999}\r\n')).tagged).toMatch(/ NO \[TOOBIG\]/);
    expect((await imap.run('APPEND INBOX {0}\r\n')).status).toBe('NO');
    expect((await imap.run('APPEND INBOX {-1}')).status).toBe('BAD');
    // Moderate nesting is legal; nesting deeper than the parser allows is BAD, not a stack overflow.
    expect(searchHits(await imap.run(`SEARCH ${'('.repeat(20)}ALL${')'.repeat(20)}`))).toEqual([1]);
    expect((await imap.run(`SEARCH ${'('.repeat(5000)}ALL${')'.repeat(5000)}`)).status).toBe('BAD');
    expect((await imap.run(`FETCH 1 ${'('.repeat(5000)}`)).status).toBe('BAD');
    for (const set of ['1,,2', 'a:b', '-1', '1:', ':1', '1.5', '*,,']) {
      expect((await imap.run(`FETCH ${set} FLAGS`)).status, `FETCH ${set}`).toBe('BAD');
    }
    for (const command of ['SEARCH "unterminated', 'SEARCH )', 'FETCH 1 (FLAGS', 'SEARCH SINCE 1-Foo-2020', 'STATUS INBOX ()']) {
      expect((await imap.run(command)).status, command).toBe('BAD');
    }
    // A line longer than the server accepts is refused and the session goes on.
    const long = await imap.send('after', Buffer.from(`long SEARCH SUBJECT ${'a'.repeat(200_000)}\r\nafter NOOP\r\n`));
    expect(long.untagged).toContain('* BAD Command line too long');
    expect(long.status).toBe('OK');
  });

  it('answers every pipelined command, garbage included, in order', async () => {
    const imap = await session('pipelined', ['Subject: p\n\nbody\n']);
    const lines = [
      'p1 NOOP',
      'p2 SEARCH NIL',
      'garbage without a command',
      'p3 FETCH 1 NIL',
      '\u0000\u0001\u0002',
      'p4 LSUB "" ""',
      'p5 BOGUS',
      'p6 SEARCH SUBJECT NIL ALL',
      'p7 NOOP',
    ];
    const answer = await imap.send('p7', Buffer.from(`${lines.join('\r\n')}\r\n`, 'latin1'));
    expect(answer.status).toBe('OK');
    const tagged = answer.untagged.filter((l) => /^p\d /.test(l)).map((l) => l.split(' ').slice(0, 2).join(' '));
    const expected = ['p1 OK', 'p2 BAD', 'p3 BAD', 'p4 OK', 'p5 BAD'];
    expect(tagged.slice(0, 5)).toEqual(expected);
    expect(tagged[5]).toMatch(/^p6 (OK|NO)$/);
    // The line without a command and the control bytes get their own BAD.
    expect(answer.untagged, JSON.stringify(answer.untagged)).toContainEqual(expect.stringMatching(/^garbage BAD/));
    expect(
      answer.untagged.filter((l) => /^\* BAD/.test(l)),
      JSON.stringify(answer.untagged),
    ).toHaveLength(1);
  });
});
