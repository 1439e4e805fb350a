"""The browser lab's two pages: the experiment page and the frame it navigates.

:mod:`nocontent._browserlab` serves them and fills in ``{experiments}`` (the
list of experiments, with their predictions), ``{bodies}`` (what the PUTs send) and
``{key_field}``, as JSON. The script runs each
experiment in isolation, with a timeout of its own, posts each result as it
comes, and never polls without a bound. The page marks its state on the
``<html>`` element (``data-state="running"``, then ``"done"``) and in the line
``#state``, so a person and a test driver read the same thing.
"""

from __future__ import annotations

__all__ = ["FRAME_PAGE", "LAB_PAGE"]

FRAME_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>nocontent browser lab: a frame</title>
</head>
<body>
<p>A frame of the browser lab. The page marks this document, then makes it navigate.</p>
<p><a id="link" href="#">a link</a></p>
<form id="form" method="get" action="answer/204">
<input type="hidden" name="lab" value="">
<label>Note <input name="note" value=""></label>
<button type="submit">Send</button>
</form>
</body>
</html>
"""

LAB_PAGE = """<!doctype html>
<html lang="en" data-state="loading">
<head>
<meta charset="utf-8">
<title>nocontent browser lab</title>
<style>
body { font: 15px/1.45 system-ui, sans-serif; margin: 1em; max-width: 70em; }
table { border-collapse: collapse; width: 100%; font-size: 0.9em; }
th, td { border-top: 1px solid rgba(127, 127, 127, 0.4); padding: 0.3em; text-align: left;
         vertical-align: top; }
