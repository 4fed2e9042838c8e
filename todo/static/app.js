// The web client of the To-Do API: one ES module, in four parts (the page may load at
// most three files): the API calls, the state, the rendering of one task at a time,
// and the controller that wires events. Text is only ever set with textContent.

// ---------------------------------------------------------------- API calls
// The one place that adds the token, reads ETags, Link and X-Total-Count, and turns
// error bodies into messages. fetch runs with credentials "omit", so the browser's
// own login dialog never appears.

const API = "/todo/api/v1.0";
const TOKEN_KEY = "todo.token";
const USER_KEY = "todo.username";
const RETRY_LIMIT = 100;           // attempts while the server cannot be reached
const RETRY_MAX_DELAY = 5000;      // ms between them, at most

class ApiError extends Error {
  constructor(status, body, headers) {
    const message = body && body.message;
    super(typeof message === "string" ? message : (body && body.error) || `HTTP ${status}`);
    this.status = status;
    this.fields = message && typeof message === "object" ? message : null;
    this.retryAfter = Number(headers.get("Retry-After")) || null;
  }
}

const session = {
  token: sessionStorage.getItem(TOKEN_KEY),
  username: sessionStorage.getItem(USER_KEY) || "",
  save(token, username) {
    this.token = token;
    this.username = username;
    sessionStorage.setItem(TOKEN_KEY, token);
    sessionStorage.setItem(USER_KEY, username);
  },
  clear() {
    this.token = null;
    sessionStorage.removeItem(TOKEN_KEY);
  },
};

// Told when the token stops working, and when the server is unreachable or back.
const hooks = { expired() {}, unreachable() {}, reachable() {} };

function basicAuth(username, password) {
  const bytes = new TextEncoder().encode(`${username}:${password}`);
  return "Basic " + btoa(String.fromCharCode(...bytes));
}

function parseLinks(header) {
  const links = {};
  for (const part of (header || "").split(",")) {
    const match = part.match(/<([^>]*)>\s*;\s*rel="?([^";]+)"?/);
    if (match) {
      const url = new URL(match[1], location.href);
      links[match[2]] = url.pathname + url.search;
    }
  }
  return links;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Send one request; retry while the server cannot be reached (network or 503).
async function call(method, path, { body, auth = "token", ifMatch } = {}) {
  const headers = { Accept: "application/json" };
  if (auth === "token") headers.Authorization = `Bearer ${session.token}`;
  else if (auth) headers.Authorization = auth;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (ifMatch) headers["If-Match"] = ifMatch;
  const init = {
    method, headers, credentials: "omit", cache: "no-store",
    body: body === undefined ? undefined : JSON.stringify(body),
  };
  const url = path.startsWith("/") ? path : API + "/" + path;
  for (let attempt = 1; ; attempt++) {
    let response = null;
    try {
      response = await fetch(url, init);
    } catch (error) {
      if (!(error instanceof TypeError)) throw error;   // TypeError: the network failed
    }
    if (response && response.status !== 503) {
      if (attempt > 1) hooks.reachable();
      return read(response, auth);
    }
    if (attempt >= RETRY_LIMIT) {
      throw new ApiError(503, { error: "The server cannot be reached" }, new Headers());
    }
    const after = response && Number(response.headers.get("Retry-After"));
    const delay = Math.min(RETRY_MAX_DELAY, after ? after * 1000 : 500 * 2 ** Math.min(attempt - 1, 4));
    hooks.unreachable(Math.ceil(delay / 1000));
    await sleep(delay);
  }
}

async function read(response, auth) {
  const text = await response.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!response.ok) {
    const error = new ApiError(response.status, body, response.headers);
    if (response.status === 401 && auth === "token") {
      session.clear();
      hooks.expired();
    }
    throw error;
  }
  return {
    body,
    etag: response.headers.get("ETag"),
    total: Number(response.headers.get("X-Total-Count")),
    links: parseLinks(response.headers.get("Link")),
  };
}

