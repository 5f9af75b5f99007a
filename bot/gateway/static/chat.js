/* Sluta skjut web chat. No cookies, no third parties; one random token in localStorage
   keeps the conversation across reloads. "Lämna sidan snabbt" (or Esc twice) wipes it.
   Each message of the user's has a random id and stays in `pending` (this page's memory
   only, never the browser's storage) until the gateway acknowledges it; after a reconnect
   the page sends it again with the same id, and the gateway forwards an id only once.
   While a message waits (and only then) a reload or a closed tab gets the browser's own
   "leave the page?" question, since the waiting text is lost with the page; the quick exit
   never asks. */
(function () {
  "use strict";
  var TOKEN_KEY = "ss-chat-token";
  var LANG_KEY = "ss-chat-lang";
  var SHORT_WORDS = 45;     // answers longer than this show a short part first, then "more"
  var SHORT_PART_WORDS = 15;
  var TYPING_EVERY_MS = 2000;
  var TYPING_IDLE_MS = 4000;
  var PENDING_SHOW_MS = 1500;  // a message not acknowledged after this says "Skickas …"
  var STATE_TEXTS = { pending: "web_pending", offline: "web_pending_offline",
                      failed: "web_not_sent" };
  var T = JSON.parse(document.getElementById("i18n").textContent);
  var LINKS = JSON.parse(document.getElementById("links").textContent);
  var body = document.body;
  var exitUrl = body.getAttribute("data-exit-url") || "about:blank";
  var logEl = document.getElementById("log");
  var typingEl = document.getElementById("typing");
  var typingText = document.getElementById("typing-text");
  var statusEl = document.getElementById("status");
  var quickEl = document.getElementById("quick-replies");
  var form = document.getElementById("composer");
  var input = document.getElementById("message");
  var langBtn = document.getElementById("lang-switch");
  var exitBtn = document.getElementById("quick-exit");
  var coachStatus = document.getElementById("coach-status");

  var store = safeStorage();
  var lang = store.get(LANG_KEY) || document.documentElement.lang || "sv";
  var token = store.get(TOKEN_KEY);
  var ws = null;
  var outbox = [];             // frames waiting for an open socket whose hello is answered
  var pending = [];            // the user's messages not acknowledged yet, oldest first
  var ready = false;           // this socket's hello is answered: messages may go
  var retry = 0;
  var exiting = false;
  var lastEsc = 0;
  var buttons = null;          // the choices on screen, kept over a language switch
  var chosenLang = !!store.get(LANG_KEY) || lang === "en";  // picked by the user, not assumed
  var turnStart = null;        // first bot bubble of the current answer
  var typingSentAt = 0;
  var typingIdle = null;
  var coachTypingTimer = null;
  var status = null;
  var linkRe = buildLinkRe();

  function safeStorage() {
    try {
      var probe = "__ss";
      window.localStorage.setItem(probe, "1");
      window.localStorage.removeItem(probe);
      return {
        get: function (k) { return window.localStorage.getItem(k); },
        set: function (k, v) { window.localStorage.setItem(k, v); },
        clear: function () { window.localStorage.clear(); }
      };
    } catch (e) { /* private mode: continuity for this page only */
      var mem = {};
      return {
        get: function (k) { return mem[k] || null; },
        set: function (k, v) { mem[k] = v; },
        clear: function () { mem = {}; }
      };
    }
  }

  function t(key) { return (T[lang] && T[lang][key]) || T.sv[key] || ""; }

  function escapeRe(s) { return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); }

  function buildLinkRe() {
    var parts = LINKS.numbers.concat(LINKS.sites).map(escapeRe);
    return parts.length ? new RegExp(parts.join("|"), "g") : null;
  }

  /* Text with the content's phone numbers as tel: links and its sites as https: links. */
  function linkified(text) {
    var frag = document.createDocumentFragment();
    var last = 0;
    var m;
    if (!linkRe) { frag.appendChild(document.createTextNode(text)); return frag; }
    linkRe.lastIndex = 0;
    while ((m = linkRe.exec(text)) !== null) {
      var before = text.charAt(m.index - 1);
      var after = text.charAt(m.index + m[0].length);
      if (/[\w.@\/-]/.test(before) || /\w/.test(after)) { continue; }
      frag.appendChild(document.createTextNode(text.slice(last, m.index)));
      var a = document.createElement("a");
      var isSite = LINKS.sites.indexOf(m[0]) >= 0;
      a.href = isSite ? "https://" + m[0] + "/" : "tel:" + m[0].replace(/[^\d]/g, "");
      if (isSite) { a.target = "_blank"; a.rel = "noopener noreferrer"; }
      a.textContent = m[0];
      frag.appendChild(a);
      last = m.index + m[0].length;
    }
    frag.appendChild(document.createTextNode(text.slice(last)));
    return frag;
  }

  function linkifyStatic() {
    document.querySelectorAll(".linkify").forEach(function (el) {
      var text = el.textContent;
      el.textContent = "";
      el.appendChild(linkified(text));
    });
  }

  function applyLanguage() {
    document.documentElement.lang = lang;
    document.querySelectorAll("[data-t]").forEach(function (el) {
      el.textContent = t(el.getAttribute("data-t"));
    });
    document.querySelectorAll("[data-t-label]").forEach(function (el) {
      el.setAttribute("aria-label", t(el.getAttribute("data-t-label")));
    });
    document.querySelectorAll("[data-t-placeholder]").forEach(function (el) {
      el.setAttribute("placeholder", t(el.getAttribute("data-t-placeholder")));
    });
    document.querySelectorAll(".who[data-who]").forEach(function (el) {
      el.textContent = t("web_" + el.getAttribute("data-who") + "_label");
    });
    document.querySelectorAll(".notice[data-kind]").forEach(function (el) {
      el.textContent = t("web_" + el.getAttribute("data-kind"));
    });
    document.querySelectorAll(".msg .more").forEach(function (el) {
      el.textContent = t(el.getAttribute("aria-expanded") === "true" ? "web_less" : "web_more");
    });
    langBtn.setAttribute("lang", lang === "en" ? "sv" : "en");
    document.title = t("web_title");
    linkifyStatic();
    showStatus();
    if (buttons) { setQuickReplies(buttons); }
    else if (!logEl.querySelector(".msg")) { showStarters(); }
  }

  function newToken() {
    var bytes = new Uint8Array(32);
    window.crypto.getRandomValues(bytes);
    var s = "";
    for (var i = 0; i < bytes.length; i++) { s += String.fromCharCode(bytes[i]); }
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  /* Keep the start of the newest answer in view: scroll to the bottom only while the whole
     answer fits, otherwise to its first line. */
  function scrollDown() {
    if (turnStart && turnStart.parentNode === logEl) {
      var top = turnStart.offsetTop - 8;
      var bottom = logEl.scrollHeight - logEl.clientHeight;
      logEl.scrollTop = Math.min(top, bottom);
    } else {
      logEl.scrollTop = logEl.scrollHeight;
    }
  }

  function words(text) { return text.split(/\s+/).filter(Boolean).length; }

  /* A long answer shows its first lines (at least SHORT_PART_WORDS words) and a "more" button,
     unless the rest holds a number or a site: those are never folded away. */
  function fillBubble(div, text, fold) {
    var lines = text.split("\n");
    if (fold && words(text) > SHORT_WORDS) {
      var count = 0;
      var cut = 0;
      while (cut < lines.length && count < SHORT_PART_WORDS) { count += words(lines[cut]); cut++; }
      var rest = lines.slice(cut).join("\n").trim();
      linkRe && (linkRe.lastIndex = 0);
      if (rest && !(linkRe && linkRe.test(rest))) {
        div.appendChild(linkified(lines.slice(0, cut).join("\n")));
        var restEl = document.createElement("span");
        restEl.className = "rest";
        restEl.id = "rest-" + Math.random().toString(36).slice(2);
        restEl.hidden = true;
        restEl.appendChild(linkified("\n" + rest));
        div.appendChild(restEl);
        var more = document.createElement("button");
        more.type = "button";
        more.className = "more";
        more.setAttribute("aria-expanded", "false");
        more.setAttribute("aria-controls", restEl.id);
        more.textContent = t("web_more");
        more.addEventListener("click", function () {
          var open = restEl.hidden;
          restEl.hidden = !open;
          more.setAttribute("aria-expanded", open ? "true" : "false");
          more.textContent = t(open ? "web_less" : "web_more");
        });
        div.appendChild(more);
        return;
      }
    }
    div.appendChild(linkified(text));
  }

  /* A question with choices (the coach consent, the safety questions) is never folded:
     what the choice means must be read before it is made. */
  function addMessage(who, text, withChoices) {
    var div = document.createElement("div");
    div.className = "msg " + who;
    var label = document.createElement("span");
    label.className = "who" + (who === "coach" ? "" : " sr-only");
    label.setAttribute("data-who", who === "user" ? "you" : who);
    label.textContent = t("web_" + (who === "user" ? "you" : who) + "_label");
    div.appendChild(label);
    fillBubble(div, text, who === "bot" && !withChoices);
    logEl.appendChild(div);
    if (who === "user") { turnStart = null; }
    else if (!turnStart) { turnStart = div; }
    scrollDown();
    return div;
  }

  /* The small line under a message of the user's that is not acknowledged: "Skickas …"
     while connected, "Inte skickat än …" without a connection, "Inte skickat." when the
     gateway did not take it (a notice says why). The log is a polite live region, so a
     screen reader reads the line once when it appears; an acknowledged message loses it. */
  function markMessage(el, state) {
    var line = el.querySelector(".state");
    if (!state) {
      el.removeAttribute("data-state");
      if (line) { line.remove(); }
      return;
    }
    if (!line) {
      line = document.createElement("span");
      line.className = "state";
      el.appendChild(line);
    }
    el.setAttribute("data-state", state);
    line.setAttribute("data-t", STATE_TEXTS[state]);
    line.textContent = t(STATE_TEXTS[state]);
  }

  function online() { return !!ws && ws.readyState === 1; }

  /* A random id per message (crypto.randomUUID, or 16 random bytes in hex where it is
     missing): it says nothing about the person, only which message is which. */
  function newId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function track(msg, el) {
    var entry = { id: msg.id, msg: msg, el: el, socket: null, timer: null };
    entry.timer = setTimeout(function () {
      markMessage(el, online() ? "pending" : "offline");
    }, PENDING_SHOW_MS);
    if (!online()) { markMessage(el, "offline"); }
    pending.push(entry);
    guardLeaving();
  }

  /* The gateway has the message (ack, or the reloaded transcript holds its id), or it
     refused it (failed): either way it is not sent again. */
  function settle(id, failed) {
    for (var i = 0; i < pending.length; i++) {
      if (pending[i].id === id) {
        var entry = pending.splice(i, 1)[0];
        clearTimeout(entry.timer);
        markMessage(entry.el, failed ? "failed" : null);
        outbox = outbox.filter(function (o) { return o.id !== id; });
        guardLeaving();
        return;
      }
    }
  }

  /* The text of a waiting message is only in this page's memory (never written to disk), so
     leaving now would drop it: the browser asks first, with its own words. Behind that
     question each waiting message shows its line at once ("Skickas …", or "Inte skickat än
     …" offline). Inert while the quick exit runs. */
  function askBeforeLeaving(ev) {
    if (exiting || !pending.length) { return; }
    pending.forEach(function (entry) {
      clearTimeout(entry.timer);
      markMessage(entry.el, online() ? "pending" : "offline");
    });
    ev.preventDefault();
    ev.returnValue = true;  // older browsers ask only for a truthy returnValue
  }

  /* The handler is on only while a message waits: otherwise leaving is never held up
     (adding a listener twice or removing one that is off changes nothing). */
  function guardLeaving() {
    if (!exiting && pending.length > 0) { window.addEventListener("beforeunload", askBeforeLeaving); }
    else { window.removeEventListener("beforeunload", askBeforeLeaving); }
  }

  /* The browser knows the network is gone before the socket does (a dead socket can take a
     while to close): waiting messages say "Inte skickat än …" at once, and "Skickas …" again
     if the same socket is still up when the network is back. */
  function networkChanged() {
    var up = navigator.onLine !== false && online();
    pending.forEach(function (entry) {
      var state = entry.el.getAttribute("data-state");
      if (!up) { clearTimeout(entry.timer); markMessage(entry.el, "offline"); }
      else if (state === "offline" && ready) { markMessage(entry.el, "pending"); }
    });
  }

  function addNotice(kind, text, warn) {
    var p = document.createElement("p");
    p.className = "notice" + (warn ? " warn" : "");
    if (kind) { p.setAttribute("data-kind", kind); p.textContent = t("web_" + kind); }
    else { p.textContent = text; }
    logEl.appendChild(p);
    scrollDown();
  }

  function setQuickReplies(list) {
    buttons = list && list.length ? list : null;
    quickEl.textContent = "";
    quickEl.removeAttribute("aria-label");
    var titles = t("button_titles") || {};
    (buttons || []).forEach(function (b) {
      var btn = document.createElement("button");
      btn.type = "button";
      btn.textContent = titles[b.title] || b.title;
      btn.addEventListener("click", function () { sendMessage(btn.textContent, b.payload); });
      quickEl.appendChild(btn);
    });
  }

  /* The most common questions as the first choices; each sends its words like a message. */
  function showStarters() {
    quickEl.textContent = "";
    quickEl.setAttribute("aria-label", t("web_starters"));
    (t("starter_buttons") || []).forEach(function (title) {
      var btn = document.createElement("button");
      btn.type = "button";
      btn.className = "starter";
      btn.textContent = title;
      btn.addEventListener("click", function () { sendMessage(title); });
      quickEl.appendChild(btn);
    });
  }

  function renderHistory(items) {
    Array.prototype.slice.call(logEl.querySelectorAll(".msg, .notice")).forEach(function (el) {
      el.remove();
    });
    var last = null;
    turnStart = null;
    items.forEach(function (it) {
      if (it.type === "notice") { addNotice(it.kind); return; }
      if (it.handoff) { addNotice(null, it.text); last = null; return; }
      addMessage(it.type === "user" ? "user" : (it.coach ? "coach" : "bot"), it.text,
                 !!(it.buttons && it.buttons.length));
      last = it.buttons || null;
    });
    // what the transcript does not hold yet stays on the page, after it, still waiting
    pending.forEach(function (entry) { logEl.appendChild(entry.el); });
    if (pending.length) { turnStart = null; setQuickReplies(null); scrollDown(); }
    else if (items.length) { setQuickReplies(last); } else { showStarters(); }
  }

  function sendNow(obj) {
    ws.send(JSON.stringify(obj));
    pending.forEach(function (entry) { if (obj.id && entry.id === obj.id) { entry.socket = ws; } });
  }

  /* Turns for the assistant (messages, a language switch) wait until the socket's hello is
     answered, so they follow the messages sent again after a reconnect. */
  function send(obj) {
    var turn = obj.type === "message" || obj.type === "language";
    if (online() && (ready || !turn)) { sendNow(obj); }
    else if (obj.type !== "ping" && obj.type !== "typing") { outbox.push(obj); }
  }

  /* After the hello is answered: every message sent on an earlier socket and not
     acknowledged goes again, in order, with its id and marked as sent again; then what was
     written meanwhile. */
  function flush() {
    pending.forEach(function (entry) {
      if (entry.socket && entry.socket !== ws) {
        var again = JSON.parse(JSON.stringify(entry.msg));
        again.resend = true;
        ws.send(JSON.stringify(again));
        entry.socket = ws;
      }
      if (entry.el.getAttribute("data-state") === "offline") { markMessage(entry.el, "pending"); }
    });
    var frames = outbox;
    outbox = [];
    frames.forEach(send);
  }

  function ensureConversation() {
    if (token) { return; }
    token = newToken();
    store.set(TOKEN_KEY, token);
    send({ type: "hello", token: token, fresh: true });
    if (lang === "en") { send({ type: "language", lang: "en" }); }
  }

  function sendMessage(text, payload) {
    text = (text || "").trim();
    if (!text) { return; }
    ensureConversation();
    stopTyping();
    setQuickReplies(null);
    var el = addMessage("user", text);
    var msg = { type: "message", id: newId(), text: text, lang: lang };
    if (chosenLang) { msg.language = lang; }  // the assistant answers this message in it
    if (payload) { msg.payload = payload; }
    track(msg, el);
    send(msg);
  }

  function typing(on) {
    if (!token) { return; }
    var now = Date.now();
    if (on && now - typingSentAt < TYPING_EVERY_MS) { return; }
    typingSentAt = on ? now : 0;
    send({ type: "typing", on: on });
  }

  function stopTyping() {
    clearTimeout(typingIdle);
    if (typingSentAt) { typing(false); }
  }

  function showTyping(on, who) {
    clearTimeout(coachTypingTimer);
    typingText.textContent = t(who === "coach" ? "web_coach_typing" : "web_typing");
    typingEl.hidden = !on;
    if (on && who === "coach") {  // a lost "stopped" must not leave the dots forever
      coachTypingTimer = setTimeout(function () { typingEl.hidden = true; }, 8000);
    }
  }

  function onServerMessage(data) {
    if (data.type === "history") {
      if (!data.fresh) {
        (data.items || []).forEach(function (it) {
          if (it.type === "user" && it.id) { settle(it.id); }  // it arrived; the ack did not
        });
        renderHistory(data.items || []);
      }
      ready = true;
      flush();
    } else if (data.type === "ack") { settle(data.id); }
    else if (data.type === "error") {
      if (data.id && data.code !== "no_hello") { settle(data.id, true); }
    } else if (data.type === "bot" && data.handoff) {
      addNotice(null, data.text || "");  // "the coach has left", said once
      setQuickReplies(null);
    } else if (data.type === "bot") {
      addMessage(data.coach ? "coach" : "bot", data.text || "",
                 !!(data.buttons && data.buttons.length));
      if (data.coach) { typingEl.hidden = true; }
      setQuickReplies(data.buttons || null);
    } else if (data.type === "notice") { addNotice(data.kind); }
    else if (data.type === "typing") { showTyping(!!data.on, data.who); }
    else if (data.type === "notice_text") {
      if (data.id) { settle(data.id, true); }
      addNotice(null, data.text, true);
      if (data.restore && !input.value) { input.value = data.restore; }
    }
  }

  function connect() {
    if (exiting) { return; }
    var proto = location.protocol === "https:" ? "wss://" : "ws://";
    ws = new WebSocket(proto + location.host + "/ws");
    ws.addEventListener("open", function () {
      retry = 0;
      statusEl.textContent = "";
      ready = false;
      // a conversation started while offline says so: nothing to reload yet
      var fresh = outbox.some(function (o) { return o.type === "hello" && o.fresh; });
      outbox = outbox.filter(function (o) { return o.type !== "hello"; });
      if (token) {
        ws.send(JSON.stringify(fresh ? { type: "hello", token: token, fresh: true }
                                     : { type: "hello", token: token }));
      } else { ready = true; flush(); }
    });
    ws.addEventListener("message", function (ev) {
      try { onServerMessage(JSON.parse(ev.data)); } catch (e) { /* ignore malformed */ }
    });
    ws.addEventListener("close", function () {
      ready = false;
      if (exiting) { return; }
      pending.forEach(function (entry) {
        clearTimeout(entry.timer);
        markMessage(entry.el, "offline");
      });
      typingEl.hidden = true;
      statusEl.textContent = t("web_reconnecting");
      setTimeout(connect, Math.min(1000 * Math.pow(2, retry++), 10000));
    });
  }

  /* One line: a coach online now, or not now, or (service silent) that the chat is open. */
  function showStatus() {
    var state = "unknown";
    if (status && status.known) {
      state = status.accepting ? "online" : (status.in_hours ? "offline" : "closed");
    }
    coachStatus.setAttribute("data-state", state);
    document.getElementById("status-text").textContent = t("web_status_" + state);
    var hours = (status && status.hours && status.hours[lang]) || "";
    var hoursEl = document.getElementById("status-hours");
    hoursEl.textContent = hours;
    hoursEl.hidden = !hours;
  }

  function loadStatus() {
    if (exiting) { return; }
    fetch("/status", { cache: "no-store", credentials: "omit" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) { status = s; showStatus(); })
      .catch(function () { /* the line keeps "open day and night" */ });
  }

  function quickExit() {
    exiting = true;
    pending.forEach(function (entry) { clearTimeout(entry.timer); });
    pending = [];  // nothing written here is sent again, or kept, after the exit
    outbox = [];
    guardLeaving();  // no "leave the page?" question: the exit is never held up
    try {
      // tell a coach who may be writing that this page is gone for good
      if (ws && ws.readyState === 1) { ws.send(JSON.stringify({ type: "leave", reason: "quick_exit" })); }
      if (ws) { ws.close(); }
    } catch (e) { /* closing anyway */ }
    try { store.clear(); window.sessionStorage.clear(); } catch (e) { /* nothing stored */ }
    document.title = "";
    body.textContent = "";
    window.location.replace(exitUrl);
  }

  function autosize() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight + 4, window.innerHeight * 0.3) + "px";
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var text = input.value;
    input.value = "";
    autosize();
    sendMessage(text);
    input.focus();
  });
  input.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit"));
    }
  });
  input.addEventListener("input", function () {
    autosize();
    if (!input.value.trim()) { stopTyping(); return; }
    typing(true);
    clearTimeout(typingIdle);
    typingIdle = setTimeout(stopTyping, TYPING_IDLE_MS);
  });
  input.addEventListener("blur", stopTyping);
  langBtn.addEventListener("click", function () {
    lang = lang === "en" ? "sv" : "en";
    chosenLang = true;
    store.set(LANG_KEY, lang);
    applyLanguage();
    /* A language switch is a turn for the assistant: sent now it would close an open yes/no.
       So the choice stays (in the new language); the answer to it carries the language, and
       the assistant answers it in the new one. */
    if (!buttons && token) { send({ type: "language", lang: lang }); }
  });
  exitBtn.addEventListener("click", quickExit);
  document.addEventListener("keydown", function (ev) {
    if (ev.key !== "Escape") { return; }
    var now = Date.now();
    if (now - lastEsc < 1500) { quickExit(); }
    lastEsc = now;
  });
  window.addEventListener("offline", networkChanged);
  window.addEventListener("online", networkChanged);
  setInterval(function () { send({ type: "ping" }); }, 25000);
  setInterval(loadStatus, 60000);

  applyLanguage();
  connect();
  loadStatus();
})();
