/* Service-desk page: refreshes the banners and the map, runs the token-protected lookup.
 * No build step, no framework.
 *
 * Why so strict about text: incident ids, maintenance ids, element ids, NOC messages and
 * place names come from outside (any NOC client with an ingest token, the region files),
 * so every value reaches the DOM as text (textContent, text-node tooltips), never as an
 * HTML string: Leaflet's bindTooltip(string) inserts HTML. The banner fragment is
 * server-rendered with autoescaping and parsed inertly (DOMParser), and the page's CSP
 * (no 'unsafe-inline') is the second line of defence.
 *
 * Why the token lives in a variable only: web storage is readable by any script on the
 * origin, so one injected script could carry a desk token (PII lookups) away; in memory it
 * dies with the page and is re-entered after a reload. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("desk-config").textContent);
  var S = config.strings;
  var BANNER_EVERY_MS = 3000;
  var MAP_EVERY_MS = 5000;
  var PHONE = /^\s*\(?(\+|00|0)[\d\s()./-]{5,}$/;

  function t(key, values) {
    var text = S[key] || key;
    return text.replace(/\{(\w+)\}/g, function (all, name) {
      return values && values[name] !== undefined && values[name] !== null ? String(values[name]) : all;
    });
  }

  function clock(iso) {
    if (!iso) { return ""; }
    var when = new Date(iso);
    var locale = config.lang === "de" ? "de-DE" : "en-GB";
    var day = new Intl.DateTimeFormat(locale, {timeZone: config.zone, year: "numeric", month: "2-digit", day: "2-digit"});
    var options = {timeZone: config.zone, hour: "2-digit", minute: "2-digit"};
    if (day.format(when) !== day.format(new Date())) { options.day = "numeric"; options.month = "short"; }
    return new Intl.DateTimeFormat(locale, options).format(when);
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  /* -- banners ------------------------------------------------------------------------ */
  function refreshBanners() {
    fetch("/desk/banners?lang=" + encodeURIComponent(config.lang), {cache: "no-store"})
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        /* autoescaped on the server; parsed inertly (no scripts, no loads) and moved over */
        var parsed = new DOMParser().parseFromString(html, "text/html");
        document.getElementById("banners").replaceChildren.apply(
          document.getElementById("banners"), Array.prototype.slice.call(parsed.body.childNodes));
      })
      .catch(function () { /* keep the last banners; the next poll retries */ });
  }

  /* -- map (no tile layer: base tiles are not reachable; polygons on a plain ground) ---- */
  var map = null, layer = null, fitted = false;
  function style(feature) {
    var p = feature.properties;
    if (p.kind === "area") { return {color: "#8a94a3", weight: 1, fillOpacity: 0.03}; }
    if (p.service === "fibre") { return {color: "#2962ff", weight: 2, fillOpacity: 0.3}; }
    return {color: p.planned ? "#8a6d00" : "#c0392b", weight: 2, fillOpacity: 0.4};
  }
  function label(feature, shape) {
    var p = feature.properties;
    var text = p.kind === "area" ? p.name : t("service." + p.service) + ": " + p.incident_id;
    shape.bindTooltip(el("span", "map-label", text));  /* a node: Leaflet inserts strings as HTML */
  }
  function refreshMap() {
    if (!window.L) { return; }
    if (!map) {
      map = L.map("map", {attributionControl: false, zoomSnap: 0.25}).setView([51.2, 10.4], 6);
    }
    fetch("/api/v1/areas", {cache: "no-store"})
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (data) {
        if (layer) { map.removeLayer(layer); }
        layer = L.geoJSON(data, {style: style, onEachFeature: label}).addTo(map);
        var footprints = data.features.filter(function (f) { return f.properties.kind === "footprint"; });
        document.getElementById("map-empty").hidden = footprints.length > 0;
        document.getElementById("map").dataset.footprints = String(footprints.length);
        if (!fitted && data.features.length) { map.fitBounds(layer.getBounds(), {padding: [10, 10]}); fitted = true; }
      })
      .catch(function () { /* next poll retries */ });
  }

  /* -- token ---------------------------------------------------------------------------- */
  var secret = "";  /* memory only: never web storage (see the header comment) */
  function token() { return secret; }
  function showTokenState() {
    document.getElementById("token-state").textContent = token() ? t("desk.token_set") : "";
  }
  document.getElementById("token-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var input = document.getElementById("token");
    if (input.value.trim()) { secret = input.value.trim(); }
    input.value = "";
    showTokenState();
  });
  document.getElementById("token-forget").addEventListener("click", function () {
    secret = "";
    showTokenState();
  });

  /* -- lookup --------------------------------------------------------------------------- */
  function api(path) {
    return fetch(path, {headers: {"Authorization": "Bearer " + token()}, cache: "no-store"})
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (body) {
          return {status: r.status, body: body};
        });
      });
  }
  function say(text, className) {
    var out = document.getElementById("lookup-result");
    out.replaceChildren(el("p", className || "", text));
  }
  function fail(status, query) {
    if (status === 401) { say(t("desk.lookup_unauthorised"), "error"); }
    else if (status === 404) { say(t("desk.lookup_not_found", {query: query}), "error"); }
    else { say(t("desk.lookup_error", {status: status}), "error"); }
  }
  function episodeLine(e) {
    var service = t("service." + e.service);
    if (e.state === "planned") { return t("desk.lookup_planned", {service: service, maintenance: e.maintenance_id}); }
    var parts = [];
    if (e.state === "out") {
      parts.push(t("desk.lookup_affected", {service: service, incident: e.incident_id, since: clock(e.since)}));
    } else {
      parts.push(t("desk.lookup_recovering", {service: service, time: clock(e.back_since), incident: e.incident_id}));
    }
    var first = (e.told || [])[0];
    parts.push(first ? t("desk.lookup_told", {channel: t("channel." + first.channel), time: clock(first.at)})
                     : t("desk.lookup_not_told"));
    if (e.eta) { parts.push(t("desk.lookup_eta", {time: clock(e.eta)})); }
    return parts.join(", ");
  }
  function showStatus(s) {
    var card = el("div", "card");
    card.dataset.customer = s.customer_id;
    var services = s.services.map(function (x) { return t("service." + x); }).join(", ");
    card.appendChild(el("h3", "", t("desk.lookup_customer", {customer: s.customer_id, services: services})));
    if (!s.episodes.length) { card.appendChild(el("p", "clear", t("desk.lookup_clear"))); }
    s.episodes.forEach(function (e) { card.appendChild(el("p", "affected episode", episodeLine(e))); });
    card.appendChild(el("h4", "", t("desk.lookup_history")));
    if (!s.notifications.length) { card.appendChild(el("p", "hint", t("desk.lookup_history_none"))); }
    var list = el("ol", "history");
    s.notifications.slice().reverse().forEach(function (n) {
      var item = el("li", "notification");
      item.dataset.stage = n.stage;
      item.appendChild(el("strong", "", clock(n.delivered_at || n.decided_at) + " · " +
        t("channel." + n.channel) + " · " + t("stage." + n.stage) + " (" + n.incident_id + ")"));
      item.appendChild(el("div", "text", n.text));
      list.appendChild(item);
    });
    card.appendChild(list);
    document.getElementById("lookup-result").replaceChildren(card);
  }
  document.getElementById("lookup-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var query = document.getElementById("lookup-q").value.trim();
    if (!query) { return; }
    if (!token()) { say(t("desk.token_needed"), "error"); return; }
    say(t("desk.lookup_busy"), "hint");
    var id = PHONE.test(query)
      ? api("/api/v1/customers?phone=" + encodeURIComponent(query)).then(function (r) {
          if (r.status === 404) { return query; }  /* an id that looks like a number */
          if (r.status !== 200) { return Promise.reject(r.status); }
          return r.body.customers[0].customer_id;
        })
      : Promise.resolve(query);
    id.then(function (customerId) {
      return api("/api/v1/customers/" + encodeURIComponent(customerId) + "/status");
    }).then(function (r) {
      if (r.status !== 200) { return Promise.reject(r.status); }
      showStatus(r.body);
    }).catch(function (status) { fail(typeof status === "number" ? status : 0, query); });
  });

  showTokenState();
  refreshMap();
  setInterval(refreshBanners, BANNER_EVERY_MS);
  setInterval(refreshMap, MAP_EVERY_MS);
})();
