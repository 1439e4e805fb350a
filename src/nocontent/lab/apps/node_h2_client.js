// Node.js's http2 module for the nocontent client matrix over HTTP/2 (python -m nocontent lab clients).
// Usage: node node_h2_client.js FIRST_URL SECOND_URL [CA_FILE]
// Opens one session (h2 over TLS for https://, trusting CA_FILE; h2c with prior knowledge for
// http://), sends GET FIRST_URL and reads the whole response, then sends GET SECOND_URL on the
// same session if it is still open, else on a new one. Prints one JSON object: what each request
// returned (status, body, trailers) or the error it raised, and whether the second used the
// first one's session.
"use strict";
const fs = require("fs");
const http2 = require("http2");

const [firstUrl, secondUrl, caFile] = process.argv.slice(2);
const TIMEOUT_MS = 5000;

function describe(error) {
  return `${error.code || error.name}: ${error.message}`;
}

function connect(url) {
  const options = caFile ? { ca: fs.readFileSync(caFile) } : {};
  const session = http2.connect(new URL(url).origin, options);
  session.on("error", () => {}); // each request reports what it saw
  return session;
}

function get(session, url) {
  return new Promise((resolve) => {
    const { pathname, search } = new URL(url);
    const result = {};
    const chunks = [];
    let request;
    try {
      request = session.request({ ":path": pathname + search });
    } catch (error) {
      resolve({ error: describe(error) });
      return;
    }
    request.setTimeout(TIMEOUT_MS, () => {
      result.error = `no response within ${TIMEOUT_MS / 1000} s`;
      request.close(http2.constants.NGHTTP2_CANCEL);
    });
    request.on("response", (headers) => { result.status = headers[":status"]; });
    request.on("trailers", (trailers) => { result.trailers = trailers; });
    request.on("data", (chunk) => chunks.push(chunk));
    request.on("error", (error) => { result.error = result.error || describe(error); });
    request.on("close", () => {
      result.body = Buffer.concat(chunks).toString("latin1");
      if (!result.error && request.rstCode) {
        result.error = `stream closed with RST_STREAM code ${request.rstCode}`;
      }
      resolve(result);
    });
    request.end();
  });
}

async function main() {
  const session = connect(firstUrl);
  const first = await get(session, firstUrl);
  const reused = !session.closed && !session.destroyed;
  const second = await get(reused ? session : connect(secondUrl), secondUrl);
  const versions = { node: process.version, nghttp2: process.versions.nghttp2 };
  process.stdout.write(JSON.stringify({ first, second, reused, versions }) + "\n");
  process.exit(0);
}

main();
