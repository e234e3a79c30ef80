// "Why no offer?": the allocator's account (/allocator/explain) of why a
// framework is or is not offered each agent, as tables people read: the
// framework's roles in the DRF order, then every agent and role with its
// verdict and reasons.
import { h, link, section, table, notice, dl } from "../dom.js";
import { res, percent, date, ago } from "../format.js";
import { getJSON } from "../api.js";
import { frameworkRoute, agentRoute, loadNotice } from "./common.js";

export const title = "Why no offer?";

// CODES name each reason code for people.
const CODES = {
  framework_inactive: "Framework inactive",
  suppressed: "Suppressed",
  agent_deactivated: "Agent deactivated",
  missing_capability: "Missing capability",
  nothing_available: "Nothing free",
  reserved_for_other_role: "Reserved for another role",
  below_min_allocatable: "Below the minimum offer",
  quota_limit_reached: "Quota limit reached",
  decline_filter: "Declined (filter)",
};

export function codeName(code) {
  return CODES[code] || code;
}

export function render(ctx) {
  const id = ctx.params.id;
  const f = ctx.live.frameworks.get(id);
  ctx.setTitle("Why no offer? " + (f ? f.name : id));
  const entry = ctx.load("explain:" + id, () => getJSON("allocator/explain?framework_id=" + encodeURIComponent(id)));
  return h("div", {},
    h("h1", {}, "Why no offer? ", link(frameworkRoute(id), f ? f.name : id, { class: "mono" })),
    explainTable(ctx, entry));
}

// reasonView is one reason: its name, message and details.
function reasonView(r, now) {
  const details = [];
  if (r.roles && r.roles.length) details.push("roles " + r.roles.join(", "));
  if (r.until) details.push("until " + date(r.until) + " (in " + Math.max(0, Math.round(r.until - now / 1000)) + " s)");
  if (r.resources) details.push("for " + ["cpus", "mem"].filter((k) => r.resources[k]).map((k) => k + " " + res(r.resources, k)).join(", "));
  return h("li", { class: "reason", "data-code": r.code },
    h("strong", {}, codeName(r.code)), ": ", r.message, details.length ? h("span", { class: "muted" }, " (" + details.join("; ") + ")") : null);
}

// explainTable renders an explanation (an entry of ctx.load); the
// framework page embeds it too.
export function explainTable(ctx, entry) {
  const wait = loadNotice(entry, "the allocator's explanation",
    "The master does not explain yet why a framework gets no offers (/allocator/explain).");
  if (wait) return wait;
  const ex = entry.value.json;
  const rows = [];
  for (const a of ex.agents || []) {
    for (const r of a.roles || []) rows.push({ a, r });
  }
  const offered = rows.filter(({ r }) => r.verdict === "would_be_offered").length;
  return h("div", { class: "explain", id: "explain" },
    (ex.reasons || []).length
      ? notice("warn", h("ul", { class: "reasons" }, ex.reasons.map((r) => reasonView(r, ctx.now))))
      : notice("info", `${offered} of ${rows.length} agent and role pairs would be offered at the next allocation.`),
    dl([["Computed", ex.time ? h("span", { title: date(ex.time) }, ago(ex.time, ctx.now)) : null], ["Framework", ex.active ? "active" : "inactive"]]),
    section("Roles in the DRF order", table([
      { title: "Role", cell: (s) => h("span", { class: "mono" }, s.role) },
      { title: "Suppressed", cell: (s) => s.suppressed ? h("span", { class: "bad" }, "yes") : "no" },
      { title: "Place", class: "num", help: "1 is offered first", cell: (s) => s.drf_position ? String(s.drf_position) : "-" },
      { title: "Role's share", class: "num", cell: (s) => percent(s.share) },
      { title: "Framework's share in the role", class: "num", cell: (s) => percent(s.framework_share) },
      { title: "Roles ahead", cell: (s) => (s.roles_ahead || []).map((x) => `${x.role} (${percent(x.share)})`).join(", ") || "none" },
      { title: "Quota limit", cell: (s) => s.quota_limited ? "yes" : "no" },
    ], ex.roles || [], "The framework has no roles.", { id: "explain-roles" })),
    section("Agents", table([
      { title: "Agent", cell: ({ a }) => link(agentRoute(a.agent_id), a.hostname || a.agent_id, { title: a.agent_id }) },
      { title: "Role", cell: ({ r }) => h("span", { class: "mono" }, r.role) },
      { title: "Verdict", cell: ({ r }) => r.verdict === "would_be_offered"
        ? h("span", { class: "ok" }, "would be offered") : h("span", { class: "bad" }, "not offered") },
      { title: "Why", cell: ({ r }) => (r.reasons || []).length ? h("ul", { class: "reasons" }, r.reasons.map((x) => reasonView(x, ctx.now))) : "" },
      { title: "Free CPUs", class: "num", cell: ({ r }) => res(r.available, "cpus") },
      { title: "Free Mem", class: "num", cell: ({ r }) => res(r.available, "mem") },
      { title: "Holding CPUs", class: "num", help: "offered to or used by this framework there", cell: ({ a }) => res(a.holding, "cpus") },
    ], rows, "No agent is registered.", { id: "explain-agents" })));
}