code, .result { font-family: monospace; font-size: 0.95em; }
.as-spec { color: #1b7f3b; } .departs { color: #b00020; } .error { color: #b00020; }
.open, .skipped { color: #6a5d00; }
#frames iframe { width: 14em; height: 6em; border: 1px dashed rgba(127, 127, 127, 0.6); }
</style>
</head>
<body>
<h1>The browser lab: what this browser does with a 204</h1>
<p>This page runs a fixed list of experiments against the server that served it, in this
browser, and sends each result back to that server, where the notebook reads them
(<code>GET browser-lab/results</code>). Each row names the spec text that predicts the outcome
and says whether this browser did what it predicts.</p>
<p id="state" role="status" data-count="0">Loading&hellip;</p>
<p>This browser: <code id="agent"></code></p>
<p><button id="again" type="button" disabled>Run again</button></p>
<table>
<thead><tr><th>experiment</th><th>what the page does</th><th>the spec says</th>
<th>predicted</th><th>measured here</th><th>verdict</th></tr></thead>
<tbody id="rows"></tbody>
</table>
<p><small>The CORS rows call this server under another origin: <code>localhost</code> when this
page is at <code>127.0.0.1</code> (and the other way round), or, behind jupyter-server-proxy,
the server's own address <code>http://127.0.0.1:PORT</code>, which only a browser on the same
machine as the server can reach. Everything else uses addresses relative to this page.</small></p>
<div id="frames" aria-hidden="true"></div>
<script>
"use strict";
const EXPERIMENTS = {experiments};
const BODIES = {bodies};
const KEY_FIELD = {key_field};
const VERSION_FIELD = {version_field};  // the field naming the protocol an answer came over
const TIMEOUT_MS = 10000;  // each experiment; then it reports a timeout and the next one runs
const POLL_MS = 100;
const POLLS = 50;          // at most five seconds waiting for the server to see a request
const SETTLE_MS = 1500;    // after the server saw a navigation: time to act on its answer
const TYPED = "typed before the 205";
const CACHED = {"cache.control-200": "browser-lab/cached", "cache.heuristic": "cache/heuristic",
                "cache.max-age": "cache/max-age/60", "cache.no-store": "cache/no-store"};

const $ = (id) => document.getElementById(id);
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
// Relative to this page: the same at 127.0.0.1:PORT/browser-lab and behind a proxy prefix.
const here = (path) => new URL(path, document.baseURI).href;

const asked = new URLSearchParams(location.search).get("run");
const base = asked && /^[A-Za-z0-9_-]{1,36}$/.test(asked) ? asked :
    Date.now().toString(36) + Math.random().toString(36).slice(2, 8);
let runs = 0;

function withTimeout(promise, ms) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error("no result after " + ms / 1000 + " s")), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

async function hits(key) {
  const response = await fetch(here("browser-lab/hits?key=" + encodeURIComponent(key)),
                               {cache: "no-store"});
  if (!response.ok) throw new Error("browser-lab/hits answered " + response.status);
  return (await response.json()).hits;
}

// Until the server has seen `count` requests under `key`, at most POLLS times.
async function seen(key, count) {
  let found = [];
  for (let i = 0; i < POLLS; i += 1) {
    found = await hits(key);
    if (found.length >= count) break;
    await pause(POLL_MS);
  }
  return found;
}

// -- navigation, in a frame ----------------------------------------------------------------

function openFrame(name) {
  return new Promise((resolve) => {
    const frame = document.createElement("iframe");
    frame.title = name;
    frame.addEventListener("load", () => resolve(frame), {once: true});
    frame.src = here("browser-lab/frame");
    $("frames").append(frame);
  });
}

function sameDocument(frame, key) {
  try {
    return frame.contentWindow.ncMark === key;  // set on the frame's first document only
  } catch (error) {
    return false;
  }
}

async function navigation(experiment, key) {
  const [, how, status] = experiment.name.split(".");
  const frame = await openFrame(experiment.name);
  try {
    frame.contentWindow.ncMark = key;
    let loads = 0;
    const loaded = new Promise((resolve) => frame.addEventListener("load", () => {
      loads += 1;
      resolve();
    }));
    const target = here("browser-lab/answer/" + status);
    const doc = frame.contentDocument;
    const form = doc.getElementById("form");
    if (how === "link") {
      const link = doc.getElementById("link");
      link.href = target + "?lab=" + key;
      link.click();
    } else if (how === "form-get") {
      form.method = "get";  // the form's fields become the query, so the key is a field
      form.action = target;
      form.elements.lab.value = key;
      form.requestSubmit();
    } else if (how === "form-post") {
      form.method = "post";
      form.action = target + "?lab=" + key;
      form.requestSubmit();
    } else {
      frame.contentWindow.location.assign(target + "?lab=" + key);
    }
    await seen(key, 1);
    await Promise.race([loaded, pause(SETTLE_MS)]);
    const found = await hits(key);
    return {reached: found.length, method: found.length ? found[0].method : null,
            navigated: !sameDocument(frame, key), load_events: loads};
  } finally {
    frame.remove();
  }
}

async function reset205(experiment, key) {
  const frame = await openFrame(experiment.name);
  try {
    frame.contentWindow.ncMark = key;
    const form = frame.contentDocument.getElementById("form");
    let resets = 0;
    form.addEventListener("reset", () => { resets += 1; });
    form.elements.note.value = TYPED;
    form.method = "post";
    form.action = here("browser-lab/answer/205") + "?lab=" + key;
    form.requestSubmit();
    await seen(key, 1);
    await pause(SETTLE_MS);  // a reset would come after the answer: give it the time
    const navigated = !sameDocument(frame, key);
    let fields = "page replaced";
    if (!navigated) {
      const note = form.elements.note.value;
      fields = note === TYPED ? "kept" : note === "" ? "reset" : "changed";
    }
    return {reached: (await hits(key)).length, fields, reset_events: resets, navigated};
  } finally {
    frame.remove();
  }
}

// -- fetch, XMLHttpRequest, the Response constructor ------------------------------------------

async function describeBody(response) {
  if (response.body === null) return "null";
  const size = (await response.arrayBuffer()).byteLength;
  return size === 0 ? "empty stream" : "stream of " + size + " bytes";
}

async function fetchNoContent(experiment) {
  const target = here("browser-lab/answer/" + experiment.name.split(".")[1]);
  const first = await fetch(target, {cache: "no-store"});
  const result = {status: first.status, ok: first.ok, body: await describeBody(first)};
  if (first.status === 204) {
    result.text = await (await fetch(target, {cache: "no-store"})).text();
    try {
      await (await fetch(target, {cache: "no-store"})).json();
      result.json = "no error";
    } catch (error) {
      result.json = error.name;
    }
  }
  return result;
}

async function putEtag(experiment, key) {
  const target = here("docs/browser-lab");
  const plain = {"Content-Type": "text/plain"};
  const created = await fetch(target + "?lab=" + key + ".create",
                              {method: "PUT", body: BODIES[0], headers: plain});
  const saved = await fetch(target + "?lab=" + key, {method: "PUT", body: BODIES[1],
      headers: {...plain, "If-Match": created.headers.get("ETag") || "none"}});
  return {created: created.status, status: saved.status, etag: saved.headers.get("ETag"),
          body: await describeBody(saved)};
}

function construct(body) {
  try {
    return new Response(body, {status: 204}).body === null ? "null" : "a stream";
  } catch (error) {
    return error.name;
  }
}

async function constructor204() {
  return {x: construct("x"), empty: construct(""), null: construct(null)};
}

function xhrJson() {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open("GET", here("browser-lab/answer/204"));
    xhr.responseType = "json";
    xhr.onloadend = () => {
      let response;
      let threw = false;
      try {
        response = xhr.response;
      } catch (error) {
        threw = true;
        response = error.name;
      }
      resolve({status: xhr.status, response: response === undefined ? "undefined" : response,
               threw});
    };
    xhr.send();
  });
}

