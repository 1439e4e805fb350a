// Opens the browser lab's page in the system's Firefox, headless, over WebDriver BiDi.
//
// Usage: node drive.mjs FIREFOX URL
// Prints one JSON line (the browser's version and user agent) once the page has loaded,
// then keeps Firefox open until a line arrives on stdin (or stdin closes, or MAX_SECONDS
// pass), and closes it. `python -m nocontent lab browsers` runs it and reads the results
// from its own server. puppeteer-core never downloads a browser.
import puppeteer from "puppeteer-core";
import { createInterface } from "node:readline";

const MAX_SECONDS = 300;
const [executablePath, url] = process.argv.slice(2);
if (!executablePath || !url) {
  process.stderr.write("usage: node drive.mjs FIREFOX URL\n");
  process.exit(2);
}

// The course's TLS server has a throwaway certificate that no browser trusts.
const browser = await puppeteer.launch({
  browser: "firefox", executablePath, headless: true, acceptInsecureCerts: true,
});
try {
  const page = await browser.newPage();
  await page.goto(url);
  const agent = await page.evaluate(() => navigator.userAgent);
  const version = (await browser.version()).replace(/^firefox\//, "");  // "firefox/153.8.0"
  process.stdout.write(JSON.stringify({ version, user_agent: agent }) + "\n");
  const lines = createInterface({ input: process.stdin });
  await new Promise((resolve) => {
    const timer = setTimeout(resolve, MAX_SECONDS * 1000);
    const done = () => { clearTimeout(timer); resolve(); };
    lines.once("line", done);
    lines.once("close", done);
  });
  lines.close();
} finally {
  await browser.close();
}
