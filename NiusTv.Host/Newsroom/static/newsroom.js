// The newsroom's only script: live progress on the list and story pages, and the editor's uploads, drafts and
// publishing. Pages are complete without it; it adds what needs the browser.
"use strict";

const page = document.body.dataset.page;

// Every change this script sends carries the page's antiforgery token: the login cookie goes along with any request
// the browser makes, so the node asks for proof the request came from one of its own pages.
const antiforgery = document.querySelector('meta[name="nius-antiforgery"]')?.content ?? "";
function send(url, options) {
  return fetch(url, { ...options, credentials: "same-origin", headers: { ...options.headers, "X-Nius-Antiforgery": antiforgery } });
}

function esc(s) { const d = document.createElement("div"); d.textContent = s ?? ""; return d.innerHTML; }

// ---- Live progress -------------------------------------------------------------------------------------------
// How long a finished story took, said for how it ended (NewsroomPages.DurationPhrase says the same).
function durationPhrase(state, seconds) {
  if (seconds == null) return "";
  const verb = { completed: "rendered in", failed: "failed after", cancelled: "cancelled after" }[state];
  return verb ? `${verb} ${seconds.toFixed(1)} s` : "";
}

function renderStory(el, view) {
  const changed = el.dataset.state !== view.state || (el.dataset.revision && el.dataset.revision !== String(view.revision));
  el.dataset.state = view.state;
  const steps = el.querySelector('[data-role="steps"]');
  if (steps) steps.innerHTML = view.steps.map(s =>
    `<div class="step ${esc(s.state)}" title="${esc(s.name)}: ${esc(s.state)}"><div class="fill" style="width:${Math.round(s.progress * 100)}%"></div><span>${esc(s.name)}</span></div>`).join("");
  const scope = page === "story" ? document : el;
  const state = scope.querySelector('[data-role="state"]');
  if (state) { state.textContent = view.state; state.className = "state " + view.state; }
  const duration = el.querySelector('[data-role="duration"]');
  if (duration) duration.textContent = durationPhrase(view.state, view.durationSeconds);
  // The story page shows the video, error or new revision from the server once the state settles.
  if (page === "story" && changed && ["completed", "failed", "cancelled"].includes(view.state)) location.reload();
  if (page === "list" && changed && view.state === "completed") location.reload();
}

async function refresh(id) {
  const el = document.querySelector(`[data-story="${CSS.escape(id)}"]`);
  if (!el) return false;
  const r = await fetch(`/api/stories/${encodeURIComponent(id)}`, { credentials: "same-origin" });
  if (r.ok) renderStory(el, await r.json());
  return true;
}

function live() {
  const filter = new URLSearchParams(location.search).get("state");
  const events = new EventSource("/api/stories/events");
  let reloading = false;
  events.addEventListener("story", e => {
    const change = JSON.parse(e.data);
    refresh(change.id).then(known => {
      // A story this list does not show yet (just published): reload the server-rendered list once.
      if (!known && page === "list" && !reloading && (!filter || filter === change.state)) { reloading = true; setTimeout(() => location.reload(), 300); }
    });
  });
  // Events mark step boundaries; the fraction within a running step is only in the story's view, so poll those.
  setInterval(() => {
    for (const el of document.querySelectorAll("[data-story]"))
      if (["running", "accepted"].includes(el.dataset.state)) refresh(el.dataset.story);
  }, 1000);
}