// -- a beacon -------------------------------------------------------------------------------

async function beacon(experiment, key) {
  const returned = navigator.sendBeacon(here("beacon?lab=" + key), "sent by the browser lab");
  const found = await seen(key, 1);
  return {returned, reached: found.length, method: found.length ? found[0].method : null};
}

// -- CORS: the same server under another origin ----------------------------------------------

function otherOrigin() {
  const proxied = /\\/proxy\\/(\\d+)\\//.exec(location.pathname);
  if (proxied) return {origin: "http://127.0.0.1:" + proxied[1], proxied: true};
  const port = location.port || (location.protocol === "https:" ? "443" : "80");
  if (location.hostname === "127.0.0.1") return {origin: "http://localhost:" + port};
  if (location.hostname === "localhost") return {origin: "http://127.0.0.1:" + port};
  return null;
}

async function cors(experiment, key) {
  const other = otherOrigin();
  if (other === null) {
    return {skipped: "this page is not at 127.0.0.1 or localhost, so the page does not know " +
                     "another address of this server"};
  }
  const doc = other.origin + "/docs/browser-lab-cors";
  const plain = {"Content-Type": "text/plain"};
  let created;
  try {
    created = await fetch(doc + "?lab=" + key + ".create",
                          {method: "PUT", body: BODIES[0], headers: plain});
  } catch (error) {
    const why = "this browser could not reach " + other.origin + " (" + error.name + ": " +
                error.message + ")";
    return other.proxied ? {skipped: why + "; behind a proxy, only a browser on the server's " +
                                     "machine can"} : {error: why};
  }
  const query = "?lab=" + key + (experiment.name === "cors.expose" ? "" : "&expose=none");
  const saved = await fetch(doc + query, {method: "PUT", body: BODIES[1],
      headers: {...plain, "If-Match": created.headers.get("ETag") || "none"}});
  const found = await hits(key);
  return {created: created.status,
          preflights: found.filter((hit) => hit.method === "OPTIONS").length,
          puts: found.filter((hit) => hit.method === "PUT").length, status: saved.status,
          etag: saved.headers.get("ETag"),
          last_modified: saved.headers.get("Last-Modified") === null ? null : "readable"};
}

// -- the HTTP cache: the same GET twice -------------------------------------------------------

async function cache(experiment, key) {
  const target = here(CACHED[experiment.name]);
  const field = {[KEY_FIELD]: key};  // the URL stays /cache/...; the server counts by field
  // "reload": to the network, and the answer is stored (Fetch, request's cache mode).
  const first = await fetch(target, {cache: "reload", headers: field});
  const second = await fetch(target, {headers: field});
  const found = await hits(key);
  return {first: first.status, second: second.status, reached: found.length,
          revalidated: found.length > 1 && found[1].conditional};
}

// -- a broken 204 on a kept-alive connection --------------------------------------------------

async function answerOf(promise) {
  try {
    const response = await promise;
    return response.status + " " + JSON.stringify((await response.text()).slice(0, 100));
  } catch (error) {
    return error.name + ": " + error.message;
  }
}

async function broken(experiment, key) {
  if (otherOrigin()?.proxied) {
    return {skipped: "behind jupyter-server-proxy the proxy reads the broken 204, not this " +
                     "browser; open the page at the server's own address to measure it"};
  }
  const first = await answerOf(fetch(here("misbehave/body?lab=" + key + ".first"),
                                     {cache: "no-store"}));
  const second = await answerOf(fetch(here("status/200?lab=" + key), {cache: "no-store"}));
  return {first, second, second_reached: (await hits(key)).length};
}

// -- HTTP/2 and HTTP/3: the course's TLS server, given as ?tls=PORT ---------------------------

const TLS = new URLSearchParams(location.search).get("tls");

async function versions(experiment, key) {
  if (!TLS || !/^\\d{1,5}$/.test(TLS)) {
    return {skipped: "no TLS server was given to this page (?tls=PORT), and this server " +
                     "speaks HTTP/1.1 without TLS"};
  }
  const target = "https://127.0.0.1:" + TLS + "/browser-lab/answer/204?lab=" + key;
  let first;
  try {
    first = await fetch(target, {cache: "no-store"});
  } catch (error) {
    return {skipped: "could not reach https://127.0.0.1:" + TLS + " (" + error.name + ": " +
                     error.message + "); this browser must first trust the course's " +
                     "throwaway certificate"};
  }
  if (experiment.name === "http2") {
    return {version: first.headers.get(VERSION_FIELD), status: first.status, ok: first.ok,
            body: await describeBody(first)};
  }
  // The first answer carried Alt-Svc: h3. Does the browser move to HTTP/3 within a few requests?
  await first.arrayBuffer();
  const seen = [first.headers.get(VERSION_FIELD)];
  for (let i = 0; i < 4 && !seen.includes("HTTP/3"); i += 1) {
    await pause(250);
    const next = await fetch(target, {cache: "no-store"});
    seen.push(next.headers.get(VERSION_FIELD));
    await next.arrayBuffer();
  }
  return {versions: seen};
}

