// Coach console: live queue, claim, live chat over WebSocket, hand back, close, presence.
// Served from the same origin; no inline scripts, so the strict CSP (script-src 'self') holds.
// User-provided text is only ever inserted with textContent, never as HTML.
"use strict";

(function () {
  const csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  const body = document.body;
  const page = body.dataset.page;

  function notice(text, isError) {
    const el = document.getElementById("notice");
    if (!el) return;
    el.textContent = text;
    el.hidden = !text;
    el.classList.toggle("error", !!isError);
  }

  async function api(method, url, data) {
    const opts = { method, headers: { "X-CSRF-Token": csrf, Accept: "application/json" },
      credentials: "same-origin" };
    if (data !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(data);
    }
    const resp = await fetch(url, opts);
    let json = {};
    try { json = await resp.json(); } catch (e) { json = {}; }
    if (resp.status === 401) { window.location.href = "/login"; }
    return { ok: resp.ok, status: resp.status, json };
  }

  function wsUrl(path) {
    const proto = window.location.protocol === "https:" ? "wss:" : "ws:";
    return proto + "//" + window.location.host + path + "?csrf=" + encodeURIComponent(csrf);
  }

  // A socket that reconnects and sends a heartbeat (keeps presence "online" fresh).
  function liveSocket(path, onMessage, onOpen) {
    let ws = null;
    let closedByUs = false;
    function connect() {
      ws = new WebSocket(wsUrl(path));
      ws.addEventListener("open", function () { if (onOpen) onOpen(); });
      ws.addEventListener("message", function (ev) {
        let data;
        try { data = JSON.parse(ev.data); } catch (e) { return; }
        onMessage(data);
      });
      ws.addEventListener("close", function (ev) {
        // 4000-4999: the server ended it on purpose (case finished, access ended): stay closed
        if (ev.code >= 4000 && ev.code < 5000) {
          closedByUs = true;
          if (ev.reason) notice(ev.reason, ev.code !== 4000);
          return;
        }
        if (!closedByUs) setTimeout(connect, 2000);
      });
    }
    connect();
    setInterval(function () {
      if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: "ping" }));
    }, 30000);
    window.addEventListener("beforeunload", function () { closedByUs = true; });
    return { send: function (obj) {
      if (ws && ws.readyState === WebSocket.OPEN) { ws.send(JSON.stringify(obj)); return true; }
      return false;
    } };
  }

  // presence
  const presence = document.getElementById("presence");
  if (presence) {
    presence.addEventListener("change", async function () {
      const r = await api("POST", "/api/presence", { status: presence.value });
      notice(r.ok ? (presence.value === "online" ? "Du är tillgänglig." : "Du är borta.")
        : "Kunde inte ändra status.", !r.ok);
    });
  }

  async function claim(caseId) {
    const r = await api("POST", "/api/cases/" + encodeURIComponent(caseId) + "/claim");
    if (r.ok) { window.location.href = "/cases/" + encodeURIComponent(caseId); return; }
    notice(r.json.message || "Kunde inte ta ärendet.", true);
  }
  document.addEventListener("click", function (ev) {
    const btn = ev.target.closest ? ev.target.closest("button.claim") : null;
    if (btn) { btn.disabled = true; claim(btn.dataset.caseId).finally(function () { btn.disabled = false; }); }
  });

  function minutes(sec) { return Math.floor(sec / 60) + " min"; }

  function caseRow(c) {
    const tr = document.createElement("tr");
    tr.dataset.caseId = c.case_id;
    tr.className = "prio-" + c.priority;
    const prio = document.createElement("td");
    const badge = document.createElement("span");
    badge.className = "badge prio-" + c.priority;
    badge.textContent = c.priority_label;
    prio.appendChild(badge);
    const wait = document.createElement("td");
    wait.className = "wait";
    wait.textContent = minutes(c.waiting_seconds);
    const why = document.createElement("td");
    why.textContent = c.trigger;
    why.appendChild(document.createElement("br"));
    const ch = document.createElement("small");
    ch.textContent = c.channel + " · " + c.language;
    why.appendChild(ch);
    const sum = document.createElement("td");
    sum.className = "summary";
    sum.textContent = c.summary;
    if (c.intents_seen && c.intents_seen.length) {
      sum.appendChild(document.createElement("br"));
      const s = document.createElement("small");
      s.textContent = "Avsikter: " + c.intents_seen.join(", ");
      sum.appendChild(s);
    }
    if (c.unavailable_notified) {
      sum.appendChild(document.createElement("br"));
      const s = document.createElement("small");
      s.textContent = "Användaren har fått stödnummer och kan lämna meddelande.";
      sum.appendChild(s);
    }
    const act = document.createElement("td");
    if (c.status === "waiting") {
      const b = document.createElement("button");
      b.type = "button"; b.className = "claim"; b.dataset.caseId = c.case_id;
      b.textContent = "Ta ärendet";
      act.appendChild(b);
    } else {
      const a = document.createElement("a");
      a.href = "/cases/" + encodeURIComponent(c.case_id);
      a.textContent = "Öppna";
      act.appendChild(a);
      if (c.claimed_by) {
        const s = document.createElement("small");
        s.textContent = " (" + c.claimed_by + ")";
        act.appendChild(s);
      }
    }
    [prio, wait, why, sum, act].forEach(function (td) { tr.appendChild(td); });
    return tr;
  }

  function fillTable(id, cases, emptyText) {
    const tbody = document.getElementById(id);
    if (!tbody) return;
    tbody.replaceChildren();
    if (!cases.length) {
      const tr = document.createElement("tr");
      tr.className = "empty";
      const td = document.createElement("td");
      td.colSpan = 5; td.textContent = emptyText;
      tr.appendChild(td); tbody.appendChild(tr);
      return;
    }
    cases.forEach(function (c) { tbody.appendChild(caseRow(c)); });
  }

  async function refreshQueue() {
    const r = await api("GET", "/api/queue");
    if (!r.ok) return;
    fillTable("waiting", r.json.waiting, "Inga väntande ärenden.");
    fillTable("claimed", r.json.claimed, "Inga pågående ärenden.");
    document.getElementById("coaches-online").textContent =
      "Coacher tillgängliga: " + r.json.coaches_online;
    document.getElementById("in-hours").textContent =
      r.json.in_hours ? "Inom öppettid" : "Utanför öppettid";
  }

  if (page === "queue") {
    liveSocket("/ws/queue", function (msg) {
      if (msg.type === "queue_changed") refreshQueue();
    }, refreshQueue);
    setInterval(refreshQueue, 30000);  // waiting times keep counting
  }

  // ---- case page -------------------------------------------------------------------------
  const WHO = { user: "Användaren", bot: "Chattboten", coach: "Coach", system: "System" };
  const STATUS = { waiting: "Väntar", claimed: "Pågår", closed: "Avslutat",
    handed_back: "Tillbaka hos boten" };
  const STATUS_EVENTS = { opened: "Ärendet öppnades", claimed: "Ärendet togs",
    priority_raised: "Prioriteten höjdes", closed: "Ärendet avslutades",
    handed_back: "Lämnat tillbaka till chattboten" };

  // an SMS the provider reported as not delivered: one marker on the message
  function markUndelivered(li) {
    if (!li || li.querySelector(".undelivered")) return;
    const mark = document.createElement("span");
    mark.className = "undelivered";
    mark.textContent = "Kom inte fram";
    li.classList.add("failed");
    li.appendChild(mark);
  }

  function addMessage(listId, who, text, label, time) {
    const ol = document.getElementById(listId);
    if (!ol) return;
    const li = document.createElement("li");
    li.className = "msg " + who;
    const head = document.createElement("span");
    head.className = "who";
    head.textContent = (label || WHO[who] || who) + (time ? " · " + time : "");
    const p = document.createElement("p");
    p.textContent = text;
    li.appendChild(head); li.appendChild(p);
    ol.appendChild(li);
    li.scrollIntoView({ block: "nearest" });
    return li;
  }

  function shortTime(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    return isNaN(d) ? "" : d.toLocaleTimeString("sv-SE", { hour: "2-digit", minute: "2-digit" });
  }

  const seenEvents = new Set();
  function showEvent(ev) {
    if (seenEvents.has(ev.id)) return;
    seenEvents.add(ev.id);
    if (ev.kind === "status") {
      addMessage("live", "system", STATUS_EVENTS[ev.text] || ev.text, "Händelse", shortTime(ev.created_at));
    } else {
      const warn = ev.kind === "system" && ev.data && ev.data.warning;
      const label = ev.kind === "coach" && ev.coach ? "Coach " + ev.coach : (warn ? "Varning" : null);
      const li = addMessage("live", ev.kind, ev.text, label, shortTime(ev.created_at));
      if (li) li.dataset.eventId = ev.id;
      if (ev.data && ev.data.delivery === "failed") markUndelivered(li);
    }
  }

  function showCase(c) {
    const st = document.getElementById("case-status");
    if (st) st.textContent = STATUS[c.status] || c.status;
    const pr = document.getElementById("case-priority");
    if (pr && c.priority_label) {
      pr.textContent = c.priority_label;
      pr.className = "badge prio-" + c.priority;
    }
    if (c.status === "closed" || c.status === "handed_back") {
      document.querySelectorAll(
        "#send-form button, #send-form textarea, #send-form select, .actions button, .actions select"
      ).forEach(function (el) { el.disabled = true; });
    }
  }

  if (page === "case") {
    const caseId = body.dataset.caseId;
    const base = "/api/cases/" + encodeURIComponent(caseId);
    (async function () {
      const t = await api("GET", base + "/transcript");
      const note = document.getElementById("transcript-note");
      if (t.ok) {
        t.json.transcript.forEach(function (m) {
          const li = addMessage("transcript", m.who, m.text);
          if (m.delivery === "failed") markUndelivered(li);
        });
        note.textContent = "Ovan: samtalet med chattboten. Nedan: händelser i ärendet, live.";
      } else {
        note.textContent = "Samtalshistoriken kunde inte hämtas just nu.";
      }
    })();
    const sock = liveSocket("/ws/cases/" + encodeURIComponent(caseId), function (msg) {
      if (msg.type === "event") showEvent(msg.event);
      else if (msg.type === "delivery") {
        markUndelivered(document.querySelector('#live li[data-event-id="' + Number(msg.event_id) + '"]'));
      }
      else if (msg.type === "case") showCase(msg.case);
      else if (msg.type === "error") notice(msg.message, true);
      else if (msg.type === "typing") userTyping(msg.on);
    }, loadCase);
    const typingNote = document.getElementById("user-typing");
    let typingTimer = null;
    function userTyping(on) {  // the young person is writing; a lost "stopped" ends by itself
      if (!typingNote) return;
      clearTimeout(typingTimer);
      typingNote.hidden = !on;
      if (on) typingTimer = setTimeout(function () { typingNote.hidden = true; }, 8000);
    }
    async function loadCase() {
      const r = await api("GET", base);
      if (r.ok) { r.json.events.forEach(showEvent); showCase(r.json.case); }
    }
    loadCase();  // also for a finished case, whose socket the server refuses

    const form = document.getElementById("send-form");
    const box = document.getElementById("message");
    if (form && box) {
      form.addEventListener("submit", async function (ev) {
        ev.preventDefault();
        const text = box.value.trim();
        if (!text) return;
        if (sock.send({ type: "message", text })) { box.value = ""; return; }
        const r = await api("POST", base + "/messages", { text });  // socket down: use HTTP
        if (r.ok) { box.value = ""; showEvent(r.json.event); }
        else notice(r.json.message || "Meddelandet kunde inte skickas.", true);
      });
      box.addEventListener("keydown", function (ev) {
        if (ev.key === "Enter" && !ev.shiftKey) { ev.preventDefault(); form.requestSubmit(); }
      });
      // "the coach is typing" on the young person's web chat: at most every 2 s, and
      // "stopped" after 4 s without a key or when the message is sent
      let sentAt = 0, idle = null;
      function typing(on) {
        const now = Date.now();
        if (on && now - sentAt < 2000) return;
        if (sock.send({ type: "typing", on: on })) sentAt = on ? now : 0;
      }
      box.addEventListener("input", function () {
        clearTimeout(idle);
        if (!box.value.trim()) { if (sentAt) typing(false); return; }
        typing(true);
        idle = setTimeout(function () { typing(false); }, 4000);
      });
      form.addEventListener("submit", function () { clearTimeout(idle); if (sentAt) typing(false); });
    }
    const canned = document.getElementById("canned");
    if (canned && box) {
      canned.addEventListener("change", function () {
        const opt = canned.selectedOptions[0];
        if (opt && opt.dataset.text) { box.value = opt.dataset.text; box.focus(); }
        canned.value = "";
      });
    }
    const handback = document.getElementById("handback");
    if (handback) {
      handback.addEventListener("click", async function () {
        if (!window.confirm("Lämna tillbaka samtalet till chattboten?")) return;
        const r = await api("POST", base + "/handback");
        notice(r.ok ? "Samtalet är tillbaka hos chattboten." : (r.json.message || "Det gick inte."), !r.ok);
        if (r.ok) showCase({ status: "handed_back" });
      });
    }
    const closeForm = document.getElementById("close-form");
    if (closeForm) {
      closeForm.addEventListener("submit", async function (ev) {
        ev.preventDefault();
        const outcome = document.getElementById("outcome").value;
        if (!outcome) { notice("Välj ett utfall.", true); return; }
        const r = await api("POST", base + "/close", { outcome });
        notice(r.ok ? "Ärendet är avslutat." : (r.json.message || "Det gick inte."), !r.ok);
        if (r.ok) showCase({ status: "closed" });
      });
    }
  }
})();
