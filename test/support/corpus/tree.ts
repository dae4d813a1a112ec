/** Byte-level MIME building blocks for the corpus: rendering records where every part lies. */

/** A header block (field lines and the blank line that ends it) and a body. */
export interface Leaf {
  header: Buffer;
  body: Buffer | Multipart;
}

export interface Multipart {
  contentType: string;
  boundary: string;
  preamble: Buffer;
  parts: Piece[];
  /** Everything after the close delimiter, starting with the line end that ends it. */
  epilogue: Buffer;
  /** False: the close delimiter is missing (an unterminated multipart). */
  closed: boolean;
  /** Extra bytes at the end of every part, before the next delimiter (blank lines). */
  gap: Buffer;
  nl: string;
}

/** A child of a multipart: a part with its header, or a multipart (given a Content-Type header). */
export type Piece = Leaf | Multipart;

export interface PartBytes {
  /** IMAP section path; '' is the message itself (HEADER and TEXT). */
  path: string;
  mime: Buffer;
  body: Buffer;
  /** Offset just after the body. */
  end: number;
}

export function render(message: Leaf, path: string): { raw: Buffer; parts: PartBytes[] } {
  const chunks: Buffer[] = [];
  const ranges: Array<{ path: string; start: number; bodyStart: number; end: number }> = [];
  let pos = 0;
  const push = (data: Buffer | string) => {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    chunks.push(buf);
    pos += buf.length;
  };
  // `gap` ends the part before the next delimiter; the last part of an unterminated multipart has none
  const emit = (piece: Piece, at: string, gap?: Buffer) => {
    const part: Leaf =
      'header' in piece ? piece : { header: Buffer.from(`Content-Type: ${piece.contentType}${piece.nl}${piece.nl}`), body: piece };
    const start = pos;
    push(part.header);
    const bodyStart = pos;
    const body = part.body;
    if (Buffer.isBuffer(body)) push(body);
    else {
      push(body.preamble);
      body.parts.forEach((child, i) => {
        if (i > 0 || body.preamble.length > 0) push(body.nl);
        push(`--${body.boundary}${body.nl}`);
        const last = i === body.parts.length - 1;
        emit(child, at ? `${at}.${i + 1}` : `${i + 1}`, last && !body.closed ? undefined : body.gap);
      });
      if (body.closed) {
        push(`${body.nl}--${body.boundary}--`);
        push(body.epilogue);
      }
    }
    if (gap) push(gap);
    ranges.push({ path: at, start, bodyStart, end: pos });
  };
  emit(message, path);
  const raw = Buffer.concat(chunks);
  const parts = ranges.map((r) => ({
    path: r.path,
    mime: raw.subarray(r.start, r.bodyStart),
    body: raw.subarray(r.bodyStart, r.end),
    end: r.end,
  }));
  // A single-part message: its body is also section 1.
  if (Buffer.isBuffer(message.body)) {
    const root = parts.find((p) => p.path === path);
    if (root) parts.push({ ...root, path: '1', mime: Buffer.alloc(0) });
  }
  return { raw, parts };
}