const api = {
  signIn: (username, password) =>
    call("POST", "tokens", { auth: basicAuth(username, password) }),
  signOut: () => call("DELETE", "tokens"),
  register: (username, password) =>
    call("POST", "users", { auth: null, body: { username, password } }),
  list: (params) => call("GET", "tasks?" + new URLSearchParams(params)),
  // The list in the owner's order, the one a move changes.
  ordered: (params) => call("GET", "tasks?" + new URLSearchParams({ ...params, sort: "order" })),
  page: (path) => call("GET", path),
  get: (uri) => call("GET", uri),
  add: (fields) => call("POST", "tasks", { body: fields }),
  update: (uri, fields, etag) => call("PUT", uri, { body: fields, ifMatch: etag }),
  remove: (uri, etag) => call("DELETE", uri, { ifMatch: etag }),
  move: (uri, side, id) => call("POST", `${uri}/move`, { body: { [side]: id } }),
};

// -------------------------------------------------------------------- state
// The tasks loaded, by uri, in the API's order; the counts come from X-Total-Count.

const FILTERS = { "#/": "all", "#/active": "active", "#/completed": "completed" };
const PAGE_SIZE = 100;

const state = {
  tasks: new Map(),      // uri -> {uri, id, title, description, done, order, etag}
  order: [],             // uris of the pages loaded, in the API's order
  added: [],             // uris added here after those pages, shown at the end
  next: null,            // the Link header's next page
  last: null,            // the last page loaded
  shifted: 0,            // tasks that left the loaded pages since (deleted, filtered out)
  filter: FILTERS[location.hash] || "all",
  q: "",
  active: 0,
  completed: 0,
  editing: null,         // uri of the task being edited
};

function pathOf(uri) {
  const url = new URL(uri, location.href);
  return url.pathname + url.search;
}

function taskFrom(record, etag = null) {
  const uri = pathOf(record.uri);
  return { uri, id: Number(uri.split("/").pop()), title: record.title,
           description: record.description, done: record.done, order: record.order, etag };
}

function sameContent(a, b) {
  return a.title === b.title && a.description === b.description && a.done === b.done;
}

function inView(task) {
  return state.filter === "all" || (state.filter === "active") !== task.done;
}

function filterParams(done) {
  const params = {};
  if (done !== undefined) params.done = String(done);
  if (state.q) params.q = state.q;
  return params;
}

function viewDone() {
  return { all: undefined, active: false, completed: true }[state.filter];
}

// ---------------------------------------------------------------- rendering
// One list item per task, made once and then updated in place: a change to one task
// touches only its own item (and the counts), never the other items.

const $ = (id) => document.getElementById(id);
const list = $("todo-list");
const items = new Map();   // uri -> <li>

function element(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "text") node.textContent = value;
    else if (key in node && !key.startsWith("aria")) node[key] = value;
    else node.setAttribute(key, value);
  }
  node.append(...children);
  return node;
}

let nextKey = 1;

function createItem(task) {
  const key = nextKey++;
  const title = element("span", { id: `task-${key}-title`, className: "title" });
  const toggle = element("input", { type: "checkbox", className: "toggle",
                                    "aria-labelledby": title.id });
  const description = element("p", { className: "description" });
  // The keyboard's way to reorder; a pointer can also drag the item (see wire()).
  const up = element("button", { type: "button", className: "move", text: "↑", title: "Move up" });
  const down = element("button", { type: "button", className: "move", text: "↓",
                                   title: "Move down" });
  const edit = element("button", { type: "button", className: "edit", text: "Edit" });
  const remove = element("button", { type: "button", className: "delete", text: "Delete" });
  const view = element("div", { className: "view" }, toggle,
                       element("div", { className: "text" }, title, description),
                       element("div", { className: "buttons" }, up, down, edit, remove));
  const li = element("li", { className: "task", draggable: true }, view);
  li.dataset.uri = task.uri;
  li.dataset.key = key;
  li.parts = { toggle, title, description, up, down, edit, remove, view };
  return li;
}

function renderTask(task) {
  let li = items.get(task.uri);
  if (!li) {
    li = createItem(task);
    items.set(task.uri, li);
  }
  const { toggle, title, description, up, down, edit, remove } = li.parts;
  if (title.textContent !== task.title) {
    title.textContent = task.title;
    up.setAttribute("aria-label", `Move up ${task.title}`);
    down.setAttribute("aria-label", `Move down ${task.title}`);
    edit.setAttribute("aria-label", `Edit ${task.title}`);
    remove.setAttribute("aria-label", `Delete ${task.title}`);
  }
  if (description.textContent !== task.description) description.textContent = task.description;
  if (description.hidden !== !task.description) description.hidden = !task.description;
  toggle.checked = task.done;
  li.classList.toggle("completed", task.done);
  return li;
}