// ---- Editor ----------------------------------------------------------------------------------------------------
function editor() {
  const form = document.getElementById("editor");
  const status = form.querySelector('[data-role="status"]');
  const idInput = form.elements.id;
  let idTouched = idInput.value !== "";
  idInput.addEventListener("input", () => { idTouched = true; });
  form.elements.title.addEventListener("input", () => {
    if (!idTouched && !idInput.readOnly)
      idInput.value = form.elements.title.value.toLowerCase().normalize("NFKD").replace(/[\u0300-\u036f]/g, "")
        .replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 64);
  });

  const addRow = (templateId, containerId) => {
    const row = document.getElementById(templateId).content.firstElementChild.cloneNode(true);
    document.getElementById(containerId).appendChild(row);
    return row;
  };
  form.addEventListener("click", e => {
    const action = e.target.dataset.action;
    if (action === "remove") { e.target.closest(".row").remove(); showSingleOutput(); }
    else if (action === "add-output") addOutput();
    else if (action === "add-paragraph") addRow("paragraph-row", "paragraphs").querySelector("textarea").focus();
    else if (action === "add-pronunciation") addRow("pronunciation-row", "pronunciations").querySelector("input").focus();
    else if (action === "check-words") checkWords();
    else if (action === "listen") listen(e.target.closest(".row"));
    else if (action === "save-newsroom") saveToNewsroom(e.target.closest(".row"));
    else if (action === "save-draft") saveDraft();
    else if (action === "publish") publish();
  });

  // Renditions: with any, the story sends outputs and the one-shape picker steps aside; removing the last brings it back.
  const outputRows = () => [...form.querySelectorAll("#outputs .row")];
  function showSingleOutput() { form.querySelector('[data-role="single-output"]').hidden = outputRows().length > 0; }
  function addOutput() {
    // A new rendition starts from the story's current shape, to be renamed and resized.
    const shape = outputRows().at(-1);
    const [width, height] = shape ? ["width", "height"].map(f => shape.querySelector(`[data-field="${f}"]`).value)
                                  : form.elements.shape.value.split("x");
    const row = addRow("output-row", "outputs");
    row.querySelector('[data-field="width"]').value = width;
    row.querySelector('[data-field="height"]').value = height;
    row.querySelector('[data-field="fps"]').value = shape?.querySelector('[data-field="fps"]').value || form.elements.fps.value;
    showSingleOutput();
    row.querySelector('[data-field="name"]').focus();
  }

  document.getElementById("image-files").addEventListener("change", async e => {
    const files = [...e.target.files];
    e.target.value = "";
    clearErrors();
    const id = idInput.value.trim();
    if (!id) { showErrors([{ field: "id", message: "give the story a title or id before adding images: they are stored under it" }]); return; }
    for (const file of files) {
      // The node refuses these too; saying so here spares the editor sending 50 MB to hear it.
      if (file.size > 50 * 1024 * 1024) { showErrors([{ field: "images", message: `${file.name}: the image is larger than 50 MB` }]); continue; }
      status.textContent = `uploading ${file.name}…`;
      const r = await send(`/api/uploads/${encodeURIComponent(id)}`, { method: "POST", body: file });
      const body = await r.json().catch(() => ({ error: `upload failed (${r.status})` }));
      if (!r.ok) { showErrors([{ field: "images", message: `${file.name}: ${body.error}` }]); status.textContent = ""; return; }
      const row = addRow("image-row", "images");
      row.dataset.uri = body.uri;
      row.querySelector('[data-role="uri"]').textContent = `${body.uri} · ${body.width}×${body.height}`;
      row.querySelector("img").src = "/newsroom/assets/" + body.uri;
      row.querySelector('[data-field="caption"]').value = file.name.replace(/\.[^.]+$/, "");
    }
    status.textContent = `${files.length} image(s) uploaded`;
  });

  function documentOf() {
    const [width, height] = form.elements.shape.value.split("x").map(Number);
    const outputs = outputRows().map(row => {
      const field = name => row.querySelector(`[data-field="${name}"]`).value.trim();
      return { name: field("name"), width: Number(field("width")), height: Number(field("height")), fps: Number(field("fps")) };
    });
    return {
      id: idInput.value.trim(),
      title: form.elements.title.value,
      paragraphs: [...form.querySelectorAll('#paragraphs textarea')].map(t => t.value),
      images: [...form.querySelectorAll("#images .row")].map(row => ({
        uri: row.dataset.uri,
        caption: row.querySelector('[data-field="caption"]').value,
        paragraph: Number(row.querySelector('[data-field="paragraph"]').value) - 1,
      })),
      pronunciations: Object.fromEntries([...form.querySelectorAll("#pronunciations .row")]
        .map(row => [row.querySelector('[data-field="word"]').value.trim(), row.querySelector('[data-field="pronunciation"]').value.trim()])
        .filter(([word]) => word !== "")),
      presenter: form.elements.presenter.value,
      voice: form.elements.voice.value,
      priority: form.elements.priority.value,
      captions: form.elements.captions.value,
      // A pack in the asset store's brands/ folder; "default" is the built-in look.
      brand: form.elements.brand.value.trim() || "default",
      // A story has one output or several named ones, never both (the node refuses both).
      ...(outputs.length > 0 ? { outputs } : { output: { width, height, fps: Number(form.elements.fps.value) } }),
    };
  }

  function clearErrors() {
    for (const p of form.querySelectorAll(".error")) { p.hidden = true; p.textContent = ""; }
    for (const f of form.querySelectorAll(".invalid")) f.classList.remove("invalid");
  }

  // The validator names fields by JSON path (title, paragraphs[1], images[0].caption, output.width, outputs[1].name):
  // find the form control for the path, or the nearest section that has a place for the message.
  function placeFor(field) {
    let m = /^paragraphs\[(\d+)\]$/.exec(field);
    if (m) { const row = form.querySelectorAll("#paragraphs .row")[+m[1]]; if (row) return [row.querySelector(".error"), row.querySelector("textarea")]; }
    m = /^images\[(\d+)\](?:\.(\w+))?$/.exec(field);
    if (m) {
      const row = form.querySelectorAll("#images .row")[+m[1]];
      if (row) return [row.querySelector(".error"), m[2] && row.querySelector(`[data-field="${m[2]}"]`)];
    }
    m = /^outputs\[(\d+)\](?:\.(\w+))?$/.exec(field);
    if (m) {
      const row = outputRows()[+m[1]];
      if (row) return [row.querySelector(".error"), m[2] && row.querySelector(`[data-field="${m[2]}"]`)];
    }
    m = /^pronunciations\.(.+)$/.exec(field);
    if (m) {
      const row = [...form.querySelectorAll("#pronunciations .row")].find(r => r.querySelector('[data-field="word"]').value.trim() === m[1]);
      if (row) return [row.querySelector(".error"), row.querySelector('[data-field="pronunciation"]')];
    }
    const top = field.split(/[.[]/)[0];
    const slot = form.querySelector(`[data-error-for="${CSS.escape(top)}"]`) || form.querySelector('[data-error-for=""]');
    return [slot, form.querySelector(`[data-field="${CSS.escape(top)}"]`)];
  }

  function showErrors(errors) {
    for (const { field, message } of errors) {
      const [slot, control] = placeFor(field || "");
      const text = field && !/^(title|id|priority|presenter|voice|captions|brand)$/.test(field) ? `${field}: ${message}` : message;
      slot.textContent = slot.hidden ? text : slot.textContent + "; " + text;
      slot.hidden = false;
      if (control) control.classList.add("invalid");
    }
    form.querySelector(".error:not([hidden])")?.scrollIntoView({ block: "center" });
  }

  // The pronunciation panel: each entry shows the phones it turns into, can be heard, and saved for every story.
  const rowEntry = row => ({ word: row.querySelector('[data-field="word"]').value.trim(),
                             pronunciation: row.querySelector('[data-field="pronunciation"]').value.trim() });
  function rowError(row, message) {
    const slot = row.querySelector(".error");
    slot.textContent = message ?? ""; slot.hidden = !message;
    row.querySelector('[data-field="pronunciation"]').classList.toggle("invalid", !!message);
  }
  async function preview(row) {
    const entry = rowEntry(row);
    const phones = row.querySelector('[data-role="phones"]');
    if (!entry.word || !entry.pronunciation) { phones.textContent = ""; rowError(row); return; }
    const r = await send("/api/pronunciations/preview", { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify(entry) });
    const body = await r.json().catch(() => ({}));
    if (!r.ok) { phones.textContent = ""; rowError(row, (body.errors?.[0]?.message) ?? body.error); return; }
    phones.textContent = body.phones.join(" ");
    rowError(row);
  }
  form.addEventListener("change", e => { const row = e.target.closest("#pronunciations .row"); if (row) preview(row); });
  for (const row of form.querySelectorAll("#pronunciations .row")) preview(row);

  async function listen(row) {
    const entry = rowEntry(row);
    if (!entry.word) { rowError(row, "type the word first"); return; }
    const query = new URLSearchParams({ word: entry.word, voice: form.elements.voice.value, presenter: form.elements.presenter.value });
    if (entry.pronunciation) query.set("pronunciation", entry.pronunciation);
    // Played straight from the node (the page's media policy allows only its own origin); when the node refuses, the
    // same address answers with the reason.
    const url = `/api/speak?${query}`;
    const audio = new Audio(url);
    rowError(row);
    audio.addEventListener("error", async () => {
      const r = await fetch(url, { credentials: "same-origin" });
      const body = await r.json().catch(() => ({}));
      rowError(row, body.errors?.[0]?.message ?? body.error ?? `listening failed (${r.status})`);
    });
    await audio.play().catch(() => {});
  }

  async function saveToNewsroom(row) {
    const entry = rowEntry(row);
    const r = await send(`/api/pronunciations/${encodeURIComponent(entry.word)}`, { method: "PUT",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify({ pronunciation: entry.pronunciation }) });
    const body = await r.json().catch(() => ({}));
    if (!r.ok) { rowError(row, body.errors?.[0]?.message ?? body.error ?? `saving failed (${r.status})`); return; }
    rowError(row);
    status.textContent = `${body.word} saved to the newsroom dictionary (${body.phones.join(" ")})`;
  }

  async function checkWords() {
    const check = form.querySelector('[data-role="check-status"]');
    check.textContent = "checking…";
    const r = await send("/api/pronunciations/unusual", { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ paragraphs: documentOf().paragraphs }) });
    const body = await r.json().catch(() => ({}));
    if (!r.ok) { check.textContent = body.error ?? `checking failed (${r.status})`; return; }
    const have = new Set([...form.querySelectorAll("#pronunciations .row")].map(row => rowEntry(row).word.toLowerCase()));
    let added = 0;
    for (const { word, phones } of body) {
      if (have.has(word)) continue;
      const row = addRow("pronunciation-row", "pronunciations");
      row.querySelector('[data-field="word"]').value = word;
      row.querySelector('[data-field="pronunciation"]').value = phones.join(" ");
      row.querySelector('[data-role="phones"]').textContent = "g2p guess: " + phones.join(" ");
      added++;
    }
    check.textContent = body.length === 0 ? "every word is in the dictionary" : `${added} word(s) the dictionary lacks, with the g2p guess: listen, correct or remove`;
  }

  async function saveDraft() {
    clearErrors();
    const doc = documentOf();
    if (!doc.id) { showErrors([{ field: "id", message: "a draft needs a title or id to be saved under" }]); return; }
    const r = await send(`/api/drafts/${encodeURIComponent(doc.id)}`, {
      method: "PUT", headers: { "Content-Type": "application/json" }, body: JSON.stringify(doc) });
    const body = await r.json().catch(() => ({}));
    if (!r.ok) { showErrors(body.errors ?? [{ field: "", message: body.error ?? `saving failed (${r.status})` }]); return; }
    status.textContent = `draft saved at ${new Date().toLocaleTimeString()}`;
    idInput.readOnly = true;
    history.replaceState(null, "", `/newsroom/stories/${doc.id}/edit`);
  }

  async function publish() {
    clearErrors();
    const doc = documentOf();
    status.textContent = "publishing…";
    const r = await send("/api/stories", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(doc) });
    const body = await r.json().catch(() => ({}));
    if (!r.ok) {
      status.textContent = "not published: see the marked fields";
      showErrors(body.errors?.length ? body.errors : [{ field: "", message: body.error ?? `publishing failed (${r.status})` }]);
      return;
    }
    // The published revision is now the story of record; the draft it came from is done.
    await send(`/api/drafts/${encodeURIComponent(doc.id)}`, { method: "DELETE" });
    location.href = `/newsroom/stories/${encodeURIComponent(doc.id)}`;
  }
}

if (page === "list" || page === "story") live();
if (page === "editor") editor();
