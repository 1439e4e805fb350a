// Node.js clients for the nocontent client matrix (python -m nocontent lab clients).
// Usage: node node_client.js http|fetch FIRST_URL SECOND_URL PAUSE_MS
// Sends GET FIRST_URL, reads the whole response, waits PAUSE_MS, then sends GET SECOND_URL with
// the same keep-alive connection pool, and prints one JSON object: what each request returned
// (status and body) or the error it raised, and for `http` whether the second reused the socket.
"use strict";
const http = require("http");

const [mode, firstUrl, secondUrl, pauseMs] = process.argv.slice(2);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function describe(error) {
  const cause = error.cause ? ` (cause: ${error.cause.code || error.cause.name}: ${error.cause.message})` : "";
  return `${error.code || error.name}: ${error.message}${cause}`;
}

function viaHttp(agent, url) {
  return new Promise((resolve) => {
    const request = http.get(url, { agent }, (response) => {
      const chunks = [];
      response.on("data", (chunk) => chunks.push(chunk));
      response.on("end", () => resolve({
        status: response.statusCode,
        body: Buffer.concat(chunks).toString("latin1"),
        reused: request.reusedSocket,
      }));
      response.on("error", (error) => resolve({ error: describe(error), reused: request.reusedSocket }));
    });
    request.setTimeout(5000, () => request.destroy(new Error("no response within 5 s")));
    request.on("error", (error) => resolve({ error: describe(error), reused: request.reusedSocket }));
  });
}

async function viaFetch(url) {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
    const body = Buffer.from(await response.arrayBuffer()).toString("latin1");
    return { status: response.status, body };
  } catch (error) {
    return { error: describe(error) };
  }
}

async function main() {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const get = mode === "http" ? (url) => viaHttp(agent, url) : viaFetch;
  const first = await get(firstUrl);
  await sleep(Number(pauseMs));
  const second = await get(secondUrl);
  agent.destroy();
  const versions = { node: process.version, llhttp: process.versions.llhttp, undici: process.versions.undici };
  process.stdout.write(JSON.stringify({ first, second, versions }) + "\n");
}

main();