function visibleOrder() {
  const shown = new Set(state.order);
  return state.order.concat(state.added.filter((uri) => !shown.has(uri)));
}

// Put the items of the tasks in view in order; existing items are moved, not remade.
function renderList() {
  const order = visibleOrder();
  const wanted = new Set(order);
  for (const [uri, li] of items) {
    if (!wanted.has(uri)) {
      li.remove();
      items.delete(uri);
    }
  }
  let previous = null;
  for (const uri of order) {
    const li = renderTask(state.tasks.get(uri));
    const expected = previous ? previous.nextSibling : list.firstChild;
    if (li !== expected) list.insertBefore(li, expected);
    previous = li;
  }
  renderMoves();
  renderFooter();
}

// The first item can't move up, nor the last one down.
function renderMoves() {
  for (const li of list.children) {
    li.parts.up.disabled = !li.previousElementSibling;
    li.parts.down.disabled = !li.nextElementSibling;
  }
}

function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

function plural(n, word) {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function renderFooter() {
  const total = state.active + state.completed;
  $("main").hidden = total === 0;
  $("footer").hidden = total === 0;
  const empty = $("empty");
  empty.hidden = total > 0;
  setText(empty, state.q ? `No tasks match “${state.q}”.` : "Nothing to do yet. Add a task above.");
  const nothing = $("nothing");
  nothing.hidden = total === 0 || list.firstChild !== null;
  setText(nothing, state.filter === "completed" ? "No completed tasks." : "No active tasks.");
  setText($("count"), `${plural(state.active, "item")} left`);
  $("toggle-all").checked = total > 0 && state.active === 0;
  $("clear-completed").hidden = state.completed === 0;
  for (const link of document.querySelectorAll("[data-filter]")) {
    if (link.dataset.filter === state.filter) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  $("more").hidden = !state.next;
}

// Messages: errors in role="alert", notices in role="status".
function showError(text) {
  $("error").textContent = text;
}

function showNotice(text) {
  $("notice").textContent = text;
}

function clearMessages() {
  showError("");
  showNotice("");
}

// Field messages next to their inputs, as the API names the fields.
function showFieldErrors(inputs, error) {
  const fields = error.fields || {};
  let first = null;
  for (const [name, input] of Object.entries(inputs)) {
    const message = fields[name] || "";
    const note = document.getElementById(input.getAttribute("aria-describedby"));
    note.textContent = message;
    note.hidden = !message;
    if (message) {
      input.setAttribute("aria-invalid", "true");
      first = first || input;
    } else {
      input.removeAttribute("aria-invalid");
    }
  }
  const unknown = Object.keys(fields).filter((name) => !(name in inputs));
  if (first) first.focus();
  if (!error.fields || unknown.length) {
    showError(unknown.length ? unknown.map((name) => `${name}: ${fields[name]}`).join("; ")
                             : describe(error));
  }
  return Boolean(first);
}

function clearFieldErrors(inputs) {
  showFieldErrors(inputs, { fields: {} });
}

function describe(error) {
  if (error.status === 429) {
    return `${error.message}. Wait ${plural(error.retryAfter || 60, "second")} before trying again.`;
  }
  if (error.status === 503) return "The server can't be reached. Try again in a moment.";
  return error.message;
}

// --------------------------------------------------------------- controller

function quoted(task) {
  return `“${task.title}”`;
}

function showSignIn(message) {
  $("app").hidden = true;
  $("who").hidden = true;
  $("signin").hidden = false;
  const username = $("username");
  if (!username.value) username.value = session.username;
  if (message) showError(message);
  (username.value ? $("password") : username).focus();
}

function showApp() {
  $("signin").hidden = true;
  $("app").hidden = false;
  $("who").hidden = false;
  $("who-name").textContent = session.username;
  $("new-title").focus();
}

hooks.expired = () => {
  if ($("signin").hidden) {
    showSignIn("Your session has ended. Sign in again to carry on; nothing you typed is lost.");
  }
};

let unreachable = false;
hooks.unreachable = (seconds) => {
  unreachable = true;
  showError(`The server can't be reached. Retrying in ${plural(seconds, "second")}…`);
};
hooks.reachable = () => {
  if (unreachable) {
    unreachable = false;
    showError("");
    showNotice("Connected to the server again.");
  }
};

// Report an error from an action; a 401 has already brought back the sign-in form.
function report(error, prefix = "") {
  if (!(error instanceof ApiError)) throw error;
  if (error.status !== 401) showError(prefix + describe(error));
}

let loading = 0;
// Tasks added, changed or deleted here: a list read while one happened is out of date.
let changes = 0;

// Show the list: the first page and the count of the other state (2 API calls).
async function load() {
  const ticket = ++loading;
  const seen = changes;
  // Busy until the answers are shown: screen readers wait, and so can tests.
  $("todo-list").setAttribute("aria-busy", "true");
  const done = viewDone();
  const other = done === undefined ? false : !done;
  let page, count;
  try {
    [page, count] = await Promise.all([
      api.ordered(filterParams(done)),
      api.list({ ...filterParams(other), per_page: 1 }),
    ]);
  } catch (error) {
    if (ticket === loading) $("todo-list").setAttribute("aria-busy", "false");
    return report(error);
  }
  if (ticket !== loading) return;
  // A change made here while the answers were on their way is not in them: read again.
  if (changes !== seen) return load();
  if (done === undefined) {
    state.active = count.total;
    state.completed = page.total - count.total;
  } else if (done) {
    state.completed = page.total;
    state.active = count.total;
  } else {
    state.active = page.total;
    state.completed = count.total;
  }
  state.order = [];
  state.added = [];
  const fresh = new Map();
  for (const record of page.body.tasks) {
    const task = taskFrom(record);
    const known = state.tasks.get(task.uri);
    // Keep a known ETag while the task is as it was when the tag was read.
    if (known && known.etag && sameContent(known, task) && known.order === task.order) {
      task.etag = known.etag;
    }
    fresh.set(task.uri, task);
    state.order.push(task.uri);
  }
  if (state.editing && !fresh.has(state.editing)) stopEditing();
  state.tasks = fresh;
  state.next = page.links.next || null;
  state.last = page.links.first || null;
  state.shifted = 0;
  renderList();
  $("todo-list").setAttribute("aria-busy", "false");
}

function merge(page) {
  for (const record of page.body.tasks) {
    const task = taskFrom(record);
    if (!state.order.includes(task.uri)) {
      if (!state.tasks.has(task.uri)) state.tasks.set(task.uri, task);
      state.order.push(task.uri);
      state.added = state.added.filter((uri) => uri !== task.uri);
    }
  }
}

// The next page, from the Link header. If tasks left the pages loaded since, the pages
// have moved up: read the last page again first, so that no task is skipped.
async function loadMore() {
  if (!state.next) return;
  const button = $("more");
  button.disabled = true;
  try {
    if (state.shifted > 0 && state.last) merge(await api.page(state.last));
    const page = await api.page(state.next);
    merge(page);
    state.last = state.next;
    state.next = page.links.next || null;
    state.shifted = 0;
    renderList();
  } catch (error) {
    report(error);
  } finally {
    button.disabled = false;
  }
}

function countChange(before, after) {
  changes++;
  if (before !== null) before ? state.completed-- : state.active--;
  if (after !== null) after ? state.completed++ : state.active++;
}

function dropTask(uri) {
  const task = state.tasks.get(uri);
  if (!task) return;
  changes++;
  if (state.editing === uri) stopEditing();
  state.tasks.delete(uri);
  const index = state.order.indexOf(uri);
  if (index >= 0) {
    state.order.splice(index, 1);
    state.shifted++;
  }
  state.added = state.added.filter((other) => other !== uri);
  const li = items.get(uri);
  if (li) {
    const focused = li.contains(document.activeElement);
    const neighbour = li.nextElementSibling || li.previousElementSibling;
    li.remove();
    items.delete(uri);
    renderMoves();
    if (focused) (neighbour ? neighbour.parts.toggle : $("new-title")).focus();
  }
}

// Put the server's version of a task in place of ours, and count the difference.
function replaceTask(task, fresh) {
  countChange(task.done, fresh.done);
  state.tasks.set(task.uri, fresh);
  if (!inView(fresh)) dropTask(task.uri);
  else if (items.has(task.uri)) renderTask(fresh);
  renderFooter();
}

function goneElsewhere(task) {
  countChange(task.done, null);
  dropTask(task.uri);
  renderFooter();
  showNotice(`${quoted(task)} was deleted elsewhere, so it has left the list.`);
}

// Re-read a task that changed elsewhere, and show the newer version.
async function reread(task) {
  try {
    const fresh = await api.get(task.uri);
    replaceTask(task, taskFrom(fresh.body.task, fresh.etag));
    showNotice(`${quoted(task)} was changed elsewhere. This is the newer version; ` +
               "nothing of yours was saved over it.");
  } catch (error) {
    if (error.status === 404) goneElsewhere(task);
    else report(error);
  }
}

// The list carries no ETag per task: before the first change of a task, read it, and
// go on only if it is still what the page shows. Returns the ETag, or null.
async function etagOf(task) {
  if (task.etag) return task.etag;
  try {
    const fresh = await api.get(task.uri);
    const current = taskFrom(fresh.body.task, fresh.etag);
    if (sameContent(current, task)) {
      task.etag = fresh.etag;
      return fresh.etag;
    }
    replaceTask(task, current);
    showNotice(`${quoted(task)} was changed elsewhere. This is the newer version; ` +
               "nothing of yours was saved over it.");
  } catch (error) {
    if (error.status === 404) goneElsewhere(task);
    else report(error);
  }
  return null;
}

// Change some fields of a task, conditionally. Returns true if saved, false if not,
// or throws the ApiError of a refused change (a 400) for the caller to show.
async function change(task, fields) {
  const etag = await etagOf(task);
  if (!etag) return false;
  let saved;
  try {
    saved = await api.update(task.uri, fields, etag);
  } catch (error) {
    if (error.status === 412) await reread(task);
    else if (error.status === 404) goneElsewhere(task);
    else throw error;
    return false;
  }
  const current = state.tasks.get(task.uri);
  if (!current) return true;
  replaceTask(current, taskFrom(saved.body.task, saved.etag));
  return true;
}

async function remove(task) {
  const etag = await etagOf(task);
  if (!etag) return false;
  try {
    await api.remove(task.uri, etag);
  } catch (error) {
    if (error.status === 412) await reread(task);
    else if (error.status === 404) goneElsewhere(task);
    else report(error);
    return false;
  }
  if (state.tasks.has(task.uri)) {
    countChange(task.done, null);
    dropTask(task.uri);
    renderFooter();
  }
  return true;
}

// Moves go to the server one at a time, in the order they were made here, and the list
// shows each at once. A move sends no If-Match: it changes no one's words, only a place.
let moves = Promise.resolve();

// Put a task just before or just after another shown next to it.
function move(uri, side, otherUri) {
  const task = state.tasks.get(uri);
  const other = state.tasks.get(otherUri);
  const li = items.get(uri);
  const there = items.get(otherUri);
  if (!task || !other || !li || !there || li === there) return;
  if ((side === "before" ? li.nextElementSibling : li.previousElementSibling) === there) return;
  changes++;
  place(uri, side, otherUri);
  renderList();
  moves = moves.then(async () => {
    try {
      const moved = await api.move(task.uri, side, other.id);
      changes++;
      // The server may have respaced some neighbours, so their versions are new: every
      // task reads its ETag again before its next change.
      for (const known of state.tasks.values()) known.etag = null;
      const current = state.tasks.get(uri);
      if (current) replaceTask(current, taskFrom(moved.body.task, moved.etag));
    } catch (error) {
      if (error.status === 404) {
        showNotice(`${quoted(error.fields ? other : task)} was deleted elsewhere.`);
      } else {
        report(error);
      }
      if (error.status !== 401) await load();   // the server's order, as it is
    }
  });
}

// Move a uri next to another: in the pages loaded, or among the tasks added since (the
// pages not loaded lie between the two).
function place(uri, side, otherUri) {
  const from = state.order.includes(uri) ? state.order : state.added;
  const to = state.order.includes(otherUri) ? state.order : state.added;
  from.splice(from.indexOf(uri), 1);
  if (from !== to && from === state.order) state.shifted++;
  to.splice(to.indexOf(otherUri) + (side === "after" ? 1 : 0), 0, uri);
}

async function toggle(uri, done) {
  const task = state.tasks.get(uri);
  if (!task) return;
  try {
    await change(task, { done });
  } catch (error) {
    report(error);
  }
  const current = state.tasks.get(uri);
  if (current && items.has(uri)) renderTask(current);   // undo the box if not saved
}

// Every task of the current search in one state, over all pages.
async function everyTask(done) {
  const tasks = [];
  let page = await api.list({ ...filterParams(done), per_page: 1000 });
  for (let pages = 0; ; pages++) {
    for (const record of page.body.tasks) {
      const task = taskFrom(record);
      const known = state.tasks.get(task.uri);
      tasks.push(known && sameContent(known, task) ? known : task);
    }
    if (!page.links.next || pages > 1000) break;
    page = await api.page(page.links.next);
  }
  return tasks;
}

// Run one action per task, a few at a time; return how many failed.
async function each(tasks, action, progress) {
  let failed = 0;
  let finished = 0;
  const queue = tasks.slice();
  async function worker() {
    while (queue.length) {
      const task = queue.shift();
      if (!(await action(task).catch(() => false))) failed++;
      progress(++finished, tasks.length);
    }
  }
  await Promise.all(Array.from({ length: Math.min(4, tasks.length) }, worker));
  return failed;
}

async function toggleAll(done) {
  clearMessages();
  let tasks;
  try {
    tasks = await everyTask(!done);
  } catch (error) {
    return report(error);
  }
  for (const task of tasks) {
    if (!state.tasks.has(task.uri)) state.tasks.set(task.uri, task);
  }
  const failed = await each(tasks, (task) => change(task, { done }), (n, total) =>
    showNotice(`Marking tasks as ${done ? "complete" : "active"}: ${n} of ${total}…`));
  for (const task of tasks) {
    if (!items.has(task.uri) && !state.order.includes(task.uri)) state.tasks.delete(task.uri);
  }
  showNotice(`Marked ${plural(tasks.length - failed, "task")} as ${done ? "complete" : "active"}.`);
  if (failed) showError(`${plural(failed, "task")} could not be changed; see the list.`);
  await load();
}

async function clearCompleted() {
  clearMessages();
  const button = $("clear-completed");
  button.disabled = true;
  let tasks;
  try {
    tasks = await everyTask(true);
  } catch (error) {
    button.disabled = false;
    return report(error);
  }
  const failures = [];
  await each(tasks, async (task) => {
    const ok = await remove(task);
    if (!ok) failures.push(task);
    return ok;
  }, (n, total) => showNotice(`Deleting completed tasks: ${n} of ${total}…`));
  button.disabled = false;
  showNotice(`Deleted ${plural(tasks.length - failures.length, "completed task")}.`);
  if (failures.length) {
    showError(`${plural(failures.length, "task")} could not be deleted: ` +
              failures.map(quoted).join(", ") + ".");
  }
  await load();
}

// ------------------------------------------------------------------ editing

function startEditing(uri) {
  if (state.editing === uri) return;
  if (state.editing) stopEditing();
  const task = state.tasks.get(uri);
  const li = items.get(uri);
  if (!task || !li) return;
  state.editing = uri;
  const key = li.dataset.key;
  const title = element("input", { id: `edit-${key}-title`, value: task.title,
                                   autocomplete: "off",
                                   "aria-describedby": `edit-${key}-title-error` });
  const description = element("textarea", { id: `edit-${key}-description`, rows: 2,
                                            value: task.description,
                                            "aria-describedby": `edit-${key}-description-error` });
  const form = element("form", { className: "editing", noValidate: true },
    element("label", { htmlFor: title.id, text: "Title" }), title,
    element("p", { id: `edit-${key}-title-error`, className: "field-error", hidden: true }),
    element("label", { htmlFor: description.id, text: "Description" }), description,
    element("p", { id: `edit-${key}-description-error`, className: "field-error",
                   hidden: true }),
    element("p", { className: "hint", text: "Enter saves, Escape cancels." }));
  form.inputs = { title, description };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    save(uri);
  });
  form.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      cancelEditing(uri);
    } else if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      save(uri);
    }
  });
  form.addEventListener("focusout", (event) => {
    if (!form.contains(event.relatedTarget)) save(uri);
  });
  li.parts.view.hidden = true;
  li.draggable = false;   // so that a pointer can select the words being edited
  li.parts.form = form;
  li.classList.add("editing");
  li.append(form);
  title.focus();
  title.select();
}

