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

  /* -- banners: only what changed ------------------------------------------------------
   * Why not replace the fragment: an agent selects an incident id to copy it, keeps focus
   * on a link, and a screen reader announces every node of a polite live region that is
   * replaced. So the new fragment is merged into the page: banners are matched by incident
   * id (data-incident), other nodes by position and tag; an unchanged node is not touched,
   * a changed text node gets its new value in place, a node is moved only when the order
   * changed. */
  function keyOf(node) {
    return node.nodeType === 1 ? node.getAttribute("data-incident") || node.id || null : null;
  }
  function sameKind(a, b) {
    return a.nodeType === b.nodeType && (a.nodeType !== 1 || a.tagName === b.tagName);
  }
  function morphAttributes(old, fresh) {
    Array.prototype.slice.call(old.attributes).forEach(function (a) {
      /* an agent's open read-out script stays open: "open" is the agent's, not the server's */
      if (a.name === "open" && old.tagName === "DETAILS") { return; }
      if (!fresh.hasAttribute(a.name)) { old.removeAttribute(a.name); }
    });
    Array.prototype.slice.call(fresh.attributes).forEach(function (a) {
      if (old.getAttribute(a.name) !== a.value) { old.setAttribute(a.name, a.value); }
    });
  }
  function morph(old, fresh) {
    if (old.nodeType === 3 || old.nodeType === 8) {
      if (old.nodeValue !== fresh.nodeValue) { old.nodeValue = fresh.nodeValue; }
      return;
    }
    morphAttributes(old, fresh);
    morphChildren(old, fresh);
  }
  function morphChildren(parent, freshParent) {
    var byKey = {};
    Array.prototype.forEach.call(parent.childNodes, function (n) {
      var k = keyOf(n);
      if (k) { byKey[k] = n; }
    });
    var cursor = parent.firstChild;
    Array.prototype.slice.call(freshParent.childNodes).forEach(function (fresh) {
      var k = keyOf(fresh);
      var match = null;
      if (k && byKey[k] && sameKind(byKey[k], fresh)) { match = byKey[k]; delete byKey[k]; }
      else if (!k && cursor && !keyOf(cursor) && sameKind(cursor, fresh)) { match = cursor; }
      if (match) {
        if (match === cursor) { cursor = cursor.nextSibling; }
        else { parent.insertBefore(match, cursor); }
        morph(match, fresh);
      } else {
        parent.insertBefore(document.importNode(fresh, true), cursor);
      }
    });
    while (cursor) {
      var next = cursor.nextSibling;
      parent.removeChild(cursor);
      cursor = next;
    }
  }

  /* -- last updated, and a visible warning when the feed stops ----------------------------- */
  var lastOk = Date.now();
  var STALE_MS = (config.stale_after_s || 10) * 1000;
  function seconds(when) {
    var locale = config.lang === "de" ? "de-DE" : "en-GB";
    return new Intl.DateTimeFormat(locale, {timeZone: config.zone, hour: "2-digit", minute: "2-digit",
                                            second: "2-digit", hour12: false}).format(when);
  }
  function markUpdated() {
    lastOk = Date.now();
    var updated = document.getElementById("updated");
    updated.textContent = t("desk.last_updated", {time: seconds(new Date(lastOk))});
    updated.dataset.at = String(lastOk);
    checkStale();
  }
  function checkStale() {
    var stale = Date.now() - lastOk > STALE_MS;
    var warning = document.getElementById("stale");
    if (stale && warning.hidden) {
      warning.textContent = t("desk.stale", {time: seconds(new Date(lastOk))});
      warning.hidden = false;
      document.body.classList.add("feed-stale");
    } else if (!stale && !warning.hidden) {
      warning.hidden = true;
      warning.textContent = "";
      document.body.classList.remove("feed-stale");
    }
  }

  function refreshBanners() {
    fetch("/desk/banners?lang=" + encodeURIComponent(config.lang), {cache: "no-store"})
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        /* autoescaped on the server; parsed inertly (no scripts, no loads), then merged */
        var parsed = new DOMParser().parseFromString(html, "text/html");
        morphChildren(document.getElementById("banners"), parsed.body);
        markUpdated();
      })
      .catch(function () { /* keep the last banners; the stale warning tells the agent */ });
  }

  /* -- map (no tile layer: base tiles are not reachable; polygons on a plain ground) ----
   * Nothing on the map takes focus (no zoom buttons, no keyboard handler, shapes not
   * interactive): it is a picture (role=img) explained by its legend, and redrawing it
   * can never move an agent's focus. It is redrawn only when its data changed. */
  var map = null, layer = null, fitted = false, drawn = null;
  function style(feature) {
    var p = feature.properties;
    if (p.kind === "area") { return {color: "#5a6473", weight: 1, fillOpacity: 0.03, interactive: false}; }
    if (p.planned) { return {color: "#8a6d00", weight: 2, fillOpacity: 0.35, dashArray: "4 3", interactive: false}; }
    if (p.service === "fibre") { return {color: "#2962ff", weight: 2, fillOpacity: 0.3, interactive: false}; }
    return {color: "#c0392b", weight: 2, fillOpacity: 0.4, interactive: false};
  }
  function label(feature, shape) {
    var p = feature.properties;
    if (p.kind !== "area" || !p.name) { return; }
    /* a node, not a string: Leaflet inserts strings as HTML */
    shape.bindTooltip(el("span", "map-label", p.name),
                      {permanent: true, direction: "center", className: "area-label", interactive: false});
  }
  function refreshMap() {
    if (!window.L) { return; }
    if (!map) {
      map = L.map("map", {attributionControl: false, zoomControl: false, keyboard: false,
                          zoomSnap: 0.25}).setView([51.2, 10.4], 6);
    }
    fetch("/api/v1/areas", {cache: "no-store"})
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (text) {
        if (text === drawn) { return; }
        drawn = text;
        var data = JSON.parse(text);
        if (layer) { map.removeLayer(layer); }
        layer = L.geoJSON(data, {style: style, onEachFeature: label, interactive: false}).addTo(map);
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
    card.appendChild(reportForm(s.customer_id));
    document.getElementById("lookup-result").replaceChildren(card);
  }

  /* -- "caller reports a problem": a contact (CONTRACT §8) with channel "desk" ------------
   * A plain form (label, select, button): reachable and usable with the keyboard alone,
   * announced through its role=status line; no inline handler (CSP). The contact id is
   * made here so that a retried POST names the same contact. */
  var REASONS = ["no_service", "degraded", "other"];
  function contactId() {
    return "desk-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 10);
  }
  function reportForm(customerId) {
    var form = el("form", "report");
    form.setAttribute("autocomplete", "off");
    var set = el("fieldset");
    set.appendChild(el("legend", "", t("desk.report_legend")));
    var label = el("label", "", t("desk.report_reason"));
    label.htmlFor = "report-reason";
    var select = el("select");
    select.id = "report-reason";
    REASONS.forEach(function (reason) {
      var option = el("option", "", t("reason." + reason));
      option.value = reason;
      select.appendChild(option);
    });
    var button = el("button", "", t("desk.report_button"));
    button.type = "submit";
    button.id = "report-button";
    var result = el("p", "report-result");
    result.id = "report-result";
    result.setAttribute("role", "status");
    set.appendChild(label);
    set.appendChild(select);
    set.appendChild(button);
    form.appendChild(set);
    form.appendChild(result);
    var id = contactId();
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!token()) { result.className = "report-result error"; result.textContent = t("desk.token_needed"); return; }
      button.disabled = true;
      result.className = "report-result hint";
      result.textContent = t("desk.report_busy");
      var contact = {type: "contact", contact_id: id, customer_id: customerId, channel: "desk",
                     reason: select.value, event_time: new Date().toISOString()};
      fetch("/api/v1/contacts", {method: "POST", cache: "no-store",
                                 headers: {"Authorization": "Bearer " + token(), "Content-Type": "application/json"},
                                 body: JSON.stringify(contact)})
        .then(function (r) {
          if (r.status === 202) {
            result.className = "report-result done";
            result.textContent = t("desk.report_done", {contact: id});
            id = contactId();  /* the next report is another contact */
          } else {
            result.className = "report-result error";
            result.textContent = t("desk.report_error", {status: r.status});
          }
        })
        .catch(function () {
          result.className = "report-result error";
          result.textContent = t("desk.report_error", {status: 0});
        })
        .then(function () { button.disabled = false; });
    });
    return form;
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
  setInterval(checkStale, 1000);
  setInterval(refreshMap, MAP_EVERY_MS);
})();
