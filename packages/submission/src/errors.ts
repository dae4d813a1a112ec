/** An SMTP reply for smtp-server: the code, and text that starts with the enhanced status code. */
export function smtpError(code: number, enhanced: string, text: string): Error & { responseCode: number } {
  return Object.assign(new Error(`${enhanced} ${text}`), { responseCode: code });
}

export const tempFail = (what: string) => smtpError(451, '4.3.0', `${what} temporarily unavailable, try again later`);
