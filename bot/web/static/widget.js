// The chat widget: talks to the page's own /api/chat, keeps the conversation across reloads,
// renders every text with textContent (never as HTML), shows a reconnect state when the bot
// is down. Plain JavaScript: nothing to build, nothing fetched from elsewhere.
(() => {
  "use strict";

  const STORE_KEY = "aftersales-chat-v1";
  const HEALTH_RETRY_MS = 3000;
  // Like the bot's own session: after 30 silent minutes a shared computer's next customer
  // starts a new chat and does not inherit this one's proofs or transcript.
  const IDLE_MS = 30 * 60 * 1000;
  const MAX_MESSAGES = 200;
  const el = (id) => document.getElementById(id);
  const panel = el("chat-panel");
  const list = el("chat-messages");
  const input = el("chat-input");
  const typing = el("chat-typing");
  const offline = el("chat-offline");

  function randomId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function load() {
    try {
      const saved = JSON.parse(localStorage.getItem(STORE_KEY) || "{}");
      if (saved && typeof saved === "object") return saved;
    } catch (_) { /* a damaged entry starts a new chat */ }
    return {};
  }

  // sender: this browser's conversation (random, so nobody can guess it); messages: what was
  // said, for the reload; signedInAs: the demo sign-in. The token itself is never stored.
  const state = Object.assign({ messages: [], open: false, signedInAs: "", lastActive: 0 }, load());
  let token = null;
  function newChat() {
    state.sender = "web-" + randomId();
    state.messages = [];
    list.replaceChildren();
  }
  if (!state.sender || Date.now() - state.lastActive > IDLE_MS) newChat();
  const save = () => {
    state.lastActive = Date.now();
    // An upload button's token is a credential: it lives in this page only, never on disk
    // (after a reload the button is gone; the status answer says what was received).
    const kept = JSON.stringify(state, (key, value) => (key === "upload" ? undefined : value));
    localStorage.setItem(STORE_KEY, kept);
  };

  function bubble(message) {
    const item = document.createElement("li");
    item.className = "chat-message " + message.from;
    const text = document.createElement("div");
    text.className = "bubble";
    text.textContent = message.text; // text only, never parsed as HTML: customer and bot text stay text
    item.appendChild(text);
    if (message.buttons && message.buttons.length) {
      const row = document.createElement("div");
      row.className = "chat-buttons";
      for (const button of message.buttons) {
        const b = document.createElement("button");
        b.type = "button";
        b.textContent = button.title;
        b.addEventListener("click", () => send(button.payload, button.title));
        row.appendChild(b);
      }
      item.appendChild(row);
    }
    if (message.upload) item.appendChild(uploadControl(message.upload));
    list.appendChild(item);
    list.scrollTop = list.scrollHeight;
  }

  // The photo upload the bot asked for: a button opening the phone's camera or gallery;
  // the files go to this page's /upload with the link's token, and the page answers in JSON.
  function uploadControl(uploadToken) {
    const row = document.createElement("div");
    row.className = "chat-buttons chat-upload";
    const picker = document.createElement("input");
    picker.type = "file";
    picker.accept = "image/jpeg,image/png,image/webp";
    picker.multiple = true;
    picker.hidden = true;
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = "上传照片";
    b.addEventListener("click", () => picker.click());
    picker.addEventListener("change", () => {
      if (picker.files.length) uploadPhotos(uploadToken, picker.files, b);
      picker.value = "";
    });
    row.append(b, picker);
    return row;
  }

  async function uploadPhotos(uploadToken, files, button) {
    const form = new FormData();
    for (const file of files) form.append("photo", file, file.name);
    button.disabled = true;
    typing.hidden = false;
    try {
      const reply = await fetch("/upload?t=" + encodeURIComponent(uploadToken), {
        method: "POST",
        headers: { Accept: "application/json" },
        body: form,
      });
      const answer = await reply.json().catch(() => ({}));
      const refused = (answer.files || []).filter((f) => !f.kept).map((f) => f.reason);
      const lines = new Set([answer.message || "照片没有上传成功，请稍后再试。", ...refused]);
      const text = [...lines].join("\n");
      add({ from: "bot", text, buttons: [] });
    } catch (_) {
      add({ from: "bot", text: "照片没有上传成功，网络恢复后请再传一次。", buttons: [] });
    } finally {
      button.disabled = false;
      typing.hidden = true;
    }
  }

  function add(message) {
    state.messages.push(message);
    state.messages = state.messages.slice(-MAX_MESSAGES);
    save();
    bubble(message);
  }

  function setOffline(down) {
    offline.hidden = !down;
    if (down) setTimeout(checkHealth, HEALTH_RETRY_MS);
  }

  async function checkHealth() {
    try {
      const reply = await fetch("/api/health", { cache: "no-store" });
      setOffline(!reply.ok);
    } catch (_) {
      setOffline(true);
    }
  }

  // `text` goes to the bot; `shown` is what the customer sees they said (a button's title).
  async function send(text, shown) {
    if (!text) return;
    if (shown !== null) add({ from: "user", text: shown || text });
    typing.hidden = false;
    const metadata = token ? { customer_token: token } : {};
    try {
      const reply = await fetch("/api/chat", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ sender: state.sender, message: text, metadata }),
      });
      if (reply.status === 429) {
        const why = await reply.text();
        add({
          from: "bot",
          text: why.includes("conversations")
            ? "这个网络下打开的对话太多了，请稍后再试，或回到原来的对话继续。"
            : "请稍等，上一条消息还在处理中。",
          buttons: [],
        });
        return;
      }
      if (!reply.ok) throw new Error("status " + reply.status);
      setOffline(false);
      const said = [];
      for (const answer of await reply.json()) {
        const upload = answer.custom && answer.custom.photo_upload;
        if (upload && typeof upload.token === "string" && said.length) {
          said[said.length - 1].upload = upload.token; // the button under the request's text
        } else if (answer.text || (answer.buttons && answer.buttons.length)) {
          said.push({ from: "bot", text: answer.text || "", buttons: answer.buttons || [] });
        }
      }
      said.forEach(add);
    } catch (_) {
      setOffline(true);
      add({ from: "bot", text: "消息没有发送成功，网络恢复后请再发一次。", buttons: [] });
    } finally {
      typing.hidden = true;
    }
  }

  function openPanel(open) {
    panel.hidden = !open;
    state.open = open;
    save();
    if (open) {
      input.focus();
      if (!state.messages.length) send("/greet", null); // the greeting, with the four jobs
    }
  }

  async function fetchToken(who) {
    token = null;
    if (!who) return;
    const reply = await fetch("/demo/token?customer=" + encodeURIComponent(who));
    if (reply.ok) token = (await reply.json()).token;
  }

  // Another person at the keyboard: a new chat, so nothing proved before carries over.
  async function signInAs(who) {
    state.signedInAs = who;
    newChat();
    save();
    await fetchToken(who);
    if (!panel.hidden) send("/greet", null);
  }

  async function offerDemoSignIn() {
    const probe = await fetch("/demo/token?customer=zhangwei").catch(() => null);
    if (!probe || !probe.ok) return; // not a demo server: no switch
    const select = el("sign-in-as");
    select.value = state.signedInAs || "";
    await fetchToken(state.signedInAs);
    select.addEventListener("change", () => signInAs(select.value));
    el("sign-in").hidden = false;
  }

  el("chat-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    input.value = "";
    send(text);
  });
  el("chat-launcher").addEventListener("click", () => openPanel(panel.hidden));
  el("chat-close").addEventListener("click", () => openPanel(false));

  state.messages.forEach(bubble);
  if (state.open) openPanel(true);
  offerDemoSignIn();
})();
