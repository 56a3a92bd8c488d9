// The playground page: one Telegram-like chat per person, kept in sync by long polling the
// demo server. Plain JS, no build step and nothing fetched from the internet.
"use strict";

const SAFE_SCHEMES = ["http:", "https:", "mailto:", "tel:", "tg:"];
const STICKERS = ["👍", "🙏", "😢", "❤️", "😡", "🤝"];
const chats = new Map(); // person key -> chat controller

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function safeHref(url) {
  try {
    const parsed = new URL(url, window.location.href);
    return SAFE_SCHEMES.includes(parsed.protocol) ? parsed.href : null;
  } catch {
    return null;
  }
}

function toast(text) {
  const box = document.getElementById("toast");
  box.textContent = text;
  box.classList.add("shown");
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => box.classList.remove("shown"), 2500);
}

function showAlert(text) {
  const dialog = document.getElementById("alert");
  dialog.querySelector("p").textContent = text;
  if (!dialog.open) dialog.showModal();
}

async function api(path, options = {}) {
  const response = await fetch(path, options);
  if (!response.ok) {
    const reason = await response.text();
    const error = new Error(reason || response.statusText);
    error.status = response.status;
    throw error;
  }
  return response.json();
}

function postJson(path, body) {
  return api(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
}

// --- message entities (offsets are UTF-16 code units, like JavaScript strings) -------------

function entityNode(entity, chat, covered) {
  switch (entity.type) {
    case "bold": return el("b");
    case "italic": return el("i");
    case "underline": return el("u");
    case "strikethrough": return el("s");
    case "code": return el("code");
    case "pre": {
      const pre = el("pre");
      if (entity.language) pre.dataset.language = entity.language;
      return pre;
    }
    case "blockquote":
    case "expandable_blockquote": return el("blockquote");
    case "spoiler": {
      const span = el("span", "spoiler");
      span.title = "Spoiler: click to reveal";
      span.addEventListener("click", () => span.classList.add("revealed"));
      return span;
    }
    case "text_link":
    case "url":
    case "email":
    case "phone_number": {
      const target = entity.type === "text_link" ? entity.url
        : entity.type === "email" ? `mailto:${covered}`
        : entity.type === "phone_number" ? `tel:${covered.replace(/[^+\d]/g, "")}`
        : (/^[a-z]+:/i.test(covered) ? covered : `http://${covered}`);
      const href = safeHref(target);
      if (!href) return el("span", "link");
      const a = el("a");
      a.href = href;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      return a;
    }
    case "bot_command": {
      // As in Telegram: tapping a command in a message sends it.
      const a = el("a", "command");
      a.href = "#";
      a.addEventListener("click", (event) => {
        event.preventDefault();
        chat.sendText(covered.split("@")[0]);
      });
      return a;
    }
    case "mention":
    case "hashtag":
    case "cashtag":
    case "text_mention": return el("span", "link");
    default: return el("span");
  }
}

function renderText(text, entities, chat) {
  const sorted = [...(entities || [])].sort((a, b) => a.offset - b.offset || b.length - a.length);
  function build(start, end, list) {
    const fragment = document.createDocumentFragment();
    let position = start;
    let index = 0;
    while (index < list.length) {
      const entity = list[index];
      const entityEnd = Math.min(entity.offset + entity.length, end);
      if (entity.offset < position || entity.offset >= end) { index += 1; continue; }
      const inner = [];
      index += 1;
      while (index < list.length && list[index].offset < entityEnd) {
        if (list[index].offset + list[index].length <= entityEnd) inner.push(list[index]);
        index += 1;
      }
      fragment.append(text.slice(position, entity.offset));
      const node = entityNode(entity, chat, text.slice(entity.offset, entityEnd));
      node.append(build(entity.offset, entityEnd, inner));
      fragment.append(node);
      position = entityEnd;
    }
    fragment.append(text.slice(position, end));
    return fragment;
  }
  return build(0, text.length, sorted);
}

// --- one message -----------------------------------------------------------------------------

function renderMedia(message) {
  const media = message.media;
  const box = el("div", "media");
  if (message.kind === "sticker") {
    // The emulator's stickers are tiny samples, not pictures: show the emoji, as a client
    // shows a sticker that has not loaded yet.
    box.append(el("span", "sticker", media.emoji || "🖼"));
  } else if (message.kind === "photo") {
    const img = el("img");
    img.src = media.url;
    img.alt = "photo";
    img.loading = "lazy";
    const link = el("a");
    link.href = media.url;
    link.target = "_blank";
    link.rel = "noopener";
    link.append(img);
    box.append(link);
  } else if (message.kind === "video" || message.kind === "animation" || message.kind === "video_note") {
    const video = el("video");
    video.src = media.url;
    video.controls = true;
    box.append(video);
  } else if (message.kind === "voice" || message.kind === "audio") {
    const audio = el("audio");
    audio.src = media.url;
    audio.controls = true;
    box.append(el("span", "media-label", message.kind === "voice" ? "🎤 Voice message" : "🎵 Audio"), audio);
  } else {
    const link = el("a", "document");
    link.href = media.url;
    link.target = "_blank";
    link.rel = "noopener";
    link.append(el("span", "doc-icon", "📄"), el("span", "doc-name", media.name || "document"));
    box.append(link);
  }
  return box;
}

function renderMessage(message, chat) {
  const row = el("div", `message ${message.from_bot ? "in" : "out"}`);
  row.dataset.id = message.id;
  const bubble = el("div", "bubble");
  if (message.media) {
    const media = renderMedia(message);
    // A picture grows the chat when it has loaded: stay at the newest message.
    for (const node of media.querySelectorAll("img, video")) {
      node.addEventListener(node.tagName === "IMG" ? "load" : "loadedmetadata", () => chat.showNewest());
    }
    bubble.append(media);
  }
  if (message.location) {
    const { latitude, longitude } = message.location;
    bubble.append(el("div", "location", `📍 Location ${latitude.toFixed(5)}, ${longitude.toFixed(5)}`));
  }
  if (message.contact) {
    const c = message.contact;
    bubble.append(el("div", "contact", `👤 ${[c.first_name, c.last_name].filter(Boolean).join(" ")} · ${c.phone_number}`));
  }
  if (message.text) {
    const body = el("div", "text");
    body.append(renderText(message.text, message.entities, chat));
    bubble.append(body);
  }
  const meta = el("div", "meta");
  if (message.edited) meta.append(el("span", "edited", "edited"));
  const time = new Date(message.date * 1000);
  meta.append(el("time", "", time.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })));
  bubble.append(meta);
  row.append(bubble);
  if (message.buttons.length) {
    const keyboard = el("div", "inline-keyboard");
    for (const buttons of message.buttons) {
      const line = el("div", "row");
      for (const button of buttons) {
        const b = el("button", "inline", button.text);
        b.type = "button";
        if (button.url) {
          b.classList.add("url");
          b.addEventListener("click", () => {
            const href = safeHref(button.url);
            if (href) window.open(href, "_blank", "noopener");
          });
        } else if (button.data !== null) {
          b.addEventListener("click", () => chat.press(message.id, button.data, b));
        }
        line.append(b);
      }
      keyboard.append(line);
    }
    row.append(keyboard);
  }
  return row;
}

