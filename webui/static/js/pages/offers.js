// The outstanding offers: resources offered to a framework and neither
// accepted nor declined yet.
import { h, link, section, table } from "../dom.js";
import { res, shortID } from "../format.js";
import { offers } from "../model.js";
import { frameworkRoute, agentRoute } from "./common.js";

export const title = "Offers";

export function render(ctx) {
  const list = offers(ctx.state);
  return section(`Outstanding offers (${list.length})`, table([
    { title: "ID", cell: (o) => h("span", { class: "mono" }, o.id) },
    { title: "Role", cell: (o) => (o.allocation_info || {}).role || "" },
    { title: "Framework", cell: (o) => link(frameworkRoute(o.framework_id), o.framework.name + " (" + shortID(o.framework_id, ctx.state.id) + ")") },
    { title: "Host", cell: (o) => {
      const a = ctx.idx.agents.get(o.slave_id);
      return link(agentRoute(o.slave_id), a ? ctx.idx.agentLabel.get(o.slave_id) : shortID(o.slave_id, ctx.state.id));
    } },
    { title: "CPUs", class: "num", cell: (o) => res(o.resources, "cpus") },
    { title: "GPUs", class: "num", cell: (o) => res(o.resources, "gpus") },
    { title: "Mem", class: "num", cell: (o) => res(o.resources, "mem") },
    { title: "Disk", class: "num", cell: (o) => res(o.resources, "disk") },
  ], list, "No offers are outstanding.", { id: "offers" }));
}
