/**
 * The connection dialog for the dialects of issue 8 in a real headless Chromium: choosing Trinity
 * or libpyiotcloud shows that platform's section only, the rows that depend on a choice follow it,
 * every label is translated, and a node of each platform saved from the dialog is valid.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { browserSkipReason, launchBrowser, type Browser } from '../support/browser';
import { startEditor, type EditorServer } from '../support/editor-server';

interface Red {
  editor: { editConfig(name: string, type: string, id: string): void };
  view: { importNodes(nodes: object[]): void };
  nodes: { eachConfig(cb: (n: { type: string; dialect?: string; valid?: boolean }) => void): void; node(id: string): object | undefined };
  tray: { close(): void };
}

const ROOT = path.join(__dirname, '..', '..', '..');
const UNTRANSLATED = /\bconnection\.(label|option|placeholder|validation|dialect)\.[\w-]+/;

async function visible(page: Page, selector: string): Promise<boolean> {
  return page.locator(selector).first().isVisible();
}

async function openDialog(page: Page): Promise<void> {
  await page.evaluate(() => (window as unknown as { RED: Red }).RED.editor.editConfig('', 'device-agent-connection', '_ADD_'));
  await page.waitForSelector('#node-config-input-dialect', { state: 'visible' });
}

async function saveDialog(page: Page): Promise<void> {
  await page.click('#node-config-dialog-ok');
  await page.waitForSelector('.red-ui-tray', { state: 'detached', timeout: 10_000 }).catch(() => undefined);
}

async function trayText(page: Page): Promise<string> {
  return page.evaluate(() => {
    const tray = document.querySelector('.red-ui-tray');
    if (!tray) return '';
    const shown = Array.from(tray.querySelectorAll('.da-dialect')).filter((e) => (e as HTMLElement).offsetParent !== null);
    const attrs = shown.flatMap((s) => Array.from(s.querySelectorAll('[placeholder]')).map((e) => e.getAttribute('placeholder') ?? ''));
    return `${(tray as HTMLElement).innerText}\n${attrs.join('\n')}`;
  });
}

async function validity(page: Page, dialect: string): Promise<boolean[]> {
  return page.evaluate((d: string) => {
    const out: boolean[] = [];
    (window as unknown as { RED: Red }).RED.nodes.eachConfig((n) => {
      if (n.type === 'device-agent-connection' && n.dialect === d) out.push(n.valid !== false);
    });
    return out;
  }, dialect);
}

const skip = browserSkipReason();

describe('connection dialog: Trinity and libpyiotcloud (headless Chromium)', { skip: skip ?? false, timeout: 300_000 }, () => {
  let server: EditorServer;
  let browser: Browser;

  before(async () => {
    server = await startEditor({});
    browser = await launchBrowser();
    await browser.page.goto(server.url);
    await browser.page.waitForFunction(
      () => !!(window as unknown as { RED?: { nodes?: { getType(t: string): unknown } } }).RED?.nodes?.getType('device-agent-connection'),
      undefined,
      { timeout: 60_000 },
    );
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('shows only Trinity fields for Trinity, with the secret rows following their source, and saves a valid node', async () => {
    const { page } = browser;
    await openDialog(page);
    await page.selectOption('#node-config-input-dialect', 'trinity');
    assert.ok(await visible(page, '.da-dialect[data-dialect="trinity"]'));
    assert.equal(await visible(page, '.da-dialect[data-dialect="cumulocity"]'), false);
    assert.equal(await visible(page, '.da-dialect[data-dialect="libpyiotcloud"]'), false);
    assert.equal(await page.inputValue('#node-config-input-trinityHost'), 'mqtt.trintel.co.za');
    assert.ok(await visible(page, '#node-config-input-trinitySecret'));
    await page.selectOption('#node-config-input-trinitySecretFrom', 'env');
    assert.equal(await visible(page, '#node-config-input-trinitySecret'), false);
    assert.ok(await visible(page, '#node-config-input-trinitySecretEnv'));
    assert.ok(await visible(page, '#node-config-input-trinityCaFile'), 'CA row for mqtts');
    await page.selectOption('#node-config-input-trinityProtocol', 'mqtt');
    assert.equal(await visible(page, '#node-config-input-trinityCaFile'), false, 'no CA row for plain mqtt');
    const text = await trayText(page);
    assert.doesNotMatch(text, UNTRANSLATED);
    assert.match(text, /CID \(profile\)/);
    await page.fill('#node-config-input-trinityCid', '12345678');
    await saveDialog(page);
    assert.deepEqual(await validity(page, 'trinity'), [true]);
  });

  it('shows only libpyiotcloud fields for libpyiotcloud, Linux device rows only for this machine, and saves a valid node', async () => {
    const { page } = browser;
    await openDialog(page);
    await page.selectOption('#node-config-input-dialect', 'libpyiotcloud');
    assert.ok(await visible(page, '.da-dialect[data-dialect="libpyiotcloud"]'));
    assert.equal(await visible(page, '.da-dialect[data-dialect="trinity"]'), false);
    assert.equal(await visible(page, '#node-config-input-lpcUartDevice'), false, 'simulated devices need no serial device');
    await page.selectOption('#node-config-input-lpcDevices', 'linux');
    assert.ok(await visible(page, '#node-config-input-lpcUartDevice'));
    await page.selectOption('#node-config-input-lpcCredentialsFrom', 'env');
    assert.ok(await visible(page, '#node-config-input-lpcUserEnv'));
    assert.equal(await visible(page, '#node-config-input-lpcPassword'), false);
    assert.doesNotMatch(await trayText(page), UNTRANSLATED);
    await page.fill('#node-config-input-lpcUrl', 'mqtts://broker.example.com:8883');
    await page.fill('#node-config-input-lpcDeviceId', 'c2bfb6ec02f4bb0cb146fe4b2c7752a90d02f79d');
    await saveDialog(page);
    assert.deepEqual(await validity(page, 'libpyiotcloud'), [true]);
  });

  it('shows only Helix Device Cloud fields for hdc, the token row following its source, and saves a valid node', async () => {
    const { page } = browser;
    await openDialog(page);
    await page.selectOption('#node-config-input-dialect', 'hdc');
    assert.ok(await visible(page, '.da-dialect[data-dialect="hdc"]'));
    assert.equal(await visible(page, '.da-dialect[data-dialect="trinity"]'), false);
    assert.equal(await visible(page, '.da-dialect[data-dialect="cumulocity"]'), false);
    assert.ok(await visible(page, '#node-config-input-hdcToken'));
    await page.selectOption('#node-config-input-hdcTokenFrom', 'env');
    assert.equal(await visible(page, '#node-config-input-hdcToken'), false);
    assert.ok(await visible(page, '#node-config-input-hdcTokenEnv'));
    assert.equal(await page.isChecked('#node-config-input-hdcAllowShutdown'), false, 'shutdown off by default');
    assert.equal(await page.isChecked('#node-config-input-hdcAllowDecommission'), false, 'decommission off by default');
    const text = await trayText(page);
    assert.doesNotMatch(text, UNTRANSLATED);
    assert.match(text, /App token/);
    await page.fill('#node-config-input-hdcHost', 'hdc.example.com');
    await saveDialog(page);
    assert.deepEqual(await validity(page, 'hdc'), [true]);
  });

  it('marks a Trinity node without CID invalid (red triangle), and Cumulocity fields do not count for it', async () => {
    const { page } = browser;
    await openDialog(page);
    await page.selectOption('#node-config-input-dialect', 'trinity');
    await saveDialog(page);
    assert.deepEqual((await validity(page, 'trinity')).sort(), [false, true]);
  });

  for (const file of [
    'trinity-agent.json',
    'libpyiotcloud-device.json',
    'pyaiot-node.json',
    'pyaiot-gateway.json',
    'helix-device-cloud-agent.json',
  ]) {
    it(`imports examples/${file} with every node valid (no red triangle)`, async () => {
      const { page } = browser;
      const flow = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', file), 'utf8')) as { id: string }[];
      const invalid = await page.evaluate((nodes: { id: string }[]) => {
        const RED = (window as unknown as { RED: Red }).RED;
        RED.view.importNodes(nodes);
        const bad: string[] = [];
        for (const n of nodes) {
          const node = RED.nodes.node(n.id) as { valid?: boolean; type?: string; name?: string } | undefined;
          if (node && node.valid === false) bad.push(`${node.type ?? ''} ${node.name ?? ''}`);
        }
        return bad;
      }, flow);
      assert.deepEqual(invalid, []);
    });
  }

  it('raised no error in the browser console', () => {
    assert.deepEqual(
      browser.errors.filter((e) => !/favicon/.test(e)),
      [],
    );
  });
});