// --- one chat --------------------------------------------------------------------------------

class Chat {
  constructor(person, bot, root, tab) {
    this.person = person;
    this.root = root;
    this.tab = tab;
    this.version = -1;
    this.rendered = new Map(); // message id -> {key, node}
    this.unread = 0;
    this.list = root.querySelector(".messages");
    this.replyKeyboard = root.querySelector(".reply-keyboard");
    this.input = root.querySelector(".text");
    root.dataset.person = person.key;
    root.id = `chat-${person.key}`;
    root.querySelector(".bot-name").textContent = bot.name;
    root.querySelector(".persona").textContent = `${person.title}: ${person.name}`;
    root.querySelector(".start").addEventListener("click", () => this.sendText("/start"));
    root.querySelector(".composer").addEventListener("submit", (event) => {
      event.preventDefault();
      const text = this.input.value.trim();
      if (!text) return;
      this.input.value = "";
      this.sendText(text);
    });
    const file = root.querySelector("input[type=file]");
    file.addEventListener("change", () => {
      if (file.files.length) this.sendFile(file.files[0]);
      file.value = "";
    });
    root.querySelector(".voice").addEventListener("click", () => this.sendVoice());
    this.buildStickers();
    this.menu = root.querySelector(".commands");
    root.querySelector(".menu").addEventListener("click", () => {
      this.menu.hidden = !this.menu.hidden;
    });
    this.buildCommandMenu(person.commands);
    // Follow the newest message unless the person scrolled up to read older ones.
    this.stick = true;
    this.list.addEventListener("scroll", () => {
      if (this.list.clientHeight) this.stick = this.distanceFromBottom() < 80;
    });
  }

