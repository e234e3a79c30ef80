// Reading the cluster's JSON endpoints. Paths are relative to the page, so
// the UI also works behind a proxy that mounts the master under a prefix.

// NotAvailable is thrown for an endpoint that answers 404: this master or
// agent does not serve it (yet). Pages show a notice instead of failing.
export class NotAvailable extends Error {
  constructor(url) {
    super(`${url} is not available yet on this cluster`);
    this.name = "NotAvailable";
    this.url = url;
  }
}

// getJSON fetches url and decodes it; a 404 throws NotAvailable, other
// failures an Error whose message says what went wrong.
export async function getJSON(url, { signal } = {}) {
  let resp;
  try {
    resp = await fetch(url, { cache: "no-store", signal, headers: { Accept: "application/json" } });
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new Error(`cannot reach ${url}: ${err.message}`);
  }
  if (resp.status === 404) throw new NotAvailable(url);
  if (!resp.ok) {
    const text = (await resp.text()).trim();
    throw new Error(`${url} answered ${resp.status}${text ? ": " + text.slice(0, 300) : ""}`);
  }
  const text = await resp.text();
  return { json: JSON.parse(text), bytes: text.length };
}

// Unreadable is thrown when a script load through ?jsonp= fails: the
// browser does not say why, so the agent may not serve the endpoint (a 404)
// or may not be reachable from this browser.
export class Unreadable extends Error {
  constructor(url) {
    super(`could not load ${url}: the agent does not serve it, or this browser cannot reach the agent`);
    this.name = "Unreadable";
    this.url = url;
  }
}

// jsonp loads a JSON endpoint of another origin (an agent on its own port)
// through ?jsonp=, as Mesos' UI does: agents send no CORS headers.
let jsonpSeq = 0;
export function jsonp(url, timeoutMs = 10000) {
  return new Promise((resolve, reject) => {
    const name = "c" + (++jsonpSeq);
    const registry = (window.gomesosJsonp = window.gomesosJsonp || {});
    const script = document.createElement("script");
    const done = () => {
      clearTimeout(timer);
      delete registry[name];
      script.remove();
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`no answer from ${url} within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    registry[name] = (data) => {
      done();
      resolve({ json: data, bytes: 0 });
    };
    script.onerror = () => {
      done();
      reject(new Unreadable(url));
    };
    script.src = url + (url.includes("?") ? "&" : "?") + "jsonp=gomesosJsonp." + name;
    document.head.appendChild(script);
  });
}

// agentBase is the URL prefix of an agent's endpoints, from what the master
// knows of it: its PID's process name and IP (slave(1)@10.0.0.1:40000) and
// its HTTP port. An agent serves its endpoints under /slave(N)/ as well as
// at the root, so one form works for mesos-local (every agent on the
// master's port) and for agents running on their own.
export function agentBase(agent) {
  const m = /^([^@]+)@([^:]+):/.exec(agent.pid || "");
  if (!m) return null;
  const [, id, ip] = m;
  const port = agent.port;
  const here = window.location;
  const sameOrigin = String(port) === (here.port || (here.protocol === "https:" ? "443" : "80")) &&
    (ip === here.hostname || isLoopback(ip) && isLoopback(here.hostname));
  if (sameOrigin) return { base: `${id}/`, sameOrigin: true };
  return { base: `${here.protocol}//${ip}:${port}/${id}/`, sameOrigin: false };
}

function isLoopback(host) {
  return host === "localhost" || /^127\./.test(host) || host === "[::1]";
}

// getAgentJSON reads one of an agent's endpoints (path without a leading
// slash: "state", "monitor/statistics").
export function getAgentJSON(agent, path) {
  const b = agentBase(agent);
  if (!b) return Promise.reject(new Error(`agent ${agent.id} has no usable PID (${agent.pid})`));
  return b.sameOrigin ? getJSON(b.base + path) : jsonp(b.base + path);
}
