import type { BlocklistEntry } from './blocklist-watch.js';
import type { StatusText } from './i18n/index.js';
import type { Component, GuardState, Incident, Status } from './state.js';

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch] as string);

const time = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);

function duration(ms: number, t: StatusText): string {
  const s = Math.round(ms / 1000);
  const u = t.duration;
  if (s < 60) return `${s} ${u.s}`;
  if (s < 3600) return `${Math.floor(s / 60)} ${u.min} ${s % 60} ${u.s}`;
  return `${Math.floor(s / 3600)} ${u.h} ${Math.floor((s % 3600) / 60)} ${u.min}`;
}

/** A component's title and impact in the page's language (the state holds the English ones for logs and alerts). */
function named(id: string, fallback: { title: string; impact: string }, t: StatusText): { title: string; impact: string } {
  const known = t.components[id];
  if (known) return known;
  const instance = /^(wildduck|haraka|submission)-(\d+)$/.exec(id);
  if (instance) return t.instance[instance[1] as keyof StatusText['instance']](instance[2] as string);
  return fallback;
}

function headline(state: GuardState, t: StatusText): { status: Status; text: string } {
  const overall = state.overall();
  const down = [...state.components.values()].filter((c) => !c.internal && c.status === 'down');
  if (overall === 'down') {
    return {
      status: 'down',
      text: down
        .map((c) => named(c.id, c, t))
        .map((n) => `${n.title}: ${n.impact}`)
        .join(t.sentenceSeparator),
    };
  }
  return { status: overall, text: t.headline[overall] };
}

function componentRow(c: Component, t: StatusText): string {
  const latency = c.latencyMs !== undefined ? ` · ${c.latencyMs} ms` : '';
  const { title } = named(c.id, c, t);
  return `<li class="row ${c.status}" data-component="${escapeHtml(c.id)}"><span class="dot" aria-hidden="true"></span><div><b>${escapeHtml(title)}</b> <span class="state">${t.status[c.status]}</span><br><small>${escapeHtml(c.detail)}${latency} · ${t.since(time(c.since))}</small></div></li>`;
}

function incidentRow(i: Incident, state: GuardState, t: StatusText): string {
  const end = i.resolvedAt;
  const c = state.components.get(i.component);
  const n = c ? named(c.id, c, t) : undefined;
  const title = n ? `${n.title}: ${i.status === 'down' ? n.impact : t.degradedSuffix}` : i.title;
  const span = end
    ? `${time(i.startedAt)} – ${time(end).slice(11)} UTC (${duration(end - i.startedAt, t)})`
    : `${t.since(time(i.startedAt))} (${duration(Date.now() - i.startedAt, t)})`;
  return `<li class="incident ${end ? 'resolved' : i.status}"><b>${end ? t.resolved : t.ongoing}:</b> ${escapeHtml(title)}<br><small>${span}<br>${escapeHtml(i.detail)}</small></li>`;
}

/** Listed where, since when: one row per own IP or domain and zone. */
function blocklistTable(entries: BlocklistEntry[], t: StatusText): string {
  if (!entries.length) return '';
  const b = t.blocklist;
  const rows = entries
    .map((e) => {
      const answer =
        e.listing.state === 'listed' ? ` (${e.listing.answer})` : e.listing.state === 'unknown' ? ` (${e.listing.reason})` : '';
      return `<tr class="${e.listing.state}" data-target="${escapeHtml(e.target)}" data-zone="${escapeHtml(e.zone)}" data-state="${e.listing.state}"><td>${escapeHtml(e.target)}</td><td>${escapeHtml(e.zone)}</td><td>${b.state[e.listing.state]}<small>${escapeHtml(answer)}</small></td><td>${time(e.since)} UTC</td></tr>`;
    })
    .join('');
  const c = b.columns;
  return `<h2>${t.headings.blocklists}</h2><table id="blocklists"><thead><tr><th>${c.target}</th><th>${c.zone}</th><th>${c.state}</th><th>${c.since}</th></tr></thead><tbody>${rows}</tbody></table>`;
}