  distanceFromBottom() {
    return this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight;
  }

  // A chat hidden behind a tab (phones) has no height, so it cannot be scrolled while hidden:
  // it is scrolled to the newest message when its tab is opened.
  showNewest() {
    if (this.stick) this.list.scrollTop = this.list.scrollHeight;
  }

  base() { return `/api/chats/${encodeURIComponent(this.person.key)}`; }

  // The chat's own command list (a staff member's differs from a resident's, and changes with
  // their role): rebuilt whenever the server's list changes.
  buildCommandMenu(commands) {
    const key = JSON.stringify(commands || []);
    if (key === this.commandsKey) return;
    this.commandsKey = key;
    this.menu.replaceChildren();
    for (const command of commands || []) {
      const item = el("button", "command-item");
      item.type = "button";
      item.dataset.command = command.command;
      item.append(el("span", "name", `/${command.command}`), el("span", "description", command.description));
      item.addEventListener("click", () => {
        this.menu.hidden = true;
        this.sendText(`/${command.command}`);
      });
      this.menu.append(item);
    }
  }

  buildStickers() {
    const panel = this.root.querySelector(".stickers");
    for (const emoji of STICKERS) {
      const item = el("button", "sticker-item", emoji);
      item.type = "button";
      item.title = `Send the ${emoji} sticker`;
      item.addEventListener("click", () => {
        panel.hidden = true;
        this.sendSticker(emoji);
      });
      panel.append(item);
    }
    this.root.querySelector(".sticker-button").addEventListener("click", () => {
      panel.hidden = !panel.hidden;
    });
  }

  async sendText(text) {
    try {
      this.apply(await postJson(`${this.base()}/send`, { text }));
    } catch (error) {
      toast(`Not sent: ${error.message}`);
    }
  }

  async sendVoice() {
    try {
      this.apply(await postJson(`${this.base()}/voice`, { duration: 5 }));
    } catch (error) {
      toast(`Not sent: ${error.message}`);
    }
  }

  async sendSticker(emoji) {
    try {
      this.apply(await postJson(`${this.base()}/sticker`, { emoji }));
    } catch (error) {
      toast(`Not sent: ${error.message}`);
    }
  }

  async sendFile(file) {
    const form = new FormData();
    form.append("file", file, file.name);
    const caption = this.input.value.trim();
    if (caption) form.append("caption", caption);
    this.input.value = "";
    try {
      this.apply(await api(`${this.base()}/photo`, { method: "POST", body: form }));
    } catch (error) {
      toast(`Not sent: ${error.message}`);
    }
  }

  async press(messageId, data, button) {
    button.classList.add("busy");
    try {
      const result = await postJson(`${this.base()}/press`, { message_id: messageId, data });
      const answer = result.answer;
      if (answer && answer.text) (answer.alert ? showAlert : toast)(answer.text);
    } catch (error) {
      toast(`The button did not work: ${error.message}`);
    } finally {
      button.classList.remove("busy");
    }
  }

  async tapReply(text) {
    try {
      this.apply(await postJson(`${this.base()}/reply`, { text }));
    } catch (error) {
      if (error.status !== 409) toast(`Not sent: ${error.message}`);
    }
  }

