// Stockroom web UI: plain JavaScript, no framework. Every write goes to
// the /v1 JSON API with the session's CSRF token.
"use strict";
(function () {
  const $ = (s, el) => (el || document).querySelector(s);
  const $$ = (s, el) => Array.from((el || document).querySelectorAll(s));
  const csrf = () => ($('meta[name="csrf-token"]') || {}).content || "";

  function say(msg) {
    const s = $("#status");
    if (!s) return;
    s.textContent = msg;
    clearTimeout(say.t);
    say.t = setTimeout(() => { s.textContent = ""; }, 6000);
  }

  // post sends form fields (arrays repeat the key) and returns the JSON.
  async function post(path, fields) {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(fields || {})) {
      if (Array.isArray(v)) { if (v.length === 0) body.append(k, ""); v.forEach((x) => body.append(k, x)); }
      else if (v !== undefined && v !== null) body.append(k, v);
    }
    const res = await fetch(path, { method: "POST", body, credentials: "same-origin", headers: { "X-CSRF-Token": csrf() } });
    const data = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(data.error || data.message || res.status + " " + res.statusText);
    return data;
  }
  async function get(path) {
    const res = await fetch(path, { credentials: "same-origin" });
    const data = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(data.error || res.statusText);
    return data;
  }
  const names = (s) => (s || "").split(",").map((x) => x.trim()).filter(Boolean);

  // ids finds (or, when create is set, makes) the tags or groups named.
  async function ids(kind, list, create) {
    const out = [];
    for (const name of list) {
      const found = await get("/v1/" + kind + "s?name=" + encodeURIComponent(name) + "&MaxResults=100");
      const hit = (found || []).find((x) => x.Name.toLowerCase() === name.toLowerCase());
      if (hit) out.push(hit.ID);
      else if (create) out.push((await post("/v1/" + kind, { name })).ID);
      else throw new Error("no " + kind + " is named " + name);
    }
    return out;
  }

  // Tag autocomplete: the datalist offers the text so far plus a tag.
  function autocomplete(input) {
    const list = $("#tag-list");
    if (!input || !list) return;
    let last = "";
    input.addEventListener("input", async () => {
      const parts = input.value.split(",");
      const word = parts.pop().trim();
      if (word === last || word === "") return;
      last = word;
      try {
        const tags = await get("/v1/tags?name=" + encodeURIComponent(word) + "&MaxResults=15");
        const head = parts.map((p) => p.trim()).filter(Boolean);
        list.replaceChildren(...tags.map((t) => {
          const o = document.createElement("option");
          o.value = head.concat([t.Name]).join(", ");
          return o;
        }));
      } catch (e) { /* suggestions are optional */ }
    });
  }
  ["#f-tags", "#up-tags", "#e-tags", "#bulk-value"].forEach((s) => autocomplete($(s)));

  // Sign in and out.
  const login = $("#login-form");
  if (login) {
    login.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const err = $("#login-error");
      err.hidden = true;
      try {
        await post("/v1/auth/login", { username: $("#username").value, password: $("#password").value });
        location.assign(login.dataset.next || "/");
      } catch (e) { err.textContent = e.message; err.hidden = false; }
    });
  }
  const logout = $("#logout");
  if (logout) logout.addEventListener("click", async () => {
    try { await post("/v1/auth/logout"); } finally { location.assign("/ui/login"); }
  });

  // --- Upload -----------------------------------------------------------
  const drop = $("#dropzone");
  if (drop) {
    const input = $("#file-input");
    drop.addEventListener("keydown", (ev) => { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); input.click(); } });
    ["dragenter", "dragover"].forEach((t) => drop.addEventListener(t, (ev) => { ev.preventDefault(); drop.classList.add("over"); }));
    ["dragleave", "drop"].forEach((t) => drop.addEventListener(t, () => drop.classList.remove("over")));
    drop.addEventListener("drop", async (ev) => {
      ev.preventDefault();
      uploadAll(await droppedFiles(ev.dataTransfer));
    });
    input.addEventListener("change", () => { uploadAll(Array.from(input.files)); input.value = ""; });
  }

  // droppedFiles walks dropped folders too.
  async function droppedFiles(dt) {
    const entries = Array.from(dt.items || []).map((i) => i.webkitGetAsEntry && i.webkitGetAsEntry()).filter(Boolean);
    if (entries.length === 0 || !entries.some((e) => e.isDirectory)) return Array.from(dt.files);
    const out = [];
    async function walk(e) {
      if (e.isFile) { out.push(await new Promise((ok, no) => e.file(ok, no))); return; }
      const reader = e.createReader();
      for (;;) {
        const batch = await new Promise((ok, no) => reader.readEntries(ok, no));
        if (batch.length === 0) break;
        for (const c of batch) await walk(c);
      }
    }
    for (const e of entries) await walk(e);
    return out;
  }

  async function uploadAll(files) {
    if (files.length === 0) return;
    let tagIDs = [], groupIDs = [];
    try {
      tagIDs = await ids("tag", names($("#up-tags").value), true);
      groupIDs = await ids("group", names($("#up-groups").value), true);
    } catch (e) { say("Upload stopped: " + e.message); return; }
    const list = $("#uploads");
    const overall = $("#overall-bar");
    $("#overall").hidden = false;
    const total = files.reduce((n, f) => n + f.size, 0) || 1;
    const done = new Array(files.length).fill(0);
    const rows = files.map((f) => {
      const li = document.createElement("li");
      const label = document.createElement("span");
      label.textContent = f.name;
      const bar = document.createElement("progress");
      bar.max = 100; bar.value = 0; bar.setAttribute("aria-label", "Upload of " + f.name);
      const result = document.createElement("span");
      result.className = "result";
      li.append(label, bar, result);
      list.append(li);
      return { bar, result, li };
    });
    let next = 0, ok = 0;
    async function worker() {
      while (next < files.length) {
        const i = next++;
        const r = await send(files[i], tagIDs, groupIDs, (loaded) => {
          done[i] = loaded;
          rows[i].bar.value = files[i].size ? (100 * loaded) / files[i].size : 100;
          overall.value = (100 * done.reduce((a, b) => a + b, 0)) / total;
        });
        rows[i].bar.value = 100;
        rows[i].li.dataset.state = r.state;
        if (r.state === "ok") {
          ok++;
          const a = document.createElement("a");
          a.href = "/ui/resource/" + r.id; a.textContent = "Uploaded: open";
          rows[i].result.append(a);
        } else if (r.state === "duplicate") {
          const a = document.createElement("a");
          a.href = "/ui/resource/" + r.id; a.textContent = "Already in the library: open the existing resource";
          rows[i].result.append(a);
        } else rows[i].result.textContent = "Failed: " + r.error;
      }
    }
    await Promise.all([worker(), worker()]);
    overall.value = 100;
    say(ok + " of " + files.length + " uploaded");
    if (ok > 0) refreshTiles();
  }

  function send(file, tagIDs, groupIDs, progress) {
    return new Promise((resolve) => {
      const fd = new FormData();
      tagIDs.forEach((t) => fd.append("Tags", t));
      groupIDs.forEach((g) => fd.append("Groups", g));
      fd.append("resource", file, file.name);
      const xhr = new XMLHttpRequest();
      xhr.open("POST", "/v1/resource");
      xhr.setRequestHeader("X-CSRF-Token", csrf());
      xhr.upload.onprogress = (ev) => progress(ev.loaded * (file.size / (ev.total || 1)));
      xhr.onload = () => {
        let body = {};
        try { body = JSON.parse(xhr.responseText); } catch (e) { /* not JSON */ }
        if (xhr.status >= 200 && xhr.status < 300) {
          const r = Array.isArray(body) ? body[0] : body;
          resolve({ state: "ok", id: r && r.ID });
        } else if (xhr.status === 409 && body.existingResourceId) resolve({ state: "duplicate", id: body.existingResourceId });
        else resolve({ state: "error", error: body.error || xhr.statusText });
      };
      xhr.onerror = () => resolve({ state: "error", error: "network error" });
      xhr.send(fd);
    });
  }

  // refreshTiles reloads the grid's tiles and count in place, keeping
  // the upload results on screen.
  async function refreshTiles() {
    const res = await fetch(location.href, { credentials: "same-origin" });
    const doc = new DOMParser().parseFromString(await res.text(), "text/html");
    for (const s of ["#tiles", ".toolbar .count", ".pager"]) {
      const a = $(s), b = $(s, doc);
      if (a && b) a.replaceWith(document.importNode(b, true));
    }
    const empty = $(".empty");
    if (empty && $$("#tiles .tile").length) empty.remove();
    selection.clear(); bindTiles();
  }

  // --- Grid: keyboard and selection ---------------------------------------
  const selection = new Set();
  let anchor = -1;
  function tiles() { return $$("#tiles .tile"); }
  function bindTiles() {
    const box = $("#tiles");
    if (!box || box.dataset.bound) return;
    box.dataset.bound = "1";
    box.addEventListener("keydown", (ev) => {
      const all = tiles();
      const i = all.indexOf(document.activeElement);
      if (i < 0) return;
      const cols = Math.max(1, Math.round(box.clientWidth / all[0].offsetWidth));
      const moves = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: cols, ArrowUp: -cols, Home: -i, End: all.length - 1 - i };
      if (ev.key in moves) {
        ev.preventDefault();
        const j = Math.min(all.length - 1, Math.max(0, i + moves[ev.key]));
        focusTile(all, j);
        if (ev.shiftKey) selectRange(all, anchor < 0 ? i : anchor, j);
      } else if (ev.key === "Enter") {
        ev.preventDefault();
        location.assign($("a", all[i]).href);
      } else if (ev.key === " ") {
        ev.preventDefault();
        toggle(all, i, false);
      }
    });
    box.addEventListener("click", (ev) => {
      const t = ev.target.closest(".tile");
      if (!t) return;
      const all = tiles();
      const i = all.indexOf(t);
      // Plain clicks open; Ctrl/Cmd/Shift-click and clicks once a
      // selection exists select.
      if (ev.ctrlKey || ev.metaKey || ev.shiftKey || selection.size > 0) {
        ev.preventDefault();
        toggle(all, i, ev.shiftKey);
      }
    });
  }
  function focusTile(all, j) {
    all.forEach((t, k) => t.tabIndex = k === j ? 0 : -1);
    all[j].focus();
  }
  function toggle(all, i, range) {
    if (range && anchor >= 0) selectRange(all, anchor, i);
    else {
      const id = all[i].dataset.id;
      if (selection.has(id)) selection.delete(id); else selection.add(id);
      anchor = i;
    }
    paint();
  }
  function selectRange(all, a, b) {
    for (let k = Math.min(a, b); k <= Math.max(a, b); k++) selection.add(all[k].dataset.id);
    paint();
  }
  function paint() {
    tiles().forEach((t) => t.setAttribute("aria-selected", selection.has(t.dataset.id) ? "true" : "false"));
    const c = $("#sel-count");
    if (c) c.textContent = selection.size + " selected";
  }
  bindTiles();
  const selAll = $("#sel-all");
  if (selAll) selAll.addEventListener("click", () => { tiles().forEach((t) => selection.add(t.dataset.id)); paint(); });
  const selMatch = $("#sel-matching");
  if (selMatch) selMatch.addEventListener("click", async () => {
    try {
      const got = await get("/ui/ids" + location.search);
      got.ids.forEach((id) => selection.add(String(id)));
      paint();
      say(selection.size + " selected" + (got.capped ? " (the first " + got.ids.length + ")" : ""));
    } catch (e) { say(e.message); }
  });
  const selNone = $("#sel-none");
  if (selNone) selNone.addEventListener("click", () => { selection.clear(); anchor = -1; paint(); });

  const bulkGo = $("#bulk-go");
  if (bulkGo) bulkGo.addEventListener("click", async () => {
    const action = $("#bulk-action").value;
    const value = $("#bulk-value").value;
    const chosen = Array.from(selection);
    if (chosen.length === 0) { say("Select resources first."); return; }
    try {
      if (action === "delete") {
        if (!confirm("Delete " + chosen.length + " resource" + (chosen.length === 1 ? "" : "s") + "? This cannot be undone.")) return;
        await post("/v1/resources/delete", { ID: chosen });
      } else if (action === "merge") {
        if (chosen.length < 2) { say("Select two or more to merge."); return; }
        if (!confirm("Merge " + (chosen.length - 1) + " resources into the first selected? They will be deleted.")) return;
        await post("/v1/resources/merge", { Winner: chosen[0], Losers: chosen.slice(1) });
      } else if (action === "addMeta") {
        const [k, ...rest] = value.split("=");
        if (!k || rest.length === 0) { say("Write meta as key=value."); return; }
        await post("/v1/resources/addMeta", { ID: chosen, Meta: JSON.stringify({ [k.trim()]: rest.join("=").trim() }) });
      } else {
        const kind = action === "addGroups" ? "group" : "tag";
        const edited = await ids(kind, names(value), action !== "removeTags");
        if (edited.length === 0) { say("Name at least one " + kind + "."); return; }
        await post("/v1/resources/" + action, { ID: chosen, EditedId: edited });
      }
      // Said once the grid shows the outcome, so that the next click
      // lands on the new tiles and selection.
      await refreshTiles();
      say("Done: " + chosen.length + " resource" + (chosen.length === 1 ? "" : "s"));
    } catch (e) { say("Failed: " + e.message); }
  });

  // --- Resource page -----------------------------------------------------
  const article = $("article.resource");
  if (article) {
    const id = article.dataset.id;
    const zoom = $("#zoom");
    if (zoom) zoom.addEventListener("click", (ev) => {
      ev.preventDefault();
      const img = $("#main-image");
      if (zoom.classList.toggle("zoomed")) { img.dataset.srcset = img.srcset; img.removeAttribute("srcset"); img.src = zoom.href; }
      else if (img.dataset.srcset) img.srcset = img.dataset.srcset;
    });
    document.addEventListener("keydown", (ev) => {
      if (ev.target.closest("input, textarea, select, video, audio") || ev.altKey || ev.ctrlKey || ev.metaKey) return;
      const go = { Escape: "/", ArrowLeft: ($("#newer") || {}).href, ArrowRight: ($("#older") || {}).href }[ev.key];
      if (go) { ev.preventDefault(); location.assign(go); }
    });
    const form = $("#edit-form");
    const addMeta = $("#add-meta");
    if (addMeta) addMeta.addEventListener("click", () => {
      const row = document.createElement("div");
      row.className = "meta-row";
      const n = $$(".meta-row").length;
      row.innerHTML = "";
      for (const [cls, text] of [["mk", "Key"], ["mv", "Value"]]) {
        const l = document.createElement("label");
        l.textContent = text + " ";
        const i = document.createElement("input");
        i.className = cls; i.id = cls + "-new-" + n;
        l.append(i); row.append(l);
      }
      $("#meta-rows").append(row);
      $(".mk", row).focus();
    });
    if (form) form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      try {
        const meta = JSON.parse(form.dataset.meta || "{}");
        for (const k of Object.keys(meta)) if (k !== "exif") delete meta[k];
        $$(".meta-row").forEach((r) => { const k = $(".mk", r).value.trim(); if (k) meta[k] = $(".mv", r).value; });
        const owner = names($("#e-owner").value);
        const fields = {
          ID: id, Name: $("#e-name").value, Description: $("#e-desc").value, Category: $("#e-cat").value,
          SeriesSlug: $("#e-series").value.trim(),
          Tags: await ids("tag", names($("#e-tags").value), true),
          Groups: await ids("group", names($("#e-groups").value), true),
          OwnerId: owner.length ? (await ids("group", owner, true))[0] : 0,
          Meta: JSON.stringify(meta),
        };
        await post("/v1/resource/edit", fields);
        say("Saved");
        location.reload();
      } catch (e) { say("Not saved: " + e.message); }
    });
    $$("[data-rotate]").forEach((b) => b.addEventListener("click", async () => {
      try { await post("/v1/resources/rotate", { ID: id, Degrees: b.dataset.rotate }); location.reload(); } catch (e) { say(e.message); }
    }));
    const del = $("#delete-resource");
    if (del) del.addEventListener("click", async () => {
      if (!confirm("Delete this resource and all its versions?")) return;
      try { await post("/v1/resources/delete", { ID: id }); location.assign("/"); } catch (e) { say(e.message); }
    });
    $$("[data-restore]").forEach((b) => b.addEventListener("click", async () => {
      try { await post("/v1/resource/version/restore", { resourceId: id, versionId: b.dataset.restore }); location.reload(); } catch (e) { say(e.message); }
    }));
    $$("[data-delete-version]").forEach((b) => b.addEventListener("click", async () => {
      if (!confirm("Delete this version?")) return;
      try { await post("/v1/resource/version/delete", { resourceId: id, versionId: b.dataset.deleteVersion }); location.reload(); } catch (e) { say(e.message); }
    }));
    const vf = $("#version-form");
    if (vf) vf.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const file = $("#v-file").files[0];
      if (!file) return;
      const fd = new FormData();
      fd.append("resourceId", id);
      fd.append("comment", $("#v-comment").value);
      fd.append("file", file, file.name);
      const bar = $("#v-progress");
      bar.hidden = false;
      const xhr = new XMLHttpRequest();
      xhr.open("POST", "/v1/resource/versions");
      xhr.setRequestHeader("X-CSRF-Token", csrf());
      xhr.upload.onprogress = (e) => { bar.value = e.total ? (100 * e.loaded) / e.total : 0; };
      xhr.onload = () => {
        if (xhr.status >= 200 && xhr.status < 300) location.reload();
        else { let m = xhr.statusText; try { m = JSON.parse(xhr.responseText).error; } catch (e) { /* keep */ } say("Version not uploaded: " + m); }
      };
      xhr.send(fd);
    });
  }

  // --- Lists of tags, groups, ... ------------------------------------------
  const table = $("#entities");
  if (table) {
    const api = table.dataset.api;
    table.addEventListener("click", async (ev) => {
      const tr = ev.target.closest("tr[data-id]");
      if (!tr) return;
      try {
        if (ev.target.classList.contains("save-name")) {
          await post(api, { ID: tr.dataset.id, Name: $(".rename", tr).value });
          say("Renamed");
        } else if (ev.target.classList.contains("del")) {
          if (!confirm("Delete " + $(".rename", tr).value + "?")) return;
          await post(table.dataset.delete, { ID: tr.dataset.id });
          tr.remove();
          say("Deleted");
        }
      } catch (e) { say("Failed: " + e.message); }
    });
    const merge = $("#merge-picked");
    if (merge) merge.addEventListener("click", async () => {
      const picked = $$("tr[data-id]", table).filter((tr) => $(".pick", tr).checked).map((tr) => tr.dataset.id);
      if (picked.length < 2) { say("Select two or more."); return; }
      if (!confirm("Merge " + (picked.length - 1) + " into the first selected?")) return;
      try { await post(table.dataset.merge, { Winner: picked[0], Losers: picked.slice(1) }); location.reload(); } catch (e) { say("Failed: " + e.message); }
    });
  }
  const create = $("#create-entity");
  if (create) create.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try { await post(create.dataset.api, { Name: $("#new-name").value }); location.reload(); } catch (e) { say("Failed: " + e.message); }
  });

  // --- Users and tokens (admins) ---------------------------------------------
  const cu = $("#create-user");
  if (cu) cu.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try { await post("/v1/users", { username: $("#u-name").value, password: $("#u-pass").value, role: $("#u-role").value }); location.reload(); } catch (e) { say("Failed: " + e.message); }
  });
  $$(".del-user").forEach((b) => b.addEventListener("click", async () => {
    if (!confirm("Delete this user?")) return;
    try { await post("/v1/user/delete", { id: b.closest("tr").dataset.id }); location.reload(); } catch (e) { say("Failed: " + e.message); }
  }));
  const ct = $("#create-token");
  if (ct) ct.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      const t = await post("/v1/account/tokens", { name: $("#t-name").value });
      const p = $("#new-token");
      p.textContent = "Copy this token now; it is not shown again: " + t.token;
      p.hidden = false;
    } catch (e) { say("Failed: " + e.message); }
  });
  $$(".del-token").forEach((b) => b.addEventListener("click", async () => {
    if (!confirm("Revoke this token?")) return;
    try { await post("/v1/account/tokens/delete", { id: b.closest("tr").dataset.id }); location.reload(); } catch (e) { say("Failed: " + e.message); }
  }));
})();
