/**
 * The simulated platform's console that `npm start` serves, in headless Chromium: the demo's
 * device appears connected, its measurements draw a live chart (Chart.js from node_modules), and
 * an operation sent with a button reaches the flow and comes back SUCCESSFUL. Screenshot:
 * test-output/console.png.
 */
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { browserSkipReason, launchBrowser, screenshotPath, type Browser } from '../support/browser';
import { request } from '../support/editor-server';
import { freePort } from '../support/net';

const skip = browserSkipReason();
if (skip) console.log(`# console browser test skipped: ${skip}`);

/** Resolves when the output matches, rejects after the timeout (event-driven on the child's output). */
function waitForOutput(child: ChildProcess, out: () => string, re: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      const m = re.exec(out());
      if (!m) return false;
      cleanup();
      resolve(m);
      return true;
    };
    const t = setTimeout(() => {
      cleanup();
      reject(new Error(`no ${String(re)} within ${timeoutMs} ms:\n${out()}`));
    }, timeoutMs);
    const onData = (): void => void check();
    const cleanup = (): void => {
      clearTimeout(t);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    check();
  });
}

describe('platform console of npm start (headless Chromium)', { skip: skip ?? false, timeout: 240_000 }, () => {
  let child: ChildProcess;
  let out = '';
  let dir: string;
  let consoleUrl: string;
  let browser: Browser;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'da-console-'));
    const [port, consolePort] = [await freePort(), await freePort()];
    child = spawn(process.execPath, [path.join(__dirname, '..', '..', 'scripts', 'demo.js')], {
      env: { ...process.env, PORT: String(port), CONSOLE_PORT: String(consolePort), DEMO_DIR: dir, DEMO_SUMMARY_MS: '1000' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
    consoleUrl = (await waitForOutput(child, () => out, /platform console: (http:\/\/127\.0\.0\.1:\d+\/)/, 60_000))[1] ?? '';
    await waitForOutput(child, () => out, /device connected and registered/, 90_000);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    if (child && child.exitCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGINT');
      await exited;
    }
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('listens on loopback only and serves Chart.js from node_modules', async () => {
    const u = new URL(consoleUrl);
    assert.equal(u.hostname, '127.0.0.1');
    const js = await request(Number(u.port), 'GET', '/vendor/chart.js');
    assert.equal(js.status, 200);
    assert.match(js.body.slice(0, 300), /Chart\.js v4\./);
  });

  it('shows the device connected and its measurements as a live chart', async () => {
    const { page } = browser;
    await page.goto(consoleUrl);
    await page.waitForSelector('#live:not(.off)', { timeout: 20_000 });
    await page.locator('#devices tbody tr', { hasText: 'demo-device' }).locator('td.connected').waitFor({ timeout: 20_000 });
    const points = async (): Promise<number> => Number((await page.locator('#chart').getAttribute('data-points')) ?? '0');
    await page.waitForFunction(() => Number(document.getElementById('chart')?.getAttribute('data-points') ?? '0') > 0, undefined, {
      timeout: 30_000,
    });
    const first = await points();
    // Live: the demo's sensor sends every 5 s, and the page redraws without a reload.
    await page.waitForFunction((n: number) => Number(document.getElementById('chart')?.getAttribute('data-points') ?? '0') > n, first, {
      timeout: 30_000,
    });
    const series = await page.evaluate(() => {
      const chart = (
        window as unknown as { Chart: { getChart(c: unknown): { data: { datasets: { label: string }[] } } | undefined } }
      ).Chart.getChart(document.getElementById('chart'));
      return chart?.data.datasets.map((d) => d.label) ?? [];
    });
    assert.ok(
      series.some((s) => /counter/.test(s)),
      `series: ${series.join(', ')}`,
    );
  });

  it('sends an operation with a button and shows it come back SUCCESSFUL, with the event it caused', async () => {
    const { page } = browser;
    await page.fill('#op-message', 'Hello from the browser test');
    await page.click('button.quick[data-fragment="c8y_Message"]');
    await page
      .locator('#operations tbody tr', { hasText: 'c8y_Message' })
      .locator('td.status-SUCCESSFUL')
      .first()
      .waitFor({ timeout: 30_000 });
    await page.locator('#events tbody tr', { hasText: 'Hello from the browser test' }).waitFor({ timeout: 30_000 });
    assert.equal(await page.locator('#op-error').innerText(), '');
  });

  it('refuses an operation it cannot send, in words', async () => {
    const { page } = browser;
    await page.fill('#op-fragment', 'not a fragment!');
    await page.click('#op-send');
    await page.waitForFunction(() => (document.getElementById('op-error')?.textContent ?? '').length > 0, undefined, { timeout: 10_000 });
    assert.match(await page.locator('#op-error').innerText(), /fragment/);
    // The browser logs the refused request (400) as a console error: that one was asked for.
    const asked = browser.errors.findIndex((e) => /status of 400/.test(e));
    if (asked >= 0) browser.errors.splice(asked, 1);
    await page.fill('#op-fragment', '');
    await page.evaluate(() => {
      const e = document.getElementById('op-error');
      if (e) e.textContent = '';
    });
  });

  it('draws without a browser error and leaves a screenshot', async () => {
    const { page } = browser;
    // Let the restart the demo schedules finish, so the picture shows both operation outcomes.
    await page
      .locator('#operations tbody tr', { hasText: 'c8y_Restart' })
      .locator('td.status-SUCCESSFUL')
      .first()
      .waitFor({ timeout: 60_000 });
    await page.screenshot({ path: screenshotPath('console.png'), fullPage: true });
    assert.deepEqual(browser.errors, []);
  });
});
