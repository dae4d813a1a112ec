import type { Component, GuardState, Incident, Status } from './state.js';

const LABEL: Record<Status, string> = { up: 'Working', degraded: 'Degraded', down: 'Down', unknown: 'Checking…' };

const escape = (text: string) =>
  text.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch] as string);

const time = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

function headline(state: GuardState): { status: Status; text: string } {
  const overall = state.overall();
  const down = [...state.components.values()].filter((c) => !c.internal && c.status === 'down');
  if (overall === 'down') return { status: 'down', text: down.map((c) => `${c.title}: ${c.impact}`).join('. ') };
  if (overall === 'degraded') return { status: 'degraded', text: 'Mail works; a redundant part has failed and is being handled.' };
  if (overall === 'unknown') return { status: 'unknown', text: 'Checking every part of the mail system…' };
  return { status: 'up', text: 'All mail services are working.' };
}

function componentRow(c: Component): string {
  const latency = c.latencyMs !== undefined ? ` · ${c.latencyMs} ms` : '';
  return `<li class="row ${c.status}"><span class="dot" aria-hidden="true"></span><div><b>${escape(c.title)}</b> <span class="state">${LABEL[c.status]}</span><br><small>${escape(c.detail)}${latency} · since ${time(c.since)} UTC</small></div></li>`;
}

function incidentRow(i: Incident): string {
  const end = i.resolvedAt;
  const span = end ? `${time(i.startedAt)} – ${time(end).slice(11)} UTC (${duration(end - i.startedAt)})` : `since ${time(i.startedAt)} UTC (${duration(Date.now() - i.startedAt)})`;
  return `<li class="incident ${end ? 'resolved' : i.status}"><b>${end ? 'Resolved' : 'Ongoing'}:</b> ${escape(i.title)}<br><small>${span}<br>${escape(i.detail)}</small></li>`;
}

/** The part of the page that updates itself (also served alone at /status/fragment). */
export function renderStatusFragment(state: GuardState): string {
  const head = headline(state);
  const components = [...state.components.values()];
  const visible = components.filter((c) => !c.internal);
  const internal = components.filter((c) => c.internal);
  const ongoing = state.incidents.filter((i) => i.resolvedAt === undefined);
  const past = state.incidents.filter((i) => i.resolvedAt !== undefined).slice(0, 20);
  return [
    `<section id="banner" class="banner ${head.status}" data-status="${head.status}"><h1>${escape(LABEL[head.status] === 'Working' ? 'All systems working' : head.status === 'down' ? 'Service problem' : head.status === 'degraded' ? 'Degraded' : 'Checking')}</h1><p>${escape(head.text)}</p></section>`,
    ongoing.length ? `<h2>Ongoing</h2><ul class="list">${ongoing.map(incidentRow).join('')}</ul>` : '',
    `<h2>Services</h2><ul class="list" id="components">${visible.map(componentRow).join('')}</ul>`,
    `<details><summary>Instances (${internal.filter((c) => c.status === 'up').length}/${internal.length} working)</summary><ul class="list">${internal.map(componentRow).join('')}</ul></details>`,
    `<h2>Incident history</h2>${past.length ? `<ul class="list" id="history">${past.map(incidentRow).join('')}</ul>` : '<p id="history">No incidents recorded.</p>'}`,
    `<p class="foot">Updated ${time(Date.now())} UTC · refreshes every few seconds by itself</p>`,
  ].join('\n');
}

/** The whole status page: no external assets, readable on a phone, updates itself. */
export function renderStatusPage(state: GuardState, title: string, refreshMs: number): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)} · mail status</title>
<noscript><meta http-equiv="refresh" content="${Math.ceil(refreshMs / 1000)}"></noscript>
<style>
:root{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d1d1f;background:#f5f5f7}
body{margin:0 auto;max-width:42rem;padding:1rem}
header{font-size:.95rem;color:#555;margin-bottom:.5rem}
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
details{margin-top:1rem}summary{cursor:pointer;font-weight:600}
.foot{font-size:.8rem;color:#777;margin-top:1.5rem}
</style>
</head>
<body>
<header>${escape(title)} · mail service status</header>
<main id="status">
${renderStatusFragment(state)}
</main>
<script>
(function(){
  var main=document.getElementById('status');
  function refresh(){
    fetch('status/fragment',{cache:'no-store'}).then(function(r){return r.ok?r.text():Promise.reject(r.status)})
      .then(function(html){var open=main.querySelector('details[open]');main.innerHTML=html;if(open){var d=main.querySelector('details');if(d)d.open=true}})
      .catch(function(){var f=main.querySelector('.foot');if(f)f.textContent='The status service itself cannot be reached; retrying…'});
  }
  setInterval(refresh,${refreshMs});
})();
</script>
</body>
</html>
`;
}