// -- running and reporting --------------------------------------------------------------------

function runnerOf(name) {
  if (name.startsWith("nav.")) return navigation;
  if (name === "form.reset-205") return reset205;
  if (name === "fetch.204" || name === "fetch.205") return fetchNoContent;
  if (name === "fetch.put-etag") return putEtag;
  if (name === "response.constructor") return constructor204;
  if (name === "xhr.json") return xhrJson;
  if (name === "beacon") return beacon;
  if (name.startsWith("cors.")) return cors;
  if (name.startsWith("cache.")) return cache;
  if (name === "broken.body") return broken;
  return versions;
}

function verdict(experiment, result) {
  if ("skipped" in result) return ["not run: " + result.skipped, "skipped"];
  if ("error" in result) return ["error: " + result.error, "error"];
  if (experiment.predicted === null) return ["the specs allow more than one outcome", "open"];
  const off = Object.entries(experiment.predicted)
      .filter(([name, value]) => JSON.stringify(result[name]) !== JSON.stringify(value));
  if (off.length === 0) return ["as the spec says", "as-spec"];
  return ["departs: " + off.map(([name, value]) => name + " is " + JSON.stringify(result[name]) +
          ", the spec says " + JSON.stringify(value)).join("; "), "departs"];
}

function row(experiment) {
  const line = document.createElement("tr");
  line.id = "row-" + experiment.name;
  const cells = [experiment.name, experiment.what, "", experiment.predicted === null ? "-" :
                 JSON.stringify(experiment.predicted), "", ""];
  for (const text of cells) {
    const cell = document.createElement("td");
    cell.textContent = text;
    line.append(cell);
  }
  if (experiment.spec) {
    const source = document.createElement("a");
    source.href = experiment.link;
    source.textContent = experiment.source;
    line.cells[2].append("\\u201c" + experiment.spec + "\\u201d (", source, ")");
  }
  line.cells[3].className = line.cells[4].className = "result";
  return line;
}

function show(experiment, result) {
  const line = $("row-" + experiment.name);
  const [text, kind] = verdict(experiment, result);
  line.cells[4].textContent = JSON.stringify(result);
  line.cells[5].textContent = text;
  line.cells[5].className = kind;
  line.dataset.verdict = kind;
}

async function report(run, experiment, result) {
  const body = JSON.stringify({run, experiment: experiment.name, result,
                               user_agent: navigator.userAgent});
  try {
    const response = await fetch(here("browser-lab/results"), {method: "POST", body,
        headers: {"Content-Type": "application/json"}});
    return response.status === 204;
  } catch (error) {
    return false;
  }
}

let reported = 0;
let unsent = 0;

async function runOne(run, experiment) {
  const key = run + "." + experiment.name;
  let result;
  try {
    result = await withTimeout(runnerOf(experiment.name)(experiment, key), TIMEOUT_MS);
  } catch (error) {
    result = {error: error.name + ": " + error.message};
  }
  show(experiment, result);
  if (await report(run, experiment, result)) reported += 1; else unsent += 1;
  $("state").dataset.count = String(reported);
  $("state").textContent = "Run " + run + ": " + reported + " of " + EXPERIMENTS.length +
      " results sent to the server" + (unsent ? " (" + unsent + " could not be sent)" : "") + ".";
}

async function runAll() {
  runs += 1;
  const run = runs === 1 ? base : base + "-" + runs;
  reported = unsent = 0;
  $("again").disabled = true;
  document.documentElement.dataset.state = "running";
  $("rows").replaceChildren(...EXPERIMENTS.map(row));
  const navigations = EXPERIMENTS.filter((e) => e.group === "navigation");
  for (let i = 0; i < navigations.length; i += 3) {  // three frames at a time
    await Promise.all(navigations.slice(i, i + 3).map((e) => runOne(run, e)));
  }
  for (const experiment of EXPERIMENTS.filter((e) => e.group !== "navigation")) {
    await runOne(run, experiment);
  }
  document.documentElement.dataset.state = "done";
  $("state").dataset.run = run;
  $("state").textContent += " Done.";
  $("again").disabled = false;
}

$("agent").textContent = navigator.userAgent;
$("again").addEventListener("click", runAll);
runAll();
</script>
</body>
</html>
"""
