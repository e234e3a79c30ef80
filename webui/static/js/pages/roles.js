// Roles as a tree: "eng/web" sits under "eng". Each row shows the role's
// weight, frameworks, what is allocated and offered to it, and its quota.
import { h, section, table } from "../dom.js";
import { res, num } from "../format.js";
import { getJSON } from "../api.js";
import { loadNotice } from "./common.js";

export const title = "Roles";

// tree arranges roles by their "/"-separated names; a parent that has no
// entry of its own (only children) is added as an empty node.
export function tree(roles) {
  const nodes = new Map();
  const node = (name) => {
    if (!nodes.has(name)) nodes.set(name, { name, role: null, children: [] });
    return nodes.get(name);
  };
  const roots = [];
  for (const r of roles) node(r.name).role = r;
  for (const name of [...nodes.keys()]) {
    const parts = name.split("/");
    for (let i = 1; i < parts.length; i++) node(parts.slice(0, i).join("/"));
  }
  for (const [name, n] of nodes) {
    const cut = name.lastIndexOf("/");
    if (cut < 0 || name === "*") roots.push(n);
    else node(name.slice(0, cut)).children.push(n);
  }
  const byName = (a, b) => (a.name === "*" ? -1 : b.name === "*" ? 1 : a.name.localeCompare(b.name));
  const sort = (list) => { list.sort(byName); list.forEach((n) => sort(n.children)); return list; };
  return sort(roots);
}

export function render(ctx) {
  const entry = ctx.load("roles", () => getJSON("roles"));
  const wait = loadNotice(entry, "the roles");
  if (wait) return section("Roles", wait);
  const collapsed = (ctx.ui.collapsed = ctx.ui.collapsed || new Set());
  const rows = [];
  const walk = (n, depth) => {
    rows.push({ n, depth });
    if (!collapsed.has(n.name)) n.children.forEach((c) => walk(c, depth + 1));
  };
  tree(entry.value.json.roles || []).forEach((n) => walk(n, 0));
  const quota = (r, k) => {
    const q = (r && r.quota) || {};
    const g = (q.guarantee || {})[k], l = (q.limit || {})[k];
    if (g === undefined && l === undefined) return "";
    return `${g === undefined ? "-" : res(q.guarantee, k)} / ${l === undefined ? "∞" : res(q.limit, k)}`;
  };
  return section("Roles", table([
    { title: "Role", cell: ({ n, depth }) => h("span", { class: "tree", style: `padding-left:${depth * 1.4}em` },
      n.children.length
        ? h("button", { class: "twisty", "aria-expanded": String(!collapsed.has(n.name)), title: collapsed.has(n.name) ? "Expand" : "Collapse",
          onclick: () => { collapsed.has(n.name) ? collapsed.delete(n.name) : collapsed.add(n.name); ctx.refresh(); } }, collapsed.has(n.name) ? "▸" : "▾")
        : h("span", { class: "twisty" }, "·"),
      h("span", { class: n.role ? "mono" : "mono muted" }, n.name.split("/").pop())) },
    { title: "Weight", class: "num", cell: ({ n }) => n.role ? num(n.role.weight) : "" },
    { title: "Frameworks", class: "num", cell: ({ n }) => n.role ? String((n.role.frameworks || []).length) : "" },
    { title: "Allocated CPUs", class: "num", cell: ({ n }) => n.role ? res(n.role.allocated, "cpus") : "" },
    { title: "Allocated Mem", class: "num", cell: ({ n }) => n.role ? res(n.role.allocated, "mem") : "" },
    { title: "Offered CPUs", class: "num", cell: ({ n }) => n.role ? res(n.role.offered, "cpus") : "" },
    { title: "Offered Mem", class: "num", cell: ({ n }) => n.role ? res(n.role.offered, "mem") : "" },
    { title: "Quota CPUs", class: "num", help: "guarantee / limit", cell: ({ n }) => quota(n.role, "cpus") },
    { title: "Quota Mem", class: "num", help: "guarantee / limit", cell: ({ n }) => quota(n.role, "mem") },
  ], rows, "No roles are known.", { class: "grid roles", id: "roles" }));
}
