// mailparser ships no type declarations; the tests use only this much of it.
declare module 'mailparser' {
  export interface ParsedMail {
    subject?: string;
    messageId?: string;
    inReplyTo?: string;
    references?: string | string[];
    from?: { value: Array<{ address?: string; name?: string }> };
    to?: { text: string } | Array<{ text: string }>;
    text?: string;
    headers: Map<string, unknown>;
    attachments: Array<{ filename?: string; contentType: string; content: Buffer }>;
  }
  export function simpleParser(source: Buffer | string): Promise<ParsedMail>;
}