  apply(snapshot) {
    if (snapshot.version <= this.version) return;
    const fresh = this.version >= 0;
    this.version = snapshot.version;
    if (snapshot.commands) this.buildCommandMenu(snapshot.commands);
    const seen = new Set();
    let previous = null;
    let added = 0;
    for (const message of snapshot.messages) {
      seen.add(message.id);
      const key = JSON.stringify(message);
      let entry = this.rendered.get(message.id);
      if (!entry || entry.key !== key) {
        const node = renderMessage(message, this);
        if (entry) {
          entry.node.replaceWith(node);
          node.classList.add("flash");
        } else {
          added += message.from_bot ? 1 : 0;
        }
        entry = { key, node };
        this.rendered.set(message.id, entry);
      }
      // Keep DOM order equal to chat order without touching nodes that are already in place.
      const expected = previous ? previous.nextSibling : this.list.firstChild;
      if (expected !== entry.node) this.list.insertBefore(entry.node, expected);
      previous = entry.node;
    }
    for (const [id, entry] of this.rendered) {
      if (!seen.has(id)) {
        entry.node.remove(); // deleted in the chat (by the bot, or /hapus)
        this.rendered.delete(id);
      }
    }
    this.root.classList.toggle("is-empty", snapshot.messages.length === 0);
    this.renderReplyKeyboard(snapshot.keyboard);
    if (!fresh) this.stick = true;
    this.showNewest();
    if (fresh && added && !this.root.classList.contains("active")) {
      this.unread += added;
      this.tab.dataset.unread = String(this.unread);
    }
  }

  renderReplyKeyboard(rows) {
    const key = JSON.stringify(rows);
    if (key === this.keyboardKey) return;
    this.keyboardKey = key;
    this.replyKeyboard.replaceChildren();
    for (const buttons of rows || []) {
      const line = el("div", "row");
      for (const button of buttons) {
        const b = el("button", "reply", button.text);
        b.type = "button";
        b.dataset.text = button.text;
        if (button.contact) b.title = `Shares ${this.person.name}'s phone number (${this.person.phone})`;
        if (button.location) b.title = "Shares the demo location (Palangka Raya)";
        b.addEventListener("click", () => this.tapReply(button.text));
        line.append(b);
      }
      this.replyKeyboard.append(line);
    }
  }

  markRead() {
    this.unread = 0;
    delete this.tab.dataset.unread;
  }

  async poll() {
    // Long poll: the server answers when the chat changes (or after ~20 s of quiet).
    for (;;) {
      try {
        this.apply(await api(`${this.base()}?after=${this.version}`));
        document.body.classList.remove("offline");
      } catch {
        document.body.classList.add("offline");
        await new Promise((resolve) => setTimeout(resolve, 1500));
      }
    }
  }
}

// --- page ------------------------------------------------------------------------------------

function activate(key) {
  for (const [other, chat] of chats) {
    const active = other === key;
    chat.root.classList.toggle("active", active);
    chat.tab.setAttribute("aria-selected", String(active));
    if (active) {
      chat.markRead();
      chat.showNewest();
    }
  }
  history.replaceState(null, "", `#${key}`);
}

async function main() {
  let info;
  for (;;) {
    try {
      info = await api("/api/people");
      break;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 1500));
    }
  }
  const template = document.getElementById("chat-template");
  const container = document.getElementById("chats");
  const tabs = document.querySelector(".tabs");
  for (const person of info.people) {
    const root = template.content.firstElementChild.cloneNode(true);
    const tab = el("button", "tab", person.title);
    tab.type = "button";
    tab.setAttribute("role", "tab");
    tab.setAttribute("aria-controls", `chat-${person.key}`);
    tab.addEventListener("click", () => activate(person.key));
    tabs.append(tab);
    container.append(root);
    const chat = new Chat(person, info.bot, root, tab);
    root.addEventListener("click", () => chat.markRead());
    chats.set(person.key, chat);
  }
  const wanted = window.location.hash.slice(1);
  activate(chats.has(wanted) ? wanted : info.people[0].key);
  for (const chat of chats.values()) chat.poll();
}

main();