function stopEditing() {
  const li = items.get(state.editing);
  state.editing = null;
  if (!li || !li.parts.form) return;
  const form = li.parts.form;
  li.parts.form = null;
  li.classList.remove("editing");
  li.parts.view.hidden = false;
  li.draggable = true;
  const focused = form.contains(document.activeElement);
  form.remove();
  if (focused) li.parts.edit.focus();
}

function cancelEditing(uri) {
  if (state.editing !== uri) return;
  stopEditing();
}

let saving = null;

async function save(uri) {
  const li = items.get(uri);
  const task = state.tasks.get(uri);
  if (state.editing !== uri || !li || !li.parts.form || !task || saving === uri) return;
  const { inputs } = li.parts.form;
  const fields = {};
  if (inputs.title.value !== task.title) fields.title = inputs.title.value;
  if (inputs.description.value !== task.description) fields.description = inputs.description.value;
  if (!Object.keys(fields).length) return stopEditing();
  saving = uri;
  try {
    const saved = await change(task, fields);
    if (state.editing === uri) {
      if (saved) stopEditing();
      else {
        // Changed elsewhere: show the newer version in the fields, keep editing.
        const current = state.tasks.get(uri);
        if (current) {
          inputs.title.value = current.title;
          inputs.description.value = current.description;
        }
      }
    }
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 400 ||
        !showFieldErrors(inputs, error)) report(error);
  } finally {
    saving = null;
  }
}

