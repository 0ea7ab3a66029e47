// The playground page: every action posts JSON to /ui/<what>; the pane is fetched again
// whenever the stand-in's version changes (polled), so what the bot does shows up.
"use strict";
(function () {
  const body = document.body;
  const state = {
    person: body.dataset.person,
    channel: body.dataset.channel,
    home: body.dataset.home === "1",
    thread: null,
    version: -1,
  };

  function query() {
    const q = new URLSearchParams({ as: state.person });
    if (state.home) q.set("home", "1"); else q.set("c", state.channel);
    return q.toString();
  }

  async function post(what, data) {
    const resp = await fetch("/ui/" + what, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(Object.assign({ as: state.person }, data)),
    });
    if (!resp.ok) showNotice(await resp.text());
    await refresh(true);
  }

  function showNotice(text) {
    const div = document.createElement("div");
    div.className = "notice";
    div.textContent = text;
    document.getElementById("pane").prepend(div);
  }

  async function refresh(force) {
    const resp = await fetch("/ui/pane?" + query());
    if (!resp.ok) return;
    const data = await resp.json();
    if (!force && data.version === state.version) return;
    state.version = data.version;
    document.getElementById("pane").innerHTML = data.pane;
    const nav = document.querySelector(".sidebar");
    const focused = document.activeElement && nav.contains(document.activeElement);
    if (!focused) nav.innerHTML = data.sidebar;
    const modal = document.getElementById("modal");
    if (modal.dataset.key !== data.modal_key) {
      modal.dataset.key = data.modal_key;
      modal.innerHTML = data.modal;
    }
  }

  async function poll() {
    try {
      const resp = await fetch("/ui/version");
      const data = await resp.json();
      if (data.version !== state.version) await refresh(false);
    } catch (e) { /* the playground stopped */ }
    setTimeout(poll, 600);
  }

  function navigate(params) {
    location.search = params;
  }

  function formValues(root) {
    const form = {};
    root.querySelectorAll("[data-action]").forEach((el) => {
      const name = el.dataset.action;
      let value;
      if (el.type === "checkbox" || el.type === "radio") {
        if (!el.checked) { if (!(name in form)) form[name] = []; return; }
        value = el.value;
      } else if (el.tagName === "SELECT" && el.multiple) {
        value = Array.from(el.selectedOptions).map((o) => o.value);
      } else {
        value = el.value;
      }
      if (el.type === "checkbox") {
        form[name] = (form[name] || []).concat([value]);
      } else {
        form[name] = value;
      }
    });
    return form;
  }

  function messageOf(el) {
    const msg = el.closest(".msg");
    return msg ? { channel: msg.dataset.channel, ts: msg.dataset.ts,
      ephemeral: msg.dataset.ephemeral === "1" } : null;
  }

  function actOn(el) {
    const view = el.closest("[data-view]");
    const modal = el.closest(".modal");
    if (modal && el.closest(".b-input")) return; // an input: sent with the submission
    let where, value;
    if (view) {
      where = Object.assign({ view_id: view.dataset.view }, formValues(view));
    } else {
      where = messageOf(el);
      if (!where) return;
    }
    if (el.tagName === "BUTTON") {
      if (el.dataset.url) window.open(el.dataset.url, "_blank", "noopener");
      value = el.dataset.value;
    } else if (el.type === "checkbox") {
      value = Array.from(el.closest(".choices").querySelectorAll("input:checked"))
        .map((i) => i.value);
    } else if (el.tagName === "SELECT" && el.multiple) {
      value = Array.from(el.selectedOptions).map((o) => o.value);
    } else {
      value = el.value;
    }
    post("action", { where: where, name: el.dataset.action, value: value });
  }

  document.addEventListener("click", (ev) => {
    const el = ev.target.closest("button, a.nav");
    if (!el) return;
    if (el.matches("a.nav")) {
      ev.preventDefault();
      const key = el.dataset.nav;
      if (key === "home") {
        post("home", {});
        navigate("as=" + state.person + "&home=1");
      } else {
        navigate("as=" + state.person + "&c=" + encodeURIComponent(key));
      }
      return;
    }
    if (el.id === "fire-alert") return post("alert", {});
    if (el.id === "shortcut-declare") {
      return post("shortcut", { callback_id: "declare_incident", channel: state.channel });
    }
    if (el.id === "cancel-reply") { setThread(null); return; }
    if (el.dataset.close) {
      return post("close", { view_id: el.closest(".modal").dataset.view });
    }
    const msg = messageOf(el);
    if (el.dataset.react && msg) {
      return post("react", { channel: msg.channel, ts: msg.ts, name: el.dataset.react });
    }
    if (el.dataset.reply && msg) { setThread(msg.ts); return; }
    if (el.dataset.delete && msg) return post("delete", { channel: msg.channel, ts: msg.ts });
    if (el.dataset.shortcut && msg) {
      return post("shortcut", { callback_id: el.dataset.shortcut, channel: msg.channel,
        ts: msg.ts });
    }
    if (el.dataset.action) actOn(el);
  });

  document.addEventListener("change", (ev) => {
    const el = ev.target;
    if (el.id === "person") {
      const q = new URLSearchParams(location.search);
      q.set("as", el.value);
      navigate(q.toString());
      return;
    }
    if (el.dataset.action && el.tagName !== "TEXTAREA" && el.type !== "text") actOn(el);
  });

  document.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const form = ev.target;
    if (form.id === "composer") {
      const text = document.getElementById("text");
      const value = text.value;
      text.value = "";
      post("say", { channel: state.channel, text: value, thread_ts: state.thread });
      return;
    }
    if (form.classList.contains("modal")) {
      post("submit", { view_id: form.dataset.view, form: formValues(form) });
    }
  });

  document.addEventListener("keydown", (ev) => {
    if (ev.target.id === "text" && ev.key === "Enter" && !ev.shiftKey) {
      ev.preventDefault();
      document.getElementById("composer").requestSubmit();
    }
  });

  function setThread(ts) {
    state.thread = ts;
    document.getElementById("replying").hidden = !ts;
    document.getElementById("text").focus();
  }

  if (state.home) post("home", {});
  refresh(true).then(poll);
})();
