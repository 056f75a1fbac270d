// SPDX-License-Identifier: MIT
// Helper of repo_web.sh: open pages in headless Chromium through the DevTools protocol over a
// pipe (--remote-debugging-pipe: no port, no npm package), each at a given window size with
// mobile emulation below 600 px (so the viewport meta tag matters as on a phone), evaluate a
// JavaScript expression in the loaded page, and save a screenshot of the whole page.
//   usage: node repo_web_cdp.js PLAN.json
// PLAN: [{"url", "width", "height", "png" (path or null), "expr"}]; prints one JSON line per
// step: {"url", "status" (HTTP status of the document), "value" (the expression's value)}.
// Exits non-zero if Chromium fails or a step times out (30 s).
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const plan = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'xdrv-cdp-'));
const chrome = spawn(process.env.CHROMIUM || 'chromium', [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
  '--disable-background-networking', '--no-first-run', '--hide-scrollbars',
  '--remote-debugging-pipe', `--user-data-dir=${profile}`, 'about:blank',
], { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
let stderr = '';
chrome.stdio[2].on('data', (d) => { stderr += d; });

let nextId = 1;
const pending = new Map();
const listeners = [];
let buf = Buffer.alloc(0);
chrome.stdio[4].on('data', (d) => {
  buf = Buffer.concat([buf, d]);
  let i;
  while ((i = buf.indexOf(0)) >= 0) {
    const msg = JSON.parse(buf.subarray(0, i).toString('utf8'));
    buf = buf.subarray(i + 1);
    if (msg.id && pending.has(msg.id)) {
      const { resolve, reject } = pending.get(msg.id);
      pending.delete(msg.id);
      if (msg.error) reject(new Error(JSON.stringify(msg.error)));
      else resolve(msg.result);
    } else {
      for (const l of listeners.slice()) l(msg);
    }
  }
});
function send(method, params = {}, sessionId) {
  const id = nextId++;
  const m = { id, method, params };
  if (sessionId) m.sessionId = sessionId;
  chrome.stdio[3].write(JSON.stringify(m) + '\0');
  return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
}
function waitFor(pred) {
  return new Promise((resolve) => {
    const l = (msg) => {
      if (pred(msg)) {
        listeners.splice(listeners.indexOf(l), 1);
        resolve(msg);
      }
    };
    listeners.push(l);
  });
}
function timeout(ms, what) {
  return new Promise((_, reject) => setTimeout(() => reject(new Error(`timeout: ${what}`)), ms).unref());
}

async function step(s) {
  const { targetId } = await send('Target.createTarget', { url: 'about:blank' });
  const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true });
  const mobile = s.width < 600;
  await send('Emulation.setDeviceMetricsOverride', {
    width: s.width, height: s.height, deviceScaleFactor: 1, mobile,
  }, sessionId);
  if (mobile) await send('Emulation.setTouchEmulationEnabled', { enabled: true }, sessionId);
  await send('Page.enable', {}, sessionId);
  await send('Network.enable', {}, sessionId);
  let status = 0;
  const resp = waitFor((m) => m.sessionId === sessionId && m.method === 'Network.responseReceived' &&
    m.params.type === 'Document');
  const loaded = waitFor((m) => m.sessionId === sessionId && m.method === 'Page.loadEventFired');
  await send('Page.navigate', { url: s.url }, sessionId);
  status = (await resp).params.response.status;
  await loaded;
  const r = await send('Runtime.evaluate', {
    expression: s.expr || 'null', returnByValue: true, awaitPromise: true,
  }, sessionId);
  if (r.exceptionDetails) throw new Error(`${s.url}: ${JSON.stringify(r.exceptionDetails)}`);
  if (s.png) {
    // the whole page, at the window's width
    const m = await send('Page.getLayoutMetrics', {}, sessionId);
    const h = Math.min(Math.ceil(m.cssContentSize.height), 4000);
    const shot = await send('Page.captureScreenshot', {
      format: 'png', captureBeyondViewport: true,
      clip: { x: 0, y: 0, width: s.width, height: Math.max(h, s.height), scale: 1 },
    }, sessionId);
    fs.writeFileSync(s.png, Buffer.from(shot.data, 'base64'));
  }
  await send('Target.closeTarget', { targetId });
  return { url: s.url, status, value: r.result.value };
}

(async () => {
  let rc = 0;
  try {
    for (const s of plan) {
      const out = await Promise.race([step(s), timeout(30000, s.url)]);
      console.log(JSON.stringify(out));
    }
  } catch (e) {
    console.error(`${stderr.slice(-2000)}\nrepo_web_cdp: ${e.message}`);
    rc = 1;
  }
  // close the browser, then remove its profile once it has exited
  const exited = new Promise((resolve) => chrome.once('exit', resolve));
  send('Browser.close').catch(() => {});
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
  if (chrome.exitCode === null) {
    chrome.kill('SIGKILL');
    await exited;
  }
  try { fs.rmSync(profile, { recursive: true, force: true }); } catch (e) { /* best effort */ }
  process.exit(rc);
})();
