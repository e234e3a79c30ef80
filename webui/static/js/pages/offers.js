// The outstanding offers: resources offered to a framework and neither
// accepted nor declined yet. What each framework holds comes from the
// stream's summaries; the offers themselves from /master/offers, a page
// at a time (at 10,000 agents there can be thousands).
import { h, link, section, table } from "../dom.js";
import { res, shortID } from "../format.js";
import { getJSON } from "../api.js";
import { frameworkRoute, agentRoute, loadNotice } from "./common.js";

export const title = "Offers";

const PAGE = 100;

export function render(ctx) {
  const ui = ctx.ui;
  ui.page = ui.page || 0;
  const total = ctx.overview.outstanding_offers || 0;
  const pages = Math.max(1, Math.ceil(total / PAGE));
  const page = Math.min(ui.page, pages - 1);
  const entry = ctx.load("offers:" + page, () => getJSON(`master/offers?limit=${PAGE}&offset=${page * PAGE}`));
  const wait = loadNotice(entry, "the offers");
  const list = entry.value ? (entry.value.json.offers || []) : [];
  const holding = [...ctx.live.frameworks.values()].filter((f) => f.offers > 0).sort((a, b) => b.offers - a.offers);
  const byFramework = section("Offered to each framework", table([
    { title: "Framework", cell: (f) => link(frameworkRoute(f.id), f.name + " (" + shortID(f.id, ctx.state.id) + ")") },
    { title: "Offers", class: "num", cell: (f) => String(f.offers) },
    { title: "CPUs", class: "num", cell: (f) => res(f.offered_resources, "cpus") },
    { title: "GPUs", class: "num", cell: (f) => res(f.offered_resources, "gpus") },
    { title: "Mem", class: "num", cell: (f) => res(f.offered_resources, "mem") },
    { title: "Disk", class: "num", cell: (f) => res(f.offered_resources, "disk") },
  ], holding, "No framework holds an offer.", { id: "offers-by-framework" }));
  const pager = pages > 1 ? h("div", { class: "controls" }, h("span", { class: "pager" },
    h("button", { disabled: page === 0, onclick: () => { ui.page = page - 1; ctx.refresh(); } }, "‹ Previous"),
    ` page ${page + 1} of ${pages} `,
    h("button", { disabled: page >= pages - 1, onclick: () => { ui.page = page + 1; ctx.refresh(); } }, "Next ›"))) : null;
  return h("div", {}, byFramework, section(`Outstanding offers (${total})`, pager, wait, table([
    { title: "ID", cell: (o) => h("span", { class: "mono" }, o.id) },
    { title: "Role", cell: (o) => (o.allocation_info || {}).role || "" },
    { title: "Framework", cell: (o) => {
      const f = ctx.live.frameworks.get(o.framework_id);
      return link(frameworkRoute(o.framework_id), (f ? f.name + " " : "") + "(" + shortID(o.framework_id, ctx.state.id) + ")");
    } },
    { title: "Agent", cell: (o) => link(agentRoute(o.slave_id), shortID(o.slave_id, ctx.state.id), { title: o.slave_id, class: "mono" }) },
    { title: "CPUs", class: "num", cell: (o) => res(o.resources, "cpus") },
    { title: "GPUs", class: "num", cell: (o) => res(o.resources, "gpus") },
    { title: "Mem", class: "num", cell: (o) => res(o.resources, "mem") },
    { title: "Disk", class: "num", cell: (o) => res(o.resources, "disk") },
  ], list, "No offers are outstanding.", { id: "offers" })));
}