// ------------------------------------------------------------------- wiring

const signInInputs = () => ({ username: $("username"), password: $("password") });

async function signIn(event) {
  event.preventDefault();
  clearMessages();
  clearFieldErrors(signInInputs());
  const username = $("username").value.trim();
  const password = $("password").value;
  if (!username || !password) {
    return showFieldErrors(signInInputs(), { fields: {
      ...(username ? {} : { username: "Enter your username" }),
      ...(password ? {} : { password: "Enter your password" }) } });
  }
  await withButton($("sign-in"), () => startSession(username, password));
}

async function startSession(username, password) {
  try {
    const answer = await api.signIn(username, password);
    session.save(answer.body.token, username);
  } catch (error) {
    if (error.status === 401) showError("Wrong username or password.");
    else report(error, "Could not sign in: ");
    $("password").focus();
    return false;
  }
  $("password").value = "";
  showApp();
  await load();
  return true;
}

async function withButton(button, action) {
  button.disabled = true;
  try {
    return await action();
  } finally {
    button.disabled = false;
  }
}

async function register() {
  clearMessages();
  clearFieldErrors(signInInputs());
  const username = $("username").value.trim();
  const password = $("password").value;
  const created = await withButton($("register"), async () => {
    try {
      await api.register(username, password);
      return true;
    } catch (error) {
      if (error.status === 400 || error.status === 409) showFieldErrors(signInInputs(), error);
      else report(error, "Could not create the account: ");
      return false;
    }
  });
  if (created && await startSession(username, password)) {
    showNotice(`Welcome, ${username}: your account is ready.`);
  }
}

