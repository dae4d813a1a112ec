import { dayOf } from './days.js';
import type { Text } from './i18n/index.js';
import type { Settings } from './wildduck-api.js';

export const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch] as string);

/** A notice above the forms: what was saved, or what was wrong (already in the reader's language). */
export interface Notice {
  kind: 'ok' | 'error';
  lines: string[];
}

const STYLE = `:root{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Hiragino Sans","Noto Sans CJK JP","IPAPGothic","IPAGothic",sans-serif;color:#1d1d1f;background:#f5f5f7}
body{margin:0 auto;max-width:40rem;padding:1rem}header{display:flex;justify-content:space-between;align-items:center;gap:1rem;color:#555;font-size:.95rem}
h1{font-size:1.4rem}h2{font-size:1.15rem;margin:0 0 .5rem}section{background:#fff;border-radius:.75rem;padding:1rem 1.25rem;margin:1rem 0}
label{display:block;margin:.6rem 0 .2rem;font-weight:600}input[type=text],input[type=password],input[type=date],textarea{width:100%;box-sizing:border-box;padding:.5rem;font:inherit;border:1px solid #bbb;border-radius:.4rem}
textarea{min-height:7rem}label.check{display:flex;gap:.5rem;align-items:center}button{margin-top:.9rem;padding:.55rem 1.1rem;font:inherit;border:0;border-radius:.4rem;background:#0b57d0;color:#fff;cursor:pointer}
.notice{border-radius:.5rem;padding:.6rem .9rem;margin:1rem 0}.notice.ok{background:#e6f4ea;color:#1e7d3a}.notice.error{background:#fce8e6;color:#b3261e}
.hint{color:#555;font-size:.9rem;margin:.2rem 0}form.inline{display:inline}form.inline button{margin:0;background:#5f6368}`;

function layout(t: Text, body: string, header = ''): string {
  const other = t.lang === 'ja' ? 'en' : 'ja';
  return `<!doctype html>
<html lang="${t.lang}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${t.title}</title><style>${STYLE}</style></head>
<body>
<header><span>${header}</span><a id="lang-switch" href="?lang=${other}" lang="${other}">${t.switchTo}</a></header>
<h1>${t.title}</h1>
${body}
</body>
</html>
`;
}

function notice(n: Notice | undefined): string {
  if (!n) return '';
  return `<div class="notice ${n.kind}" role="${n.kind === 'error' ? 'alert' : 'status'}" id="notice">${n.lines.map(escapeHtml).join('<br>')}</div>`;
}

export function loginPage(t: Text, csrf: string, n?: Notice, username = ''): string {
  return layout(
    t,
    `${notice(n)}<section><h2>${t.login.heading}</h2><p class="hint">${t.login.intro}</p>
<form method="post" action="login">
<input type="hidden" name="csrf" value="${escapeHtml(csrf)}">
<label for="username">${t.login.username}</label><input type="text" id="username" name="username" autocomplete="username" required value="${escapeHtml(username)}">
<label for="password">${t.login.password}</label><input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit" id="login">${t.login.submit}</button>
</form></section>`,
  );
}

export function settingsPage(t: Text, who: string, csrf: string, s: Settings, n?: Notice, timeZone?: string): string {
  const v = s.vacation;
  const token = `<input type="hidden" name="csrf" value="${escapeHtml(csrf)}">`;
  const header = `${escapeHtml(t.signedInAs(who))} <form class="inline" method="post" action="logout">${token}<button type="submit" id="logout">${t.logout}</button></form>`;
  return layout(
    t,
    `${notice(n)}<section id="vacation"><h2>${t.vacation.heading}</h2><p class="hint">${t.vacation.intro}</p>
<form method="post" action="vacation">${token}
<label class="check"><input type="checkbox" id="vacation-enabled" name="enabled"${v.status ? ' checked' : ''}> ${t.vacation.enabled}</label>
<label for="vacation-subject">${t.vacation.subject}</label><input type="text" id="vacation-subject" name="subject" value="${escapeHtml(v.subject)}">
<label for="vacation-text">${t.vacation.text}</label><textarea id="vacation-text" name="text">${escapeHtml(v.text)}</textarea>
<label for="vacation-start">${t.vacation.start}</label><input type="date" id="vacation-start" name="start" value="${dayOf(v.start, timeZone)}">
<label for="vacation-end">${t.vacation.end}</label><input type="date" id="vacation-end" name="end" value="${dayOf(v.end, timeZone)}">
<button type="submit" id="vacation-save">${t.vacation.save}</button>
</form></section>
<section id="forwarding"><h2>${t.forwarding.heading}</h2><p class="hint">${t.forwarding.intro}</p>
<form method="post" action="forwarding">${token}
<label for="forwarding-targets">${t.forwarding.targets}</label><textarea id="forwarding-targets" name="targets" rows="4">${escapeHtml(s.targets.join('\n'))}</textarea>
<p class="hint">${t.forwarding.none}</p>
<button type="submit" id="forwarding-save">${t.forwarding.save}</button>
</form></section>`,
    header,
  );
}

export function messagePage(t: Text, n: Notice): string {
  return layout(t, `${notice(n)}<p><a href="./">${t.login.heading}</a></p>`);
}