/** The part of the page that updates itself (also served alone at /status/fragment). */
export function renderStatusFragment(state: GuardState, t: StatusText, blocklist: BlocklistEntry[] = []): string {
  const head = headline(state, t);
  const components = [...state.components.values()];
  const visible = components.filter((c) => !c.internal);
  const internal = components.filter((c) => c.internal);
  const ongoing = state.incidents.filter((i) => i.resolvedAt === undefined);
  const past = state.incidents.filter((i) => i.resolvedAt !== undefined).slice(0, 20);
  const h = t.headings;
  return [
    `<section id="banner" class="banner ${head.status}" data-status="${head.status}"><h1>${escapeHtml(t.banner[head.status])}</h1><p>${escapeHtml(head.text)}</p></section>`,
    ongoing.length ? `<h2>${h.ongoing}</h2><ul class="list">${ongoing.map((i) => incidentRow(i, state, t)).join('')}</ul>` : '',
    `<h2>${h.services}</h2><ul class="list" id="components">${visible.map((c) => componentRow(c, t)).join('')}</ul>`,
    blocklistTable(blocklist, t),
    `<details><summary>${t.instances(internal.filter((c) => c.status === 'up').length, internal.length)}</summary><ul class="list">${internal.map((c) => componentRow(c, t)).join('')}</ul></details>`,
    `<h2>${h.history}</h2>${past.length ? `<ul class="list" id="history">${past.map((i) => incidentRow(i, state, t)).join('')}</ul>` : `<p id="history">${t.noIncidents}</p>`}`,
    `<p class="foot">${t.updated(time(Date.now()))}</p>`,
  ].join('\n');
}

/** The whole status page: no external assets, readable on a phone, updates itself, in the reader's language. */
export function renderStatusPage(
  state: GuardState,
  title: string,
  refreshMs: number,
  t: StatusText,
  blocklist: BlocklistEntry[] = [],
): string {
  const other = t.lang === 'ja' ? 'en' : 'ja';
  return `<!doctype html>
<html lang="${t.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · ${t.pageTitle}</title>
<noscript><meta http-equiv="refresh" content="${Math.ceil(refreshMs / 1000)}"></noscript>
<style>
:root{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Hiragino Sans","Noto Sans CJK JP","IPAPGothic","IPAGothic",sans-serif;color:#1d1d1f;background:#f5f5f7}
body{margin:0 auto;max-width:42rem;padding:1rem}
header{font-size:.95rem;color:#555;margin-bottom:.5rem;display:flex;justify-content:space-between;gap:1rem}
.banner{border-radius:.75rem;padding:1rem 1.25rem;color:#fff}
.banner h1{margin:0 0 .25rem;font-size:1.5rem}.banner p{margin:0;font-size:1.05rem}
.banner.up{background:#1e7d3a}.banner.degraded{background:#a66300}.banner.down{background:#b3261e}.banner.unknown{background:#5f6368}
h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
.list{list-style:none;padding:0;margin:0}
.list li{background:#fff;border-radius:.5rem;padding:.75rem;margin:.4rem 0;display:flex;gap:.75rem;align-items:flex-start;line-height:1.35}
.list li.incident{display:block;border-left:.35rem solid #b3261e}.list li.incident.degraded{border-left-color:#a66300}.list li.incident.resolved{border-left-color:#1e7d3a}
.dot{flex:none;width:.9rem;height:.9rem;border-radius:50%;margin-top:.2rem;background:#5f6368}
.up .dot{background:#1e7d3a}.degraded .dot{background:#e08a00}.down .dot{background:#d93025}
.state{font-size:.85rem;color:#555}small{color:#555;word-break:break-word}
table{width:100%;border-collapse:collapse;background:#fff;border-radius:.5rem;font-size:.9rem}
th,td{text-align:left;padding:.4rem .5rem;border-bottom:1px solid #eee;vertical-align:top}
tr.listed td{color:#b3261e;font-weight:600}tr.unknown td{color:#5f6368}
details{margin-top:1rem}summary{cursor:pointer;font-weight:600}
.foot{font-size:.8rem;color:#777;margin-top:1.5rem}
</style>
</head>
<body>
<header><span>${escapeHtml(title)} · ${t.header}</span><a id="lang-switch" href="?lang=${other}" lang="${other}">${t.switchTo}</a></header>
<main id="status">
${renderStatusFragment(state, t, blocklist)}
</main>
<script>
(function(){
  var main=document.getElementById('status'),busy=false;
  // one request at a time, each given up after three periods: a request that hangs must not stop the page
  function refresh(){
    if(busy)return;busy=true;
    var opts={cache:'no-store'};if(window.AbortSignal&&AbortSignal.timeout)opts.signal=AbortSignal.timeout(${refreshMs * 3});
    fetch('status/fragment?lang=${t.lang}',opts).then(function(r){return r.ok?r.text():Promise.reject(r.status)})
      .then(function(html){var open=main.querySelector('details[open]');main.innerHTML=html;if(open){var d=main.querySelector('details');if(d)d.open=true}})
      .catch(function(){var f=main.querySelector('.foot');if(f)f.textContent=${JSON.stringify(t.unreachable)}})
      .then(function(){busy=false});
  }
  setInterval(refresh,${refreshMs});
})();
</script>
</body>
</html>
`;
}
