// A minimal Node.js `http` app for the nocontent frameworks lab (python -m nocontent lab capture).
// Usage: node node_204.js PORT default|strict. The strict server is created with
// rejectNonStandardBodyWrites: true, so a body write on a 204 throws instead of being dropped.
"use strict";
const http = require("http");

function note(text) {
  process.stdout.write(`LAB ${text}\n`);
}

function handler(request, response) {
  const path = request.url;
  if (path === "/idiomatic") {
    // The idiomatic 204: status, no body.
    response.writeHead(204);
    response.end();
  } else if (path === "/mistake") {
    // The mistake: "every endpoint returns JSON", even a 204.
    response.writeHead(204, { "Content-Type": "application/json" });
    try {
      const accepted = response.write("null");
      note(`write returned ${accepted}`);
    } catch (error) {
      note(`write threw ${error.code}: ${error.message}`);
    }
    response.end();
  } else if (path === "/content-length") {
    // A framework or middleware that sets the length of the body it meant to send.
    response.writeHead(204, { "Content-Type": "application/json", "Content-Length": "4" });
    try {
      response.end("null");
    } catch (error) {
      note(`end threw ${error.code}: ${error.message}`);
      response.end();
    }
  } else if (path === "/names") {
    const body = JSON.stringify({
      "version": process.version,
      "llhttp": process.versions.llhttp,
      "http.STATUS_CODES[204]": http.STATUS_CODES[204],
    });
    response.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
    response.end(body);
  } else {
    response.writeHead(200, { "Content-Type": "text/plain", "Content-Length": 2 });
    response.end("ok");
  }
}

const [port, mode] = process.argv.slice(2);
const options = mode === "strict" ? { rejectNonStandardBodyWrites: true } : {};
http.createServer(options, handler).listen(Number(port), "127.0.0.1");
