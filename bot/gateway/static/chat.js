/* Sluta skjut web chat. No cookies, no third parties; one random token in localStorage
   keeps the conversation across reloads. "Lämna sidan snabbt" / Esc twice wipes it. */
(function () {
  "use strict";
  var TOKEN_KEY = "ss-chat-token";
  var LANG_KEY = "ss-chat-lang";
  var T = JSON.parse(document.getElementById("i18n").textContent);
  var body = document.body;
  var exitUrl = body.getAttribute("data-exit-url") || "about:blank";
  var logEl = document.getElementById("log");
  var typingEl = document.getElementById("typing");
  var statusEl = document.getElementById("status");
  var quickEl = document.getElementById("quick-replies");
  var form = document.getElementById("composer");
  var input = document.getElementById("message");
  var langBtn = document.getElementById("lang-switch");
  var exitBtn = document.getElementById("quick-exit");

  var store = safeStorage();
  var lang = store.get(LANG_KEY) || document.documentElement.lang || "sv";
  var token = store.get(TOKEN_KEY);
  var ws = null;
  var outbox = [];
  var retry = 0;
  var exiting = false;
  var lastEsc = 0;

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

  function applyLanguage() {
    document.documentElement.lang = lang;
    document.querySelectorAll("[data-t]").forEach(function (el) {
      el.textContent = t(el.getAttribute("data-t"));
    });
    document.querySelectorAll("[data-t-label]").forEach(function (el) {
      el.setAttribute("aria-label", t(el.getAttribute("data-t-label")));
    });
    document.querySelectorAll(".who[data-who]").forEach(function (el) {
      el.textContent = t("web_" + el.getAttribute("data-who") + "_label");
    });
    document.querySelectorAll(".notice[data-kind]").forEach(function (el) {
      el.textContent = t("web_" + el.getAttribute("data-kind"));
    });
    langBtn.setAttribute("lang", lang === "en" ? "sv" : "en");
    document.title = t("web_title");
  }

  function newToken() {
    var bytes = new Uint8Array(32);
    window.crypto.getRandomValues(bytes);
    var s = "";
    for (var i = 0; i < bytes.length; i++) { s += String.fromCharCode(bytes[i]); }
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function scrollDown() { logEl.scrollTop = logEl.scrollHeight; }

  function addMessage(who, text) {
    var div = document.createElement("div");
    div.className = "msg " + who;
    var label = document.createElement("span");
    label.className = "who" + (who === "coach" ? "" : " sr-only");
    label.setAttribute("data-who", who === "user" ? "you" : who);
    label.textContent = t("web_" + (who === "user" ? "you" : who) + "_label");
    div.appendChild(label);
    div.appendChild(document.createTextNode(text));
    logEl.appendChild(div);
    scrollDown();
  }

  function addNotice(kind, text, warn) {
    var p = document.createElement("p");
    p.className = "notice" + (warn ? " warn" : "");
    if (kind) { p.setAttribute("data-kind", kind); p.textContent = t("web_" + kind); }
    else { p.textContent = text; }
    logEl.appendChild(p);
    scrollDown();
  }

  function setQuickReplies(buttons) {
    quickEl.textContent = "";
    (buttons || []).forEach(function (b) {
      var btn = document.createElement("button");
      btn.type = "button";
      btn.textContent = b.title;
      btn.addEventListener("click", function () { sendMessage(b.title, b.payload); });
      quickEl.appendChild(btn);
    });
  }

  function renderHistory(items) {
    Array.prototype.slice.call(logEl.querySelectorAll(".msg, .notice")).forEach(function (el) {
      el.remove();
    });
    var buttons = null;
    items.forEach(function (it) {
      if (it.type === "notice") { addNotice(it.kind); return; }
      if (it.handoff) { addNotice(null, it.text); buttons = null; return; }
      addMessage(it.type === "user" ? "user" : (it.coach ? "coach" : "bot"), it.text);
      buttons = it.buttons || null;
    });
    setQuickReplies(buttons);
  }

  function send(obj) {
    if (ws && ws.readyState === 1) { ws.send(JSON.stringify(obj)); }
    else if (obj.type !== "ping") { outbox.push(obj); }
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
    setQuickReplies(null);
    addMessage("user", text);
    var msg = { type: "message", text: text, lang: lang };
    if (payload) { msg.payload = payload; }
    send(msg);
  }

  function onServerMessage(data) {
    if (data.type === "history") { if (!data.fresh) { renderHistory(data.items || []); } }
    else if (data.type === "bot" && data.handoff) {
      addNotice(null, data.text || "");  // "the coach has left", said once
      setQuickReplies(null);
    } else if (data.type === "bot") {
      addMessage(data.coach ? "coach" : "bot", data.text || "");
      setQuickReplies(data.buttons || null);
    } else if (data.type === "notice") { addNotice(data.kind); }
    else if (data.type === "typing") { typingEl.hidden = !data.on; if (data.on) { scrollDown(); } }
    else if (data.type === "notice_text") {
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
      if (token) { ws.send(JSON.stringify({ type: "hello", token: token })); }
      var pending = outbox; outbox = [];
      pending.forEach(function (o) {
        if (!(o.type === "hello" && token)) { ws.send(JSON.stringify(o)); }
      });
    });
    ws.addEventListener("message", function (ev) {
      try { onServerMessage(JSON.parse(ev.data)); } catch (e) { /* ignore malformed */ }
    });
    ws.addEventListener("close", function () {
      if (exiting) { return; }
      typingEl.hidden = true;
      statusEl.textContent = t("web_reconnecting");
      setTimeout(connect, Math.min(1000 * Math.pow(2, retry++), 10000));
    });
  }

  function quickExit() {
    exiting = true;
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

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var text = input.value;
    input.value = "";
    sendMessage(text);
    input.focus();
  });
  input.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit"));
    }
  });
  langBtn.addEventListener("click", function () {
    lang = lang === "en" ? "sv" : "en";
    store.set(LANG_KEY, lang);
    applyLanguage();
    if (token) { send({ type: "language", lang: lang }); }
  });
  exitBtn.addEventListener("click", quickExit);
  document.addEventListener("keydown", function (ev) {
    if (ev.key !== "Escape") { return; }
    var now = Date.now();
    if (now - lastEsc < 1500) { quickExit(); }
    lastEsc = now;
  });
  setInterval(function () { send({ type: "ping" }); }, 25000);

  applyLanguage();
  connect();
})();