async function signOut() {
  clearMessages();
  try {
    await api.signOut();
  } catch (error) {
    if (error.status !== 401) return report(error, "Could not sign out: ");
  }
  session.clear();
  if (state.editing) stopEditing();
  state.tasks.clear();
  state.order = [];
  state.added = [];
  renderList();
  $("new-title").value = "";
  $("new-description").value = "";
  showSignIn();
  showNotice("Signed out.");
}

// The fields clear at once, so the next task can be typed while this one is sent; if it
// is refused, what was typed comes back into them (or, if they hold something new by
// then, into the message). While the server can't be reached, the request retries.
async function addTask(event) {
  event.preventDefault();
  const titleInput = $("new-title");
  const descriptionInput = $("new-description");
  const inputs = { title: titleInput, description: descriptionInput };
  const title = titleInput.value.trim();
  if (!title) return;
  clearFieldErrors(inputs);
  const description = descriptionInput.value.trim();
  const fields = description ? { title, description } : { title };
  titleInput.value = "";
  descriptionInput.value = "";
  let created;
  try {
    created = await api.add(fields);
  } catch (error) {
    if (!titleInput.value && !descriptionInput.value) {
      titleInput.value = title;
      descriptionInput.value = description;
      if (error.status === 400) return showFieldErrors(inputs, error);
    }
    return report(error, `“${title}” was not added: `);
  }
  const task = taskFrom(created.body.task, created.etag);
  changes++;
  state.active++;
  if (inView(task) && (!state.q || matches(task, state.q))) {
    state.tasks.set(task.uri, task);
    if (state.next) state.added.push(task.uri);
    else state.order.push(task.uri);
    renderList();
  } else {
    renderFooter();
    showNotice(`Added ${quoted(task)}; it is not shown here by the filter or the search.`);
  }
}

