// Building DOM nodes without HTML strings: every text goes in as a text
// node, so names and IDs from the cluster can never become markup.

// h(tag, attrs, ...children): attrs may hold "class", "text", "on<event>"
// handlers, "dataset" and any attribute; children are nodes, strings,
// numbers, arrays of those, or null (skipped).
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "text") el.textContent = v;
    else if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k === "value") el.value = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// link to a route of this UI ("#/agents/ID").
export function link(route, text, attrs) {
  return h("a", { href: "#" + route, ...attrs }, text);
}

// external opens another page (a JSON endpoint, the trace view) in a new tab.
export function external(href, text, attrs) {
  return h("a", { href, target: "_blank", rel: "noopener", ...attrs }, text);
}

// notice is a boxed message: kind is "info", "warn" or "error".
export function notice(kind, ...children) {
  return h("div", { class: "notice " + kind, role: kind === "error" ? "alert" : "status" }, ...children);
}

// section is a titled block of a page.
export function section(title, ...children) {
  return h("section", { class: "card" }, h("h2", {}, title), ...children);
}

// table renders rows (objects) through columns [{title, cell(row), class}];
// empty is shown when there are no rows.
export function table(columns, rows, empty, attrs) {
  const head = h("thead", {}, h("tr", {}, columns.map((c) => h("th", { class: c.class || null, title: c.help || null }, c.title))));
  const body = h("tbody", {});
  if (rows.length === 0) {
    body.appendChild(h("tr", { class: "empty" }, h("td", { colspan: columns.length }, empty || "None.")));
  }
  for (const r of rows) {
    body.appendChild(h("tr", {}, columns.map((c) => h("td", { class: c.class || null }, c.cell(r)))));
  }
  return h("table", { class: "grid", ...attrs }, head, body);
}

// dl renders [label, value] pairs as a definition list, skipping pairs whose
// value is null or "".
export function dl(pairs) {
  const el = h("dl", { class: "facts" });
  for (const [k, v] of pairs) {
    if (v === null || v === undefined || v === "") continue;
    el.appendChild(h("dt", {}, k));
    el.appendChild(h("dd", {}, v));
  }
  return el;
}
