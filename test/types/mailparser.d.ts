// mailparser ships no type declarations; the tests use only this much of it.
declare module 'mailparser' {
  export function simpleParser(source: Buffer | string): Promise<{
    subject?: string;
    text?: string;
    inReplyTo?: string;
    to?: { text: string } | Array<{ text: string }>;
    headers: Map<string, unknown>;
  }>;
}