function matches(task, q) {
  const needle = q.toLowerCase();
  return task.title.toLowerCase().includes(needle) ||
    task.description.toLowerCase().includes(needle);
}

let searchTimer = null;

// Move up or down by one; the focus stays on the item's buttons as the item moves.
function moveByButton(li, up) {
  const other = up ? li.previousElementSibling : li.nextElementSibling;
  if (!other) return;
  move(li.dataset.uri, up ? "before" : "after", other.dataset.uri);
  const pressed = up ? li.parts.up : li.parts.down;
  if (li.isConnected) (pressed.disabled ? (up ? li.parts.down : li.parts.up) : pressed).focus();
}

// Dragging an item onto another puts it before or after that one, by the half it is
// dropped on; a line shows where it will go.
function wireDragging() {
  let dragged = null;
  let marked = null;
  const mark = (li, side) => {
    if (marked && marked !== li) delete marked.dataset.drop;
    marked = li;
    if (li) li.dataset.drop = side;
  };
  const target = (event) => {
    const li = event.target.closest && event.target.closest("li.task");
    return li && dragged && li.dataset.uri !== dragged ? li : null;
  };
  const side = (li, event) => {
    const box = li.getBoundingClientRect();
    return event.clientY < box.top + box.height / 2 ? "before" : "after";
  };
  list.addEventListener("dragstart", (event) => {
    const li = event.target.closest && event.target.closest("li.task");
    if (!li || !li.draggable) return;
    dragged = li.dataset.uri;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", li.parts.title.textContent);
    li.classList.add("dragging");
  });
  list.addEventListener("dragover", (event) => {
    const li = target(event);
    if (!li) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    mark(li, side(li, event));
  });
  list.addEventListener("dragleave", (event) => {
    if (marked && !marked.contains(event.relatedTarget)) mark(null);
  });
  list.addEventListener("drop", (event) => {
    const li = target(event);
    if (!li) return;
    event.preventDefault();
    move(dragged, side(li, event), li.dataset.uri);
  });
  list.addEventListener("dragend", () => {
    const li = items.get(dragged);
    if (li) li.classList.remove("dragging");
    dragged = null;
    mark(null);
  });
}

