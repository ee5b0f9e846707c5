/// The operator dashboard: one HTML page, one script, one stylesheet, compiled into the binary.
///
/// The page holds no data: the script asks for the admin key once (kept in session storage),
/// then reads only documented admin endpoints (`/admin/v1/traffic`, `/reports/usage`,
/// `/reports/revenue-share`, `/timeline`, `/explain`, `/health`). Charts are inline SVG.
enum DashboardAssets {
    static let html = #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Switchyard</title>
        <link rel="icon" href="data:,">
        <link rel="stylesheet" href="/dashboard/app.css">
        <script src="/dashboard/app.js" defer></script>
        </head>
        <body>
        <header>
          <h1>Switchyard</h1>
          <span id="status" class="muted">connecting…</span>
          <button id="forget" type="button" hidden>Forget key</button>
        </header>
        <form id="login" hidden>
          <label>Admin key <input id="key" type="password" autocomplete="off" required></label>
          <button type="submit">Open dashboard</button>
          <p id="login-error" class="error" hidden></p>
        </form>
        <main id="board" hidden>
          <section>
            <h2>Traffic, last minute</h2>
            <div id="traffic" class="cards"></div>
            <svg id="rate-chart" class="chart" viewBox="0 0 600 120" role="img" aria-label="requests per second per cloud"></svg>
          </section>
          <section>
            <h2>Spend this month <span id="month" class="muted"></span></h2>
            <p>Charge <strong id="charge-total" data-nanos="0">–</strong> · cost <strong id="cost-total" data-nanos="0">–</strong> · <span id="requests-total">0</span> requests</p>
            <div class="two">
              <div><h3>By tenant</h3><div id="spend-tenant"></div></div>
              <div><h3>By model</h3><div id="spend-model"></div></div>
            </div>
          </section>
          <section>
            <h2>Revenue share this month</h2>
            <table id="shares"><thead><tr><th>Beneficiary</th><th>Agreement</th><th class="num">Accrued</th><th>Term ends</th></tr></thead><tbody></tbody></table>
          </section>
          <section>
            <h2>Deployment health</h2>
            <div id="health"></div>
          </section>
          <section>
            <h2>Contract timeline</h2>
            <ol id="timeline"></ol>
          </section>
          <section>
            <h2>Route explainer</h2>
            <form id="explain">
              <label>Model <input id="explain-model" required></label>
              <label>Tenant <input id="explain-tenant"></label>
              <label>At (UTC) <input id="explain-at" placeholder="now, or 2031-01-01T00:00:00Z"></label>
              <button type="submit">Explain</button>
            </form>
            <div id="explain-result"></div>
          </section>
        </main>
        </body>
        </html>
        """#

    static let css = #"""
        :root { --fg: #1b1f24; --muted: #667; --line: #dde1e6; --bg: #f7f8fa; --card: #fff; --accent: #2a6df4; --bad: #c62828; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 15px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
        header { display: flex; gap: 1rem; align-items: baseline; padding: .8rem 1rem; background: var(--card); border-bottom: 1px solid var(--line); }
        h1 { font-size: 1.2rem; margin: 0; }
        h2 { font-size: 1rem; margin: 0 0 .6rem; }
        h3 { font-size: .9rem; margin: .2rem 0 .4rem; color: var(--muted); }
        main, form#login { max-width: 1100px; margin: 0 auto; padding: 1rem; }
        section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: .9rem; margin-bottom: 1rem; overflow-x: auto; }
        .cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr)); gap: .6rem; }
        .card { border: 1px solid var(--line); border-radius: 6px; padding: .6rem; }
        .card b { font-size: 1.3rem; }
        .two { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap: 1rem; }
        table { border-collapse: collapse; width: 100%; }
        th, td { text-align: left; padding: .3rem .4rem; border-bottom: 1px solid var(--line); white-space: nowrap; }
        .num { text-align: right; font-variant-numeric: tabular-nums; }
        .muted { color: var(--muted); font-size: .85rem; }
        .error { color: var(--bad); }
        .chart { width: 100%; height: 120px; }
        .bar { fill: var(--accent); }
        .state-closed { color: #2e7d32; } .state-open { color: var(--bad); } .state-half_open { color: #ef6c00; }
        label { display: inline-flex; flex-direction: column; font-size: .8rem; color: var(--muted); margin: 0 .5rem .5rem 0; }
        input { font: inherit; padding: .3rem .4rem; border: 1px solid var(--line); border-radius: 4px; min-width: 12rem; }
        button { font: inherit; padding: .35rem .8rem; border-radius: 4px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; }
        #forget { margin-left: auto; background: none; color: var(--accent); }
        """#

    static let script = #"""
        "use strict";
        const palette = ["#2a6df4", "#e8710a", "#1e8e3e", "#9334e6", "#d93025", "#12b5cb", "#f9ab00"];
        const rateHistory = {};  // cloud -> [requests/s], newest last
        let key = sessionStorage.getItem("switchyard-admin-key");

        const $ = (id) => document.getElementById(id);
        function el(tag, attrs = {}, ...children) {
          const node = document.createElement(tag);
          for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
          for (const child of children) node.append(child);
          return node;
        }
        // Exact dollars from integer nano-dollars (no floating point).
        function usd(nanos) {
          const n = BigInt(nanos), sign = n < 0n ? "-" : "", a = n < 0n ? -n : n;
          const cents = (a + 5000000n) / 10000000n;
          if (a !== 0n && cents === 0n) {
            const micro = (a + 500n) / 1000n;
            return sign + "$0." + String(micro).padStart(6, "0");
          }
          return sign + "$" + (cents / 100n).toLocaleString("en-US") + "." + String(cents % 100n).padStart(2, "0");
        }
        function monthRange(now = new Date()) {
          const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
          const until = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
          const day = (d) => d.toISOString().slice(0, 10);
          return { from: day(from), until: day(until), label: from.toISOString().slice(0, 7) };
        }
        async function api(path) {
          const response = await fetch(path, { headers: { Authorization: "Bearer " + key } });
          if (response.status === 401 || response.status === 403) { logout("That key was refused."); throw new Error("refused"); }
          if (response.status === 404) return null;
          if (!response.ok) throw new Error(path + ": HTTP " + response.status);
          return response.json();
        }
        function logout(message) {
          key = null;
          sessionStorage.removeItem("switchyard-admin-key");
          $("board").hidden = true; $("forget").hidden = true; $("login").hidden = false;
          $("login-error").hidden = !message; $("login-error").textContent = message || "";
          $("status").textContent = "locked";
        }

        function renderTraffic(report) {
          const cards = $("traffic");
          cards.replaceChildren();
          if (report.clouds.length === 0) cards.append(el("p", { class: "muted" }, "No requests in the last minute."));
          for (const c of report.clouds) {
            (rateHistory[c.cloud] ||= []).push(c.requests_per_second);
            if (rateHistory[c.cloud].length > 60) rateHistory[c.cloud].shift();
            const ms = (v) => (v === undefined || v === null ? "–" : v + " ms");
            cards.append(el("div", { class: "card", "data-cloud": c.cloud },
              el("div", { class: "muted" }, c.cloud),
              el("b", { "data-field": "rps" }, c.requests_per_second.toFixed(1)), " req/s",
              el("div", {}, "p50 ", el("span", { "data-field": "p50" }, ms(c.p50_millis)), " · p95 ", ms(c.p95_millis), " · p99 ", ms(c.p99_millis)),
              el("div", {}, "errors ", el("span", { "data-field": "errors", class: c.error_rate > 0.05 ? "error" : "" }, (c.error_rate * 100).toFixed(1) + "%"),
                 " · ", el("span", { "data-field": "requests" }, String(c.requests)), " in 60 s")));
          }
          drawRates();
        }
        function drawRates() {
          const svg = $("rate-chart"), clouds = Object.keys(rateHistory).sort();
          const max = Math.max(1, ...clouds.flatMap((c) => rateHistory[c]));
          svg.replaceChildren();
          const ns = "http://www.w3.org/2000/svg";
          clouds.forEach((cloud, i) => {
            const points = rateHistory[cloud].map((v, x) => `${(x * 10).toFixed(0)},${(115 - (v / max) * 105).toFixed(1)}`).join(" ");
            const line = document.createElementNS(ns, "polyline");
            line.setAttribute("points", points); line.setAttribute("fill", "none");
            line.setAttribute("stroke", palette[i % palette.length]); line.setAttribute("stroke-width", "2");
            svg.append(line);
            const label = document.createElementNS(ns, "text");
            label.setAttribute("x", "598"); label.setAttribute("y", String(14 + i * 14)); label.setAttribute("text-anchor", "end");
            label.setAttribute("fill", palette[i % palette.length]); label.setAttribute("font-size", "12");
            label.textContent = cloud; svg.append(label);
          });
        }
        function spendTable(rows, id) {
          const max = Math.max(1, ...rows.map((r) => r.charge));
          const body = el("tbody");
          for (const r of rows) {
            const bar = `<svg width="120" height="10" aria-hidden="true"><rect class="bar" width="${Math.max(1, (r.charge / max) * 120).toFixed(1)}" height="10"></rect></svg>`;
            const cell = el("td"); cell.innerHTML = bar;
            body.append(el("tr", { "data-group": r.group, "data-charge-nanos": String(r.charge) },
              el("td", {}, r.group), el("td", { class: "num" }, usd(r.charge)), el("td", { class: "num muted" }, usd(r.cost)),
              el("td", { class: "num" }, String(r.requests)), cell));
          }
          const table = el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, "Name"), el("th", { class: "num" }, "Charge"),
            el("th", { class: "num" }, "Cost"), el("th", { class: "num" }, "Requests"), el("th", {}, ""))), body);
          $(id).replaceChildren(rows.length ? table : el("p", { class: "muted" }, "Nothing yet this month."));
        }
        async function refreshReports() {
          const m = monthRange(), q = `from=${m.from}&until=${m.until}`;
          const [tenants, models, shares, timeline] = await Promise.all([
            api(`/admin/v1/reports/usage?by=tenant&${q}`), api(`/admin/v1/reports/usage?by=model&${q}`),
            api(`/admin/v1/reports/revenue-share?${q}`), api(`/admin/v1/timeline`)]);
          $("month").textContent = m.label + " (UTC)";
          $("charge-total").textContent = usd(tenants.total.charge); $("charge-total").dataset.nanos = String(tenants.total.charge);
          $("cost-total").textContent = usd(tenants.total.cost); $("cost-total").dataset.nanos = String(tenants.total.cost);
          $("requests-total").textContent = String(tenants.total.requests);
          spendTable(tenants.rows, "spend-tenant");
          spendTable(models.rows, "spend-model");
          const ends = {};
          for (const e of timeline.events) if (e.kind === "revenue_share") ends[e.agreement] ||= e.at.slice(0, 10);
          const body = $("shares").tBodies[0];
          body.replaceChildren();
          for (const r of shares.rows) body.append(el("tr", { "data-beneficiary": r.beneficiary, "data-nanos": String(r.amount_nanos) },
            el("td", {}, r.beneficiary), el("td", {}, r.agreement_id), el("td", { class: "num" }, usd(r.amount_nanos)), el("td", {}, ends[r.agreement_id] || "–")));
          if (!shares.rows.length) body.append(el("tr", {}, el("td", { colspan: "4", class: "muted" }, "No revenue share accrued this month.")));
          const list = $("timeline");
          list.replaceChildren();
          for (const e of timeline.events.slice(0, 8)) list.append(el("li", { "data-kind": e.kind },
            el("strong", {}, e.at.slice(0, 10)), " ", e.change, el("span", { class: "muted" }, ` (${e.agreement}, term ${e.term})`)));
          if (!timeline.events.length) list.append(el("li", { class: "muted" }, "No contract changes ahead."));
        }
        async function refreshHealth() {
          const health = await api("/admin/v1/health");
          const box = $("health");
          if (!health) { box.replaceChildren(el("p", { class: "muted" }, "Health tracking is not available on this gateway.")); return; }
          const rows = health.deployments || [];
          const body = el("tbody");
          for (const d of rows) body.append(el("tr", { "data-deployment": `${d.provider}/${d.target}` },
            el("td", {}, `${d.provider}/${d.target}`), el("td", {}, d.cloud || ""),
            el("td", { class: "state-" + (d.state || "") }, d.state || ""),
            el("td", { class: "num" }, d.ewma_ttfb_millis != null ? Math.round(d.ewma_ttfb_millis) + " ms" : "–"),
            el("td", { class: "num" }, d.error_rate != null ? (d.error_rate * 100).toFixed(1) + "%" : "–"),
            el("td", {}, d.cooldown_until || "")));
          box.replaceChildren(el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, "Deployment"), el("th", {}, "Cloud"),
            el("th", {}, "Breaker"), el("th", { class: "num" }, "TTFB (EWMA)"), el("th", { class: "num" }, "Errors"), el("th", {}, "Cooling until"))), body));
        }
        async function explain(event) {
          event.preventDefault();
          const params = new URLSearchParams({ model: $("explain-model").value.trim() });
          if ($("explain-tenant").value.trim()) params.set("tenant", $("explain-tenant").value.trim());
          const at = $("explain-at").value.trim();
          if (at && at !== "now") params.set("at", at);
          const out = $("explain-result");
          try {
            const response = await fetch("/admin/v1/explain?" + params, { headers: { Authorization: "Bearer " + key } });
            const body = await response.json();
            if (!response.ok) { out.replaceChildren(el("p", { class: "error" }, body.error ? body.error.message : "HTTP " + response.status)); return; }
            const rows = body.deployments.map((d, i) => el("tr", { "data-eligible": String(d.eligible) },
              el("td", {}, d.eligible ? String(i + 1) : "–"), el("td", {}, d.provider), el("td", {}, d.cloud), el("td", {}, d.region || ""),
              el("td", {}, d.eligible ? "eligible" : "excluded"), el("td", {}, (d.reasons || []).join("; "))));
            out.replaceChildren(el("p", { class: "muted" }, `${body.model} for ${body.tenant || "any tenant"} at ${body.at}`),
              el("table", { id: "explain-table" }, el("thead", {}, el("tr", {}, el("th", {}, "#"), el("th", {}, "Provider"), el("th", {}, "Cloud"),
                el("th", {}, "Region"), el("th", {}, "Route"), el("th", {}, "Why"))), el("tbody", {}, ...rows)),
              ...(body.revenue_shares || []).map((s) => el("p", { class: "muted" }, s)));
          } catch (error) { out.replaceChildren(el("p", { class: "error" }, String(error))); }
        }

        let timers = [];
        async function start() {
          $("login").hidden = true; $("board").hidden = false; $("forget").hidden = false;
          timers.forEach(clearInterval); timers = [];
          const tick = async (work) => { try { await work(); $("status").textContent = "live · " + new Date().toISOString().slice(11, 19) + " UTC"; }
                                         catch (error) { if (key) $("status").textContent = "offline: " + error.message; } };
          const traffic = () => tick(async () => renderTraffic(await api("/admin/v1/traffic")));
          const reports = () => tick(refreshReports);
          const health = () => tick(refreshHealth);
          await Promise.all([traffic(), reports(), health()]);
          document.body.dataset.loaded = "true";
          timers.push(setInterval(traffic, 2000), setInterval(reports, 10000), setInterval(health, 5000));
        }
        $("login").addEventListener("submit", (event) => {
          event.preventDefault();
          key = $("key").value; sessionStorage.setItem("switchyard-admin-key", key); $("key").value = ""; start();
        });
        $("forget").addEventListener("click", () => { timers.forEach(clearInterval); logout(); });
        $("explain").addEventListener("submit", explain);
        if (key) start(); else logout();
        """#
}
