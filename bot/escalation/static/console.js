// Coach console: live queue, claim, live chats over WebSocket (one pane per case: the case
// page has one, "Mina chattar" one per held case), signals for new cases (queue panel,
// unread counts, title badge, optional sound, desktop notification for urgent cases),
// the young person's presence, notes, transfer, hand back and close.
// Served from the same origin; no inline scripts, so the strict CSP (script-src 'self') holds.
// User-provided text is only ever inserted with textContent, never as HTML.
"use strict";

(function () {
  const csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  const body = document.body;
  const page = body.dataset.page;
  const quietSeconds = parseInt(body.dataset.quietSeconds || "600", 10);
  const store = safeStorage();

  function safeStorage() {
    try {
      window.localStorage.setItem("__ss", "1");
      window.localStorage.removeItem("__ss");
      return { get: (k) => window.localStorage.getItem(k),
        set: (k, v) => window.localStorage.setItem(k, v) };
    } catch (e) {
      const mem = {};
      return { get: (k) => (k in mem ? mem[k] : null), set: (k, v) => { mem[k] = v; } };
    }
  }

  function notice(text, isError) {
    const el = document.getElementById("notice");
    if (!el) return;
    el.textContent = text;
    el.hidden = !text;
    el.classList.toggle("error", !!isError);
  }

  // a message shown next to the control that caused it (and read out by screen readers)
  function say(el, text, isError) {
    if (!el) { notice(text, isError); return; }
    el.textContent = text;
    el.classList.toggle("error", !!isError);
    el.scrollIntoView({ block: "nearest" });
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
  function liveSocket(path, onMessage, onOpen, onEnded) {
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
          if (onEnded) onEnded(ev.code, ev.reason);
          else if (ev.reason) notice(ev.reason, ev.code !== 4000);
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

  // presence of the coach
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
  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // ---- queue page table --------------------------------------------------------------------
  function caseRow(c) {
    const tr = el("tr", "prio-" + c.priority);
    tr.dataset.caseId = c.case_id;
    const prio = el("td");
    prio.appendChild(el("span", "badge prio-" + c.priority, c.priority_label));
    const wait = el("td", "wait", minutes(c.waiting_seconds));
    const why = el("td", null, c.trigger_label);
    why.appendChild(el("br"));
    why.appendChild(el("small", null, c.channel_label + " · " + c.language_label));
    const sum = el("td", "summary", c.summary);
    if (c.intents_label && c.intents_label.length) {
      sum.appendChild(el("br"));
      sum.appendChild(el("small", null, "Ämnen: " + c.intents_label.join(", ")));
    }
    if (c.unavailable_notified) {
      sum.appendChild(el("br"));
      sum.appendChild(el("small", null, "Användaren har fått stödnummer och kan lämna meddelande."));
    }
    const act = el("td");
    if (c.status === "waiting") {
      const b = el("button", "claim", "Ta ärendet");
      b.type = "button"; b.dataset.caseId = c.case_id;
      act.appendChild(b);
    } else {
      const a = el("a", null, "Öppna");
      a.href = "/cases/" + encodeURIComponent(c.case_id);
      act.appendChild(a);
      if (c.claimed_by) act.appendChild(el("small", null, " (" + c.claimed_by + ")"));
    }
    [prio, wait, why, sum, act].forEach(function (td) { tr.appendChild(td); });
    return tr;
  }

  function fillTable(id, cases, emptyText) {
    const tbody = document.getElementById(id);
    if (!tbody) return;
    tbody.replaceChildren();
    if (!cases.length) {
      const tr = el("tr", "empty");
      const td = el("td", null, emptyText);
      td.colSpan = 5;
      tr.appendChild(td); tbody.appendChild(tr);
      return;
    }
    cases.forEach(function (c) { tbody.appendChild(caseRow(c)); });
  }

  // ---- signals: unread counts, title badge, sound, desktop notifications ------------------
  const baseTitle = document.title;
  const openPanes = new Set();  // case ids shown on this page: read while visible
  const seenKey = (id) => "ss-seen-" + id;
  function seen(id) { return parseInt(store.get(seenKey(id)) || "0", 10); }
  function markSeen(id, count) { if (count > seen(id)) store.set(seenKey(id), String(count)); }

  let known = null;  // waiting case id -> priority, after the first load (no alarm on load)
  let unreadBefore = 0;
  let audio = null;

  function soundOn() { return store.get("ss-sound") === "on"; }
  function beep() {
    if (!soundOn()) return;
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      [0, 0.18].forEach(function (at, i) {
        const osc = audio.createOscillator();
        const gain = audio.createGain();
        osc.frequency.value = i ? 660 : 880;
        gain.gain.value = 0.08;
        osc.connect(gain); gain.connect(audio.destination);
        osc.start(audio.currentTime + at); osc.stop(audio.currentTime + at + 0.14);
      });
      window.__ssBeeps = (window.__ssBeeps || 0) + 1;
    } catch (e) { /* no audio: the title and the panel still show it */ }
  }

  function notifyState() {
    const out = document.getElementById("notify-state");
    const btn = document.getElementById("notify-enable");
    if (!out) return;
    if (!("Notification" in window)) { out.textContent = "Webbläsaren kan inte visa notiser."; if (btn) btn.hidden = true; return; }
    const p = Notification.permission;
    out.textContent = p === "granted" ? "Skrivbordsnotiser är på för akuta ärenden."
      : p === "denied" ? "Notiser är blockerade i webbläsarens inställningar."
      : "Notiser är av.";
    if (btn) btn.hidden = p === "granted";
  }

  function desktopNotice(c) {
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    try {
      const n = new Notification("Akut ärende väntar", {
        body: c.trigger_label + " · " + c.channel_label, tag: "case-" + c.case_id,
        requireInteraction: true });
      n.onclick = function () { window.focus(); window.location.href = "/cases/" + encodeURIComponent(c.case_id); };
    } catch (e) { /* some browsers only notify from a service worker: the title still shows it */ }
  }

  function setupSignals() {
    const sound = document.getElementById("sound-toggle");
    if (sound) {
      sound.checked = soundOn();
      sound.addEventListener("change", function () {
        store.set("ss-sound", sound.checked ? "on" : "off");
        if (sound.checked) beep();  // a click unlocks audio, and the coach hears what it is
      });
    }
    const btn = document.getElementById("notify-enable");
    if (btn) {
      btn.addEventListener("click", async function () {
        if (!("Notification" in window)) return;
        try { await Notification.requestPermission(); } catch (e) { /* old API */ }
        notifyState();
      });
    }
    notifyState();
  }

  function panelItem(c, extra) {
    const li = el("li", "qp-item prio-" + c.priority + (c.is_new ? " new" : ""));
    const a = el("a");
    a.href = "/cases/" + encodeURIComponent(c.case_id);
    a.appendChild(el("span", "badge prio-" + c.priority, c.priority_label));
    a.appendChild(document.createTextNode(" " + c.trigger_label));
    li.appendChild(a);
    li.appendChild(el("small", null, " " + c.channel_label + " · " + minutes(c.waiting_seconds)));
    if (extra) li.appendChild(extra);
    return li;
  }

  function renderPanel(q, unreadById) {
    const wait = document.getElementById("qp-waiting");
    const mine = document.getElementById("qp-mine");
    const count = document.getElementById("qp-waiting-count");
    if (count) count.textContent = String(q.waiting.length);
    if (wait) {
      wait.replaceChildren();
      if (!q.waiting.length) wait.appendChild(el("li", "hint", "Inga väntande ärenden."));
      q.waiting.forEach(function (c) {
        const b = el("button", "claim small", "Ta");
        b.type = "button"; b.dataset.caseId = c.case_id;
        b.setAttribute("aria-label", "Ta ärendet: " + c.priority_label + ", " + c.trigger_label);
        wait.appendChild(panelItem(c, b));
      });
    }
    if (mine) {
      mine.replaceChildren();
      const own = q.claimed.filter((c) => c.mine);
      if (!own.length) mine.appendChild(el("li", "hint", "Inga pågående ärenden."));
      own.forEach(function (c) {
        const n = unreadById[c.case_id] || 0;
        const extra = n ? el("span", "unread", String(n)) : null;
        if (extra) extra.setAttribute("aria-label", n + " olästa");
        const li = panelItem(c, extra);
        if (openPanes.has(c.case_id)) li.classList.add("current");
        mine.appendChild(li);
      });
    }
  }

  async function refreshQueue() {
    const r = await api("GET", "/api/queue");
    if (!r.ok) return;
    const q = r.json;
    fillTable("waiting", q.waiting, "Inga väntande ärenden.");
    fillTable("claimed", q.claimed, "Inga pågående ärenden.");
    const online = document.getElementById("coaches-online");
    if (online) online.textContent = "Coacher tillgängliga: " + q.coaches_online;
    const hours = document.getElementById("in-hours");
    if (hours) hours.textContent = q.in_hours ? "Inom öppettid" : "Utanför öppettid";

    // what is new since the last look
    const arrived = [];
    q.waiting.forEach(function (c) {
      if (known !== null && (!(c.case_id in known) || known[c.case_id] > c.priority)) {
        c.is_new = true; arrived.push(c);
      }
    });
    known = {};
    q.waiting.forEach(function (c) { known[c.case_id] = c.priority; });
    const unreadById = {};
    let unread = 0;
    q.claimed.filter((c) => c.mine).forEach(function (c) {
      if (openPanes.has(c.case_id) && !document.hidden) markSeen(c.case_id, c.user_messages);
      const n = Math.max(0, c.user_messages - seen(c.case_id));
      unreadById[c.case_id] = n; unread += n;
    });
    renderPanel(q, unreadById);
    const badge = q.waiting.length + unread;
    document.title = (badge ? "(" + badge + ") " : "") + baseTitle;
    const urgent = arrived.filter((c) => c.priority === 1);
    const alert = document.getElementById("qp-alert");
    if (alert && arrived.length) {
      alert.textContent = urgent.length ? "Nytt akut ärende väntar: " + urgent[0].trigger_label + "."
        : "Nytt ärende i kön: " + arrived[0].trigger_label + ".";
      alert.hidden = false;
    }
    if (arrived.length || unread > unreadBefore) beep();
    unreadBefore = unread;
    urgent.forEach(desktopNotice);
  }

  if (body.dataset.watch === "queue") {
    setupSignals();
    liveSocket("/ws/queue", function (msg) {
      if (msg.type === "queue_changed") refreshQueue();
    }, refreshQueue);
    setInterval(refreshQueue, 30000);  // waiting times keep counting
    document.addEventListener("visibilitychange", function () { if (!document.hidden) refreshQueue(); });
  }

  // ---- a case pane -------------------------------------------------------------------------
  const WHO = { user: "Användaren", bot: "Chattboten", coach: "Coach", system: "Händelse" };
  const STATUS = { waiting: "Väntar", claimed: "Pågår", closed: "Avslutat",
    handed_back: "Tillbaka hos boten" };
  const STATUS_EVENTS = { opened: "Ärendet öppnades", claimed: "Ärendet togs",
    priority_raised: "Prioriteten höjdes", closed: "Ärendet avslutades",
    handed_back: "Lämnat tillbaka till chattboten", transferred: "Ärendet lämnades över",
    exported: "Utdrag för akten hämtades" };

  function shortTime(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    return isNaN(d) ? "" : d.toLocaleTimeString("sv-SE", { hour: "2-digit", minute: "2-digit" });
  }

  // an SMS the provider reported as not delivered: one marker on the message
  function markUndelivered(li) {
    if (!li || li.querySelector(".undelivered")) return;
    const mark = el("span", "undelivered", "Kom inte fram");
    li.classList.add("failed");
    li.appendChild(mark);
  }

  let cannedCache = null;
  async function cannedReplies() {
    if (cannedCache) return cannedCache;
    const r = await api("GET", "/api/canned");
    cannedCache = r.ok ? r.json.replies : [];
    return cannedCache;
  }

  function mountPane(root) {
    const caseId = root.dataset.caseId;
    const base = "/api/cases/" + encodeURIComponent(caseId);
    const q = (sel) => root.querySelector(sel);
    const seenEvents = new Set();
    let status = root.dataset.status;
    let userState = null;   // {state, text} from the last presence event
    let lastUserAt = root.dataset.claimedAt ? new Date(root.dataset.claimedAt) : null;
    let userMessages = 0;
    openPanes.add(caseId);

    // `at` (seconds, the event's time; a user message's is when it was said): the message
    // goes before the first one that happened later, so a message whose relay came late
    // (the service found it in the chatbot's log) stands where it was said, marked
    function addMessage(list, who, text, label, time, at) {
      const ol = q(list);
      if (!ol) return null;
      const li = el("li", "msg " + who);
      li.appendChild(el("span", "who", (label || WHO[who] || who) + (time ? " · " + time : "")));
      li.appendChild(el("p", null, text));
      const later = typeof at === "number" ? Array.prototype.find.call(ol.children,
        function (o) { return o.dataset.at && Number(o.dataset.at) > at; }) : null;
      if (typeof at === "number") li.dataset.at = String(at);
      ol.insertBefore(li, later || null);
      const chat = q(".chat");
      if (chat) chat.scrollTop = chat.scrollHeight;
      return li;
    }

    function showPresence() {
      const p = q(".presence");
      if (!p) return;
      let text = "";
      let level = "";
      if (userState && (userState.state === "left" || status === "claimed" || status === "waiting")) {
        text = userState.text; level = userState.state;
      } else if (status === "claimed" && lastUserAt &&
                 (Date.now() - lastUserAt.getTime()) / 1000 >= quietSeconds) {
        const mins = Math.floor((Date.now() - lastUserAt.getTime()) / 60000);
        text = "Användaren har inte skrivit på " + mins + " min. Hen kanske inte läser just nu.";
        level = "quiet";
      }
      p.textContent = text;
      p.hidden = !text;
      p.className = "presence " + level;
    }
    setInterval(showPresence, 30000);

    function showEvent(ev) {
      if (seenEvents.has(ev.id)) return;
      seenEvents.add(ev.id);
      const data = ev.data || {};
      if (ev.kind === "note") { showNote(ev); return; }
      if (ev.kind === "user") {
        lastUserAt = new Date(ev.created_at || Date.now());
        userMessages += 1;
        markSeen(caseId, userMessages);
        if (userState && userState.state === "offline") userState = null;  // writing again
      }
      if (data.presence) {
        userState = { state: data.presence, text: ev.text };
        if (data.presence === "online") userState = null;
      }
      if (ev.kind === "status") {
        addMessage(".live", "system", STATUS_EVENTS[ev.text] || ev.text, "Händelse", shortTime(ev.created_at), ev.at);
      } else {
        const warn = ev.kind === "system" && (data.warning || data.presence === "left" || data.presence === "offline");
        const label = ev.kind === "coach" && ev.coach ? "Coach " + ev.coach : (warn ? "Varning" : null);
        const li = addMessage(".live", ev.kind, ev.text, label, shortTime(ev.created_at), ev.at);
        if (li && warn) li.classList.add("warn");
        if (li && data.late) { li.classList.add("late"); li.title = "Kom fram i efterhand (från chattbotens logg)"; }
        if (li) li.dataset.eventId = ev.id;
        if (data.delivery === "failed") markUndelivered(li);
      }
      showPresence();
    }

    function showCase(c) {
      status = c.status;
      root.dataset.status = c.status;
      const st = q(".case-status");
      if (st) st.textContent = STATUS[c.status] || c.status;
      const pr = q(".case-priority");
      if (pr && c.priority_label) {
        pr.textContent = c.priority_label;
        pr.className = "badge prio-" + c.priority + " case-priority";
      }
      if (c.status !== "claimed") {
        root.querySelectorAll(".send textarea, .send button").forEach(function (e) { e.disabled = true; });
      }
      if (root.classList.contains("full")) updateTools(c);
      showPresence();
    }

    (async function () {
      const t = await api("GET", base + "/transcript");
      const note = q(".transcript-note");
      if (t.ok) {
        t.json.transcript.forEach(function (m) {
          const li = addMessage(".transcript", m.handoff ? "system" : m.who, m.text,
            m.handoff ? "Chattboten" : null);
          if (li && m.handoff) li.classList.add("handoff");
          if (m.delivery === "failed") markUndelivered(li);
        });
        note.textContent = "Ovan: samtalet hittills, från chattbotens logg. Nedan: händelser i ärendet, live.";
      } else {
        note.textContent = "Samtalshistoriken kunde inte hämtas just nu.";
      }
    })();
    async function loadCase() {
      const r = await api("GET", base);
      if (r.ok) { r.json.events.forEach(showEvent); showCase(r.json.case); }
    }
    const live = status === "claimed" || status === "waiting";
    // a finished case streams nothing (the server refuses its socket): read it once
    const sock = !live ? { send: () => false } : liveSocket("/ws/cases/" + encodeURIComponent(caseId), function (msg) {
      if (msg.type === "event") showEvent(msg.event);
      else if (msg.type === "delivery") {
        markUndelivered(root.querySelector('.live li[data-event-id="' + Number(msg.event_id) + '"]'));
      }
      else if (msg.type === "case") showCase(msg.case);
      else if (msg.type === "error") notice(msg.message, true);
      else if (msg.type === "typing") userTyping(msg.on);
    }, loadCase, function (code, reason) {
      if (code !== 4000 && reason) {
        const p = q(".presence");
        if (p) { p.textContent = "Ärendet är inte ditt längre: " + reason + "."; p.hidden = false; p.className = "presence left"; }
        root.querySelectorAll(".send textarea, .send button").forEach(function (e) { e.disabled = true; });
      }
    });
    if (!live) loadCase();
    const typingNote = q(".user-typing");
    let typingTimer = null;
    function userTyping(on) {  // the young person is writing; a lost "stopped" ends by itself
      if (!typingNote) return;
      clearTimeout(typingTimer);
      typingNote.hidden = !on;
      if (on) typingTimer = setTimeout(function () { typingNote.hidden = true; }, 8000);
    }

    // sending, with a warning first when the young person may not read it
    const form = q("form.send");
    const box = q("textarea.message");
    const warning = q(".send-warning");
    function whyNotRead() {
      if (userState && (userState.state === "left" || userState.state === "offline")) return userState.text;
      if (lastUserAt && (Date.now() - lastUserAt.getTime()) / 1000 >= quietSeconds) {
        return "Användaren har inte skrivit på " + Math.floor((Date.now() - lastUserAt.getTime()) / 60000) +
          " min och kanske inte läser.";
      }
      return null;
    }
    async function send() {
      const text = box.value.trim();
      if (!text) return;
      warning.hidden = true;
      if (sock.send({ type: "message", text })) { box.value = ""; return; }
      const r = await api("POST", base + "/messages", { text });  // socket down: use HTTP
      if (r.ok) { box.value = ""; showEvent(r.json.event); }
      else notice(r.json.message || "Meddelandet kunde inte skickas.", true);
    }
    if (form && box) {
      form.addEventListener("submit", function (ev) {
        ev.preventDefault();
        if (!box.value.trim()) return;
        const why = whyNotRead();
        if (why) {
          q(".send-warning-text").textContent = "Vänta: " + why + " Vill du skicka ändå?";
          warning.hidden = false;
          q(".send-anyway").focus();
          return;
        }
        send();
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
        if (!box.value.trim() || box.value.startsWith("/")) { if (sentAt) typing(false); return; }
        typing(true);
        idle = setTimeout(function () { typing(false); }, 4000);
      });
      form.addEventListener("submit", function () { clearTimeout(idle); if (sentAt) typing(false); });
      q(".send-anyway").addEventListener("click", send);
      q(".send-cancel").addEventListener("click", function () { warning.hidden = true; box.focus(); });
      setupCanned(root, box, form);
    }

    // the full case page: notes, transfer, hand back, close
    function showNote(ev) {
      const list = document.getElementById("notes");
      if (!list || !root.classList.contains("full")) return;
      const li = el("li");
      li.appendChild(el("span", "who", (ev.coach || "") + " · " + shortTime(ev.created_at)));
      li.appendChild(el("p", null, ev.text));
      list.appendChild(li);
    }

    function updateTools(c) {
      const handback = document.getElementById("handback");
      const closeBtn = document.getElementById("close");
      const outcome = document.getElementById("outcome");
      const open = c.status === "claimed" || c.status === "waiting";
      if (handback) handback.disabled = !open;
      const closable = open || c.status === "handed_back";
      if (closeBtn) closeBtn.disabled = !closable;
      if (outcome) outcome.disabled = !closable;
      if (c.status !== "claimed") {
        document.querySelectorAll("#transfer-form select, #transfer-form button").forEach(function (e) { e.disabled = true; });
      }
    }

    if (!root.classList.contains("full")) return;
    const noteForm = document.getElementById("note-form");
    if (noteForm) {
      noteForm.addEventListener("submit", async function (ev) {
        ev.preventDefault();
        const area = document.getElementById("note");
        const out = document.getElementById("note-status");
        if (!area.value.trim()) { say(out, "Skriv något först.", true); return; }
        const r = await api("POST", base + "/notes", { text: area.value });
        if (r.ok) { area.value = ""; showEvent(r.json.event); say(out, "Anteckningen är sparad."); }
        else say(out, r.json.message || "Anteckningen kunde inte sparas.", true);
      });
    }
    const transferForm = document.getElementById("transfer-form");
    if (transferForm) {
      const sel = document.getElementById("transfer-to");
      (async function () {
        const r = await api("GET", "/api/colleagues");
        sel.replaceChildren();
        const names = r.ok ? r.json.colleagues : [];
        const first = el("option", null, names.length ? "– välj kollega –" : "Ingen annan coach är inloggad");
        first.value = "";
        sel.appendChild(first);
        names.forEach(function (n) { const o = el("option", null, n); o.value = n; sel.appendChild(o); });
      })();
      transferForm.addEventListener("submit", async function (ev) {
        ev.preventDefault();
        const out = document.getElementById("transfer-status");
        if (!sel.value) { say(out, "Välj en kollega.", true); return; }
        const r = await api("POST", base + "/transfer", { to: sel.value });
        if (r.ok) {
          say(out, "Ärendet är hos " + sel.value + " nu. Du kan inte läsa det längre.");
          root.querySelectorAll(".send textarea, .send button").forEach(function (e) { e.disabled = true; });
          document.querySelectorAll(".tools button, .tools select, .tools textarea").forEach(function (e) { e.disabled = true; });
        } else say(out, r.json.message || "Det gick inte att lämna över.", true);
      });
    }
    const handback = document.getElementById("handback");
    const out = document.getElementById("actions-status");
    if (handback) {
      handback.addEventListener("click", async function () {
        if (!window.confirm("Lämna tillbaka samtalet till chattboten?")) return;
        const r = await api("POST", base + "/handback");
        if (r.ok) {
          showCase({ status: "handed_back" });
          say(out, "Samtalet är tillbaka hos chattboten. Välj ett utfall och avsluta ärendet, så räknas det i statistiken.");
          document.getElementById("outcome").focus();
        } else say(out, r.json.message || "Det gick inte.", true);
      });
    }
    const closeForm = document.getElementById("close-form");
    if (closeForm) {
      closeForm.addEventListener("submit", async function (ev) {
        ev.preventDefault();
        const sel = document.getElementById("outcome");
        if (!sel.value) { say(out, "Välj ett utfall först.", true); sel.focus(); return; }
        const label = sel.selectedOptions[0].textContent;
        const r = await api("POST", base + "/close", { outcome: sel.value });
        if (r.ok) { showCase({ status: "closed" }); say(out, "Ärendet är avslutat. Utfall: " + label + "."); }
        else say(out, r.json.message || "Det gick inte.", true);
      });
    }
  }

  // "/" in the message box: a list of ready-made replies, filtered as the coach types
  function setupCanned(root, box, form) {
    const menu = root.querySelector(".canned-menu");
    const opener = root.querySelector(".canned-open");
    let items = [];
    let active = 0;
    function close() {
      menu.hidden = true; box.removeAttribute("aria-activedescendant");
    }
    function choose(i) {
      const r = items[i];
      if (!r) return;
      box.value = r.text; close(); box.focus();
    }
    function highlight() {
      Array.prototype.forEach.call(menu.children, function (li, i) {
        li.setAttribute("aria-selected", i === active ? "true" : "false");
        if (i === active) { box.setAttribute("aria-activedescendant", li.id); li.scrollIntoView({ block: "nearest" }); }
      });
    }
    let asked = 0;
    async function open(filter) {
      const mine = ++asked;
      const all = await cannedReplies();
      if (mine !== asked || !box.value.startsWith("/")) return;  // typed on meanwhile
      const f = filter.toLowerCase();
      items = all.filter((r) => !f || r.title.toLowerCase().includes(f) || r.text.toLowerCase().includes(f));
      menu.replaceChildren();
      items.forEach(function (r, i) {
        const li = el("li", "canned-item");
        li.id = root.dataset.caseId + "-canned-" + i;
        li.setAttribute("role", "option");
        li.appendChild(el("strong", null, r.title + (r.language === "en" ? " (engelska)" : "")));
        li.appendChild(el("span", null, " " + r.text));
        li.addEventListener("mousedown", function (ev) { ev.preventDefault(); choose(i); });
        menu.appendChild(li);
      });
      if (!items.length) menu.appendChild(el("li", "hint", "Inget standardsvar matchar."));
      active = 0; menu.hidden = false; highlight();
    }
    box.setAttribute("aria-controls", menu.id);
    box.addEventListener("input", function () {
      if (box.value.startsWith("/") && !box.value.includes("\n")) open(box.value.slice(1));
      else close();
    });
    box.addEventListener("keydown", function (ev) {
      if (!menu.hidden && items.length) {
        if (ev.key === "ArrowDown") { ev.preventDefault(); active = (active + 1) % items.length; highlight(); return; }
        if (ev.key === "ArrowUp") { ev.preventDefault(); active = (active - 1 + items.length) % items.length; highlight(); return; }
        if (ev.key === "Enter" || ev.key === "Tab") { ev.preventDefault(); choose(active); return; }
      }
      if (ev.key === "Escape" && !menu.hidden) { ev.preventDefault(); close(); return; }
      if (ev.key === "Enter" && !ev.shiftKey && menu.hidden) { ev.preventDefault(); form.requestSubmit(); }
    });
    box.addEventListener("blur", function () {
      setTimeout(function () { if (document.activeElement !== box) close(); }, 150);
    });
    if (opener) opener.addEventListener("click", function () { box.value = "/"; box.focus(); open(""); });
  }

  document.querySelectorAll("section.pane").forEach(mountPane);
})();