function wire() {
  $("signin-form").addEventListener("submit", signIn);
  $("register").addEventListener("click", register);
  $("sign-out").addEventListener("click", signOut);
  $("new-task").addEventListener("submit", addTask);
  $("more").addEventListener("click", loadMore);
  $("clear-completed").addEventListener("click", clearCompleted);
  $("toggle-all").addEventListener("change", (event) => toggleAll(event.target.checked));
  $("search").addEventListener("input", (event) => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => {
      state.q = event.target.value.trim();
      load();
    }, 250);
  });
  list.addEventListener("change", (event) => {
    if (event.target.classList.contains("toggle")) {
      toggle(event.target.closest("li").dataset.uri, event.target.checked);
    }
  });
  list.addEventListener("click", (event) => {
    const li = event.target.closest("li");
    if (!li) return;
    if (event.target === li.parts.edit) startEditing(li.dataset.uri);
    if (event.target === li.parts.up || event.target === li.parts.down) {
      moveByButton(li, event.target === li.parts.up);
    }
    if (event.target === li.parts.remove) {
      const task = state.tasks.get(li.dataset.uri);
      if (task) remove(task);
    }
  });
  list.addEventListener("dblclick", (event) => {
    const li = event.target.closest("li");
    if (li && event.target === li.parts.title) startEditing(li.dataset.uri);
  });
  wireDragging();
  window.addEventListener("hashchange", () => {
    state.filter = FILTERS[location.hash] || "all";
    if (session.token) load();
    else renderFooter();
  });
  const registration = document.querySelector('meta[name="todo-registration"]');
  $("register").hidden = !registration || registration.content !== "open";
}

wire();
renderFooter();
if (session.token) {
  showApp();
  load();
} else {
  showSignIn();
}
