// The fake Intercom's outbox page. Plain JavaScript, no dependencies.
// Data is only ever shown through textContent and attributes, never parsed as markup.
"use strict";

const $ = (selector) => document.querySelector(selector);

// el("li", {class: "x", dataset: {key: "k"}}, "text", child): an element with text children.
function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "dataset") Object.assign(node.dataset, value);
    else if (name === "text") node.textContent = value;
    else if (name === "onclick") node.addEventListener("click", value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

// Only links of our own or web links become hrefs; anything else stays text.
function safeHref(url) {
  return /^(https?:\/\/|\/)/i.test(url) ? url : null;
}

function asText(value) {
  return typeof value === "string" ? value : JSON.stringify(value);
}

const clock = new Intl.DateTimeFormat(undefined, {
  hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
});

function time(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return el("time", {text: iso});
  const ms = String(date.getMilliseconds()).padStart(3, "0");
  return el("time", {datetime: iso, title: date.toString()}, `${clock.format(date)}.${ms}`);
}

function attributeChips(attributes) {
  const entries = Object.entries(attributes || {});
  if (!entries.length) return el("p", {class: "muted small"}, "no custom attributes");
  return el("ul", {class: "chips"}, ...entries.map(([key, value]) =>
    el("li", {}, el("span", {class: "key"}, key), el("span", {class: "eq"}, " = "),
      el("span", {class: "value"}, asText(value)))));
}

function attributeList(attributes) {
  const entries = Object.entries(attributes || {});
  if (!entries.length) return el("p", {class: "muted"}, "none");
  const list = el("dl", {class: "attributes"});
  for (const [key, value] of entries) list.append(el("dt", {}, key), el("dd", {}, asText(value)));
  return list;
}

// -- rendering -------------------------------------------------------------------------------
let state = null;
let lastData = "";
// The SMS already shown by this event stream: the others are new and flash once.
const seen = new Set();
let primed = false;

// Re-render a list, keeping keyboard focus on the element with the same data-key.
function replaceList(container, items) {
  const focused = document.activeElement;
  const key = focused && container.contains(focused) ? focused.dataset.key : undefined;
  container.replaceChildren(...items);
  if (key !== undefined) {
    const again = [...container.querySelectorAll("[data-key]")].find((n) => n.dataset.key === key);
    if (again) again.focus();
  }
}

// Whether the SMS's link already leads to this fake's Messenger page.
function isLocal(sms) {
  try {
    return new URL(sms.url).href === new URL(sms.page, window.location.href).href;
  } catch {
    return false;
  }
}

function renderMessages(outbox) {
  const fresh = primed;
  primed = true;
  const items = outbox.messages.map((sms) => {
    const href = safeHref(sms.url);
    const isNew = fresh && !seen.has(sms.request_id);
    seen.add(sms.request_id);
    const item = el("li", {class: isNew ? "sms new" : "sms", dataset: {id: sms.request_id}},
      el("div", {class: "sms-head"},
        el("button", {type: "button", class: "phone", dataset: {key: sms.request_id},
          "aria-label": `Details of the SMS to ${sms.phone}`,
          onclick: () => openDetail(sms)}, sms.phone),
        el("span", {class: "badge", title: "Intercom-Version"}, sms.version),
        time(sms.sent_at)),
      el("p", {class: "meta"},
        el("span", {class: "label"}, "request "), el("code", {}, sms.request_id)),
      el("p", {class: "meta link"},
        el("span", {class: "label"}, "link "),
        href ? el("a", {href, rel: "noreferrer", target: "_blank"}, sms.url) : el("span", {}, sms.url)),
      isLocal(sms) ? null : el("p", {class: "meta"}, el("span", {class: "label"}, "page "),
        el("a", {href: sms.page, target: "_blank"}, "the caller's Messenger page (here)")),
      attributeChips(sms.custom_attributes));
    return item;
  });
  replaceList($("#messages"), items);
  const count = outbox.filter === null
    ? `${outbox.kept}${outbox.total > outbox.kept ? ` of ${outbox.total}` : ""}`
    : `${outbox.matching} of ${outbox.kept}`;
  $("#outbox-count").textContent = count;
  const empty = $("#outbox-empty");
  empty.hidden = outbox.messages.length > 0;
  empty.textContent = outbox.filter === null
    ? "No SMS yet: send a phone switch to this fake and it shows up here."
    : "No SMS to a phone matching the filter.";
}

function renderContacts(contacts) {
  $("#contacts-count").textContent = String(contacts.count);
  $("#contacts-empty").hidden = contacts.contacts.length > 0;
  replaceList($("#contacts"), contacts.contacts.map((contact) =>
    el("li", {},
      el("div", {class: "sms-head"}, el("strong", {}, contact.phone), time(contact.updated_at)),
      attributeChips(contact.custom_attributes))));
}

function describeFault(fault) {
  if (!fault) return "none";
  const kind = state && state.faults.kinds.find((k) => k.kind === fault.kind);
  if (kind && kind.status) return `${fault.kind} ${fault.status}`;
  if (kind && kind.delay) return `${fault.kind} ${fault.delay}s`;
  return fault.kind;
}

function renderFaults(faults) {
  const select = $("#fault-kind");
  if (!select.options.length) {
    for (const kind of faults.kinds) select.append(el("option", {value: kind.kind}, kind.kind));
    syncFaultForm();
  }
  const pending = faults.pending.map(describeFault);
  const more = (faults.pending_count || 0) - pending.length;
  if (more > 0) pending.push(`and ${more} more`);
  const parts = [];
  parts.push(pending.length ? `Next requests: ${pending.join(", ")}.` : "No fault scripted.");
  if (faults.random) {
    parts.push(`Random: ${Math.round(faults.random.probability * 100)}% of requests ` +
      `(${faults.random.kinds.join(", ")}).`);
  }
  $("#faults-pending").textContent = parts.join(" ");
  $("#faults-empty").hidden = faults.log.length > 0;
  $("#fault-count-shown").textContent = String(faults.log.length);
  const items = faults.log.map((record) => el("li", {class: record.applied ? "" : "unapplied"},
    el("div", {class: "sms-head"},
      el("strong", {}, describeFault(record.fault)),
      el("span", {class: "muted"}, `request #${record.sequence}`),
      time(record.at)),
    el("p", {class: "meta"},
      `${record.phone || "no phone"} · `,
      record.status === null ? "connection dropped" : `answered ${record.status}`,
      ` · ${record.sms_recorded ? "SMS sent" : "no SMS"}`,
      record.applied ? "" : " · did not apply")));
  $("#fault-log").replaceChildren(...items);
}

function renderLimits(limits) {
  $("#limits-summary").textContent =
    `${limits.limit} calls per token every ${limits.window} s.` +
    (limits.tokens.length ? "" : " No token has called in this window.");
  replaceList($("#limits"), limits.tokens.map((token) => {
    const reset = new Date(token.reset * 1000);
    return el("li", {},
      el("div", {class: "sms-head"}, el("strong", {}, token.label),
        el("span", {class: "muted"}, `${token.used} used, ${token.remaining} left`)),
      el("progress", {max: limits.limit, value: token.used,
        "aria-label": `${token.label}: ${token.used} of ${limits.limit} calls used`}),
      el("p", {class: "muted small"}, `window ends ${clock.format(reset)}`));
  }));
}

function render(next) {
  state = next;
  renderMessages(next.outbox);
  renderContacts(next.contacts);
  renderFaults(next.faults);
  renderLimits(next.rate_limits);
  const settings = next.settings;
  $("#settings").textContent =
    `default Intercom-Version ${settings.default_version} · ${settings.tokens} token(s) accepted` +
    (settings.messenger_url ? " · Messenger links point here" : "");
}

// -- detail view -----------------------------------------------------------------------------
function openDetail(sms) {
  const dialog = $("#detail");
  $("#detail-title").textContent = `SMS to ${sms.phone}`;
  const facts = [
    ["Sent", time(sms.sent_at)],
    ["Phone", sms.phone],
    ["Intercom-Version", sms.version],
    ["Validated by", `the ${sms.spec_version} spec`],
    ["Request id", el("code", {}, sms.request_id)],
    ["Sequence", String(sms.sequence)],
    ["Messenger link", safeHref(sms.url) ? el("a", {href: sms.url, rel: "noreferrer", target: "_blank"}, sms.url) : sms.url],
    ["Messenger page", el("a", {href: sms.page, target: "_blank"}, sms.page)],
  ];
  $("#detail-facts").replaceChildren(...facts.flatMap(([name, value]) =>
    [el("dt", {}, name), el("dd", {}, value)]));
  $("#detail-attributes").replaceChildren(attributeList(sms.custom_attributes));
  const contact = state && state.contacts.contacts.find((c) => c.phone === sms.phone);
  $("#detail-contact").replaceChildren(contact
    ? attributeList(contact.custom_attributes)
    : el("p", {class: "muted"}, "no contact attributes"));
  dialog.dataset.id = sms.request_id;
  if (!dialog.open) dialog.showModal();
  $("#detail-close").focus();
}

// -- actions ---------------------------------------------------------------------------------
function notify(text, failed) {
  const notice = $("#notice");
  notice.textContent = text;
  notice.classList.toggle("failed", Boolean(failed));
  clearTimeout(notify.timer);
  notify.timer = setTimeout(() => { notice.textContent = ""; }, 4000);
}

async function admin(method, path, body, done) {
  try {
    const answer = await fetch(`/__fake__/${path}`, {
      method,
      headers: body === undefined ? {} : {"Content-Type": "application/json"},
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await answer.json().catch(() => ({}));
    if (!answer.ok) notify(`Refused: ${data.error || answer.status}`, true);
    else notify(done);
  } catch (error) {
    notify(`The fake did not answer: ${error.message}`, true);
  }
}

function syncFaultForm() {
  const kind = state && state.faults.kinds.find((k) => k.kind === $("#fault-kind").value);
  $("#fault-status-label").hidden = !(kind && kind.status);
  $("#fault-delay-label").hidden = !(kind && kind.delay);
}

function injectFault(event) {
  event.preventDefault();
  if (!state) return;
  const kind = state.faults.kinds.find((k) => k.kind === $("#fault-kind").value);
  if (!kind) return;
  const fault = {kind: kind.kind};
  if (kind.status) fault.status = Number($("#fault-status").value);
  if (kind.delay) fault.delay = Number($("#fault-delay").value);
  const count = Math.max(1, Math.min(100, Math.trunc(Number($("#fault-count").value)) || 1));
  const script = Array.from({length: count}, () => fault);
  admin("POST", "faults", {script},
    `${kind.kind} scripted for the next ${count === 1 ? "request" : `${count} requests`}.`);
}

// -- live updates ----------------------------------------------------------------------------
let source = null;

function connect() {
  if (source) source.close();
  seen.clear();
  primed = false;
  lastData = "";
  const phone = $("#filter").value;
  source = new EventSource(`/__fake__/events?phone=${encodeURIComponent(phone)}`);
  const live = $("#live");
  source.addEventListener("open", () => {
    live.dataset.state = "live";
    live.textContent = "live";
  });
  source.addEventListener("error", () => {
    live.dataset.state = "offline";
    live.textContent = "reconnecting…";
  });
  source.addEventListener("state", (event) => {
    live.dataset.state = "live";
    live.textContent = "live";
    if (event.data === lastData) return;
    lastData = event.data;
    render(JSON.parse(event.data));
  });
}

let filterTimer;
function onFilter() {
  clearTimeout(filterTimer);
  filterTimer = setTimeout(() => {
    const phone = $("#filter").value;
    const url = new URL(window.location.href);
    if (phone) url.searchParams.set("phone", phone);
    else url.searchParams.delete("phone");
    history.replaceState(null, "", url);
    connect();
  }, 150);
}

document.addEventListener("DOMContentLoaded", () => {
  $("#filter").value = new URL(window.location.href).searchParams.get("phone") || "";
  $("#filter").addEventListener("input", onFilter);
  $("#clear-outbox").addEventListener("click", () =>
    admin("DELETE", "outbox", undefined, "Outbox cleared."));
  $("#reset").addEventListener("click", () =>
    admin("POST", "reset", undefined, "Workspace reset: outbox, contacts, faults and budgets."));
  $("#fault-form").addEventListener("submit", injectFault);
  $("#fault-kind").addEventListener("change", syncFaultForm);
  $("#stop-faults").addEventListener("click", () =>
    admin("DELETE", "faults", undefined, "No more faults will be injected."));
  $("#detail-close").addEventListener("click", () => $("#detail").close());
  // The list may have been rebuilt while the dialog was open, so the browser's own focus
  // return would land on a removed button: focus the same SMS's button instead.
  $("#detail").addEventListener("close", (event) => {
    const key = event.currentTarget.dataset.id;
    const opener = [...$("#messages").querySelectorAll("button[data-key]")]
      .find((button) => button.dataset.key === key);
    if (opener) opener.focus();
  });
  $("#detail").addEventListener("click", (event) => {
    if (event.target === event.currentTarget) event.currentTarget.close();  // the backdrop
  });
  connect();
});
