/**
 * The package as a user meets it in the Node-RED editor, in a real headless Chromium: every node
 * in the palette, every edit dialog, every help text, Test connection against the simulator, and
 * every example imported through Import > Examples and deployed without an error notification.
 * Screenshots go to test-output/ (palette.png, connection-dialog.png, editor-flow.png).
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import * as os from 'node:os';
import { createTestPki } from '../sim/certs';
import { CumulocitySimulator } from '../sim/simulator';
import { HdcSimulator } from '../sim-hdc/simulator';
import { LibpyiotcloudSimulator } from '../sim-libpyiotcloud/simulator';
import { PyaiotBroker } from '../sim-pyaiot/broker';
import { TrinitySimulator } from '../sim-trinity/simulator';
import { browserSkipReason, launchBrowser, screenshotPath, type Browser } from '../support/browser';
import { startEditor, type EditorServer } from '../support/editor-server';

const ROOT = path.join(__dirname, '..', '..', '..');
const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  'node-red': { nodes: Record<string, string> };
};
const DEVICE = 'editor-pi';

interface NodeInfo {
  type: string;
  /** Basename of the node's files: nodes/<base>.html, locales/<lang>/<base>.{json,html}. */
  base: string;
  config: boolean;
}

const NODES: NodeInfo[] = Object.entries(PKG['node-red'].nodes).map(([type, js]) => {
  const base = path.basename(js, '.js');
  const html = fs.readFileSync(path.join(ROOT, 'nodes', `${base}.html`), 'utf8');
  return { type, base, config: /category:\s*'config'/.test(html) };
});

const EXAMPLES = fs
  .readdirSync(path.join(ROOT, 'examples'))
  .filter((f) => f.endsWith('.json'))
  .sort();

/** The first paragraph of a help file, as text (what the sidebar must show). */
function helpSummary(lang: string, base: string): string {
  const html = fs.readFileSync(path.join(ROOT, 'locales', lang, `${base}.html`), 'utf8');
  const p = /<p>([\s\S]*?)<\/p>/.exec(html)?.[1] ?? '';
  return p
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Locale keys shown instead of text: a missing or mistyped key in a catalogue. */
const UNTRANSLATED = /\b[a-z-]+\.(label|option|placeholder|validation|test|bootstrap|dialect|status|severity|paletteLabel|tip)\.[\w-]+/;

async function editorReady(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForFunction(
    (types: string[]) => {
      const red = (window as unknown as { RED?: { nodes?: { getType(t: string): unknown } } }).RED;
      return (
        !!red?.nodes &&
        types.every((t) => !!red.nodes?.getType(t)) &&
        document.querySelector('#red-ui-palette .red-ui-palette-node') !== null
      );
    },
    NODES.map((n) => n.type),
    { timeout: 60_000 },
  );
}

async function closeTray(page: Page): Promise<void> {
  await page.evaluate(() => {
    (window as unknown as { RED: { tray: { close(): void } } }).RED.tray.close();
  });
  await page.waitForSelector('.red-ui-tray', { state: 'detached', timeout: 10_000 }).catch(() => undefined);
}

async function trayText(page: Page): Promise<string> {
  return page.evaluate(() => {
    const tray = document.querySelector('.red-ui-tray');
    if (!tray) return '';
    const attrs = Array.from(tray.querySelectorAll('[placeholder]')).map((e) => e.getAttribute('placeholder') ?? '');
    return `${(tray as HTMLElement).innerText}\n${attrs.join('\n')}`;
  });
}

const skip = browserSkipReason();
if (skip) console.log(`# editor browser tests skipped: ${skip}`);

describe('the package in the Node-RED editor (headless Chromium)', { skip: skip ?? false, timeout: 600_000 }, () => {
  let sim: CumulocitySimulator;
  // Issue 8: the Trinity and libpyiotcloud examples are configured by the environment too.
  let trinity: TrinitySimulator | undefined;
  let lpc: LibpyiotcloudSimulator | undefined;
  // Issue 7: the pyaiot examples need the devices' local broker.
  let pyaiotBroker: PyaiotBroker | undefined;
  // Issue 9: the Helix Device Cloud example too.
  let hdc: HdcSimulator | undefined;
  let hdcDir: string | undefined;
  let server: EditorServer;
  let browser: Browser;

  before(async () => {
    sim = await CumulocitySimulator.start();
    sim.addDeviceUser(DEVICE, 'editor-pw');
    const issue8Env = async (): Promise<Record<string, string>> => {
      trinity = await TrinitySimulator.start();
      lpc = await LibpyiotcloudSimulator.start();
      return {
        TRINITY_HOST: '127.0.0.1',
        TRINITY_PORT: String(trinity.port),
        TRINITY_PROTOCOL: 'mqtt',
        TRINITY_CID: trinity.cid,
        TRINITY_HID: trinity.hid,
        TRINITY_PID: 'my_app_id',
        TRINITY_SECRET: trinity.secretHex,
        LIBPYIOTCLOUD_URL: `mqtt://127.0.0.1:${lpc.port}`,
        LIBPYIOTCLOUD_DEVICE_ID: lpc.deviceId,
        LIBPYIOTCLOUD_USER: 'guest',
        LIBPYIOTCLOUD_PASSWORD: 'guest',
      };
    };
    const issue9Env = async (): Promise<Record<string, string>> => {
      const pki = createTestPki();
      hdc = await HdcSimulator.start({ pki });
      hdcDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hdc-editor-'));
      fs.writeFileSync(path.join(hdcDir, 'ca.pem'), pki.ca.cert);
      return {
        HDC_HOST: '127.0.0.1',
        HDC_PORT: String(hdc.tlsPort),
        HDC_THING_KEY: hdc.thingKey,
        HDC_APP_TOKEN: hdc.token,
        HDC_FILE_PORT: String(hdc.httpsPort),
        HDC_CA_FILE: path.join(hdcDir, 'ca.pem'),
        HDC_WORK_DIR: hdcDir,
      };
    };
    server = await startEditor({
      C8Y_HOST: '127.0.0.1',
      C8Y_PORT: String(sim.port),
      C8Y_PROTOCOL: 'mqtt',
      C8Y_TENANT: sim.tenant,
      C8Y_DEVICE_ID: DEVICE,
      C8Y_USER: `device_${DEVICE}`,
      C8Y_PASSWORD: 'editor-pw',
      C8Y_RESTART_MODE: 'simulate',
      ...(await issue8Env()),
      ...(await (async (): Promise<Record<string, string>> => {
        pyaiotBroker = await PyaiotBroker.start();
        return { PYAIOT_BROKER_URL: pyaiotBroker.url, PYAIOT_NODE_ID: 'editor-nr1' };
      })()),
      ...(await issue9Env()),
    });
    browser = await launchBrowser();
    await editorReady(browser.page, server.url);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    await sim?.stop();
    await trinity?.stop();
    await lpc?.stop();
    await pyaiotBroker?.stop();
    await hdc?.stop();
    if (hdcDir) fs.rmSync(hdcDir, { recursive: true, force: true });
  });

  it('shows every node of the package in the palette, labelled from the catalogue', async () => {
    const { page } = browser;
    for (const n of NODES.filter((x) => !x.config)) {
      const item = page.locator(`#red-ui-palette .red-ui-palette-node[data-palette-type="${n.type}"]`);
      assert.equal(await item.count(), 1, `${n.type} not in the palette`);
      const label = (await item.innerText()).trim();
      assert.ok(label.length > 0 && !UNTRANSLATED.test(label), `${n.type} palette label "${label}"`);
    }
    const category = page.locator('#red-ui-palette-container-device_agent');
    await category.scrollIntoViewIfNeeded();
    await category.screenshot({ path: screenshotPath('palette.png') });
  });

  it('opens the edit dialog of every node, fully translated and valid with its defaults', async () => {
    const { page } = browser;
    for (const n of NODES) {
      await page.evaluate(
        ({ type, config }) => {
          const RED = (window as unknown as { RED: RedApi }).RED;
          if (config) {
            RED.editor.editConfig('', type, 'add');
            return;
          }
          const id = `dlg-${type}`;
          RED.view.importNodes([{ id, type, x: 300, y: 200, z: RED.workspaces.active() }]);
          const node = RED.nodes.node(id);
          if (node) RED.editor.edit(node);
        },
        { type: n.type, config: n.config },
      );
      await page.waitForSelector('.red-ui-tray .red-ui-tray-body form, .red-ui-tray .red-ui-tray-body .form-row', { timeout: 15_000 });
      const text = await trayText(page);
      assert.doesNotMatch(text, UNTRANSLATED, `${n.type}: untranslated text in the dialog`);
      assert.ok(text.trim().length > 0);
      await closeTray(page);
    }
    assert.deepEqual(
      browser.errors.filter((e) => !/favicon/.test(e)),
      [],
      'errors in the browser console',
    );
  });

  it('shows the connection fields of the chosen platform only, and tests the connection without saving', async () => {
    const { page } = browser;
    await page.evaluate(() => (window as unknown as { RED: RedApi }).RED.editor.editConfig('', 'device-agent-connection', 'add'));
    await page.waitForSelector('#node-config-input-host', { state: 'visible' });
    // Issue 8 added Trinity and libpyiotcloud; Cumulocity stays the first and the default.
    assert.deepEqual(
      await page.locator('#node-config-input-dialect option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value)),
      ['cumulocity', 'trinity', 'libpyiotcloud', 'pyaiot', 'hdc'],
    );
    assert.match(await page.locator('#node-config-input-dialect option').first().innerText(), /Cumulocity/);
    assert.ok(await page.locator('.da-dialect[data-dialect="cumulocity"]').isVisible());
    await page.fill('#node-config-input-host', '127.0.0.1');
    await page.selectOption('#node-config-input-protocol', 'mqtt');
    await page.fill('#node-config-input-port', String(sim.port));
    await page.fill('#node-config-input-tenant', sim.tenant);
    await page.fill('#node-config-input-deviceId', DEVICE);
    await page.selectOption('#node-config-input-authMode', 'basic');
    assert.equal(await page.locator('#node-config-input-bootstrapPassword').isVisible(), false, 'bootstrap fields shown for basic');
    assert.equal(await page.locator('#node-config-input-caFile').isVisible(), false, 'TLS fields shown for mqtt');
    await page.fill('#node-config-input-user', `device_${DEVICE}`);
    await page.fill('#node-config-input-password', 'editor-pw');
    const configNodesBefore = await page.evaluate(() => {
      let n = 0;
      (window as unknown as { RED: RedApi }).RED.nodes.eachConfig(() => {
        n += 1;
      });
      return n;
    });
    await page.click('#da-test-button');
    await page.waitForSelector('#da-test-result .da-test-summary', { timeout: 60_000 });
    const steps = await page
      .locator('#da-test-result .da-test-step')
      .evaluateAll((els) => els.map((e) => `${e.getAttribute('data-step') ?? ''}:${e.getAttribute('data-code') ?? ''}`));
    assert.deepEqual(steps, ['dns:dns-literal', 'tcp:tcp-ok', 'mqtt:connack-0-basic']);
    const words = await page.locator('#da-test-result').innerText();
    assert.match(words, /CONNACK 0/);
    assert.doesNotMatch(words, UNTRANSLATED);
    await page.locator('#da-test-result').scrollIntoViewIfNeeded();
    await page.locator('.red-ui-tray').screenshot({ path: screenshotPath('connection-dialog.png') });

    await page.fill('#node-config-input-password', 'wrong-pw');
    await page.click('#da-test-button');
    await page.waitForSelector('#da-test-result .da-test-step[data-code="connack-4"]', { timeout: 60_000 });
    await closeTray(page);
    const configNodesAfter = await page.evaluate(() => {
      let n = 0;
      (window as unknown as { RED: RedApi }).RED.nodes.eachConfig(() => {
        n += 1;
      });
      return n;
    });
    assert.equal(configNodesAfter, configNodesBefore, 'the test saved a node');
  });

  it('shows the help of every node in the sidebar', async () => {
    const { page } = browser;
    for (const n of NODES) {
      await page.evaluate((type) => (window as unknown as { RED: RedApi }).RED.sidebar.help.show(type), n.type);
      const summary = helpSummary('en-US', n.base);
      assert.ok(summary.length > 10, `${n.base}: no summary in its help`);
      await page.waitForFunction(
        (s: string) =>
          Array.from(document.querySelectorAll<HTMLElement>('.red-ui-help')).some((e) => e.innerText.replace(/\s+/g, ' ').includes(s)),
        summary,
        { timeout: 15_000 },
      );
    }
  });

  for (const file of EXAMPLES) {
    it(`imports examples/${file} from Import > Examples and deploys it without an error notification`, async () => {
      const { page } = browser;
      await server.setFlows([]);
      await editorReady(page, server.url);
      await page.click('#red-ui-header-button-sidemenu');
      await page.click('#menu-item-import');
      await page.locator('#red-ui-clipboard-dialog-import-tabs li', { hasText: /^Examples$/ }).click();
      const tab = page.locator('#red-ui-clipboard-dialog-import-tab-examples');
      const exact = (t: string): RegExp => new RegExp(`^\\s*${t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`);
      await tab
        .locator('.red-ui-treeList-label', { hasText: exact(PKG.name) })
        .first()
        .click();
      const item = tab.locator('.red-ui-treeList-label', { hasText: exact(file.replace(/\.json$/, '')) }).first();
      await item.waitFor({ state: 'visible' });
      await item.click();
      await tab.locator('.red-ui-treeList-label.selected', { hasText: exact(file.replace(/\.json$/, '')) }).waitFor();
      await page.waitForSelector('#red-ui-clipboard-dialog-ok:not(.ui-state-disabled):not([disabled])');
      await page.click('#red-ui-clipboard-dialog-ok');
      await page.waitForSelector('#red-ui-clipboard-dialog', { state: 'hidden' }).catch(() => undefined);
      const flow = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', file), 'utf8')) as { id: string; type: string }[];
      const expected = flow.filter((x) => x.type !== 'tab').length;
      const tabId = flow.find((x) => x.type === 'tab')?.id;
      // The example comes in on its own tab: show it, as a user would click it.
      if (tabId) await page.evaluate((id) => (window as unknown as { RED: RedApi }).RED.workspaces.show(id), tabId);
      // The editor fetches the chosen example from the library, then imports it: wait for the nodes.
      const imported = await page
        .waitForFunction(
          (n: number) => {
            let count = 0;
            const RED = (window as unknown as { RED: RedApi }).RED;
            RED.nodes.eachNode(() => {
              count += 1;
            });
            RED.nodes.eachConfig(() => {
              count += 1;
            });
            return count >= n ? count : 0;
          },
          expected,
          { timeout: 20_000 },
        )
        .then(
          (h) => h.jsonValue(),
          () => 0,
        );
      assert.ok(imported >= expected, `imported ${imported} of ${expected} nodes`);

      const logFrom = server.red.log().length;
      await page.click('#red-ui-header-button-deploy');
      // A notification says how the deploy went; a modal one with a confirm button means the editor
      // asks to confirm a deploy of nodes that are not properly configured.
      const notified = page
        .locator(
          '.red-ui-notification-success, .red-ui-notification-error, .red-ui-notification-warning, .red-ui-notification-compact, #red-ui-deploy-dialog-confirm-deploy-deploy',
        )
        .first();
      await notified.waitFor({ timeout: 30_000 }).catch(async (err: unknown) => {
        await page.screenshot({ path: screenshotPath(`deploy-${file.replace(/\.json$/, '')}.png`) });
        throw err;
      });
      const confirm = page.locator('.red-ui-notification', { has: page.locator('#red-ui-deploy-dialog-confirm-deploy-deploy') });
      const dialog = (await confirm.count()) > 0 ? await confirm.first().innerText() : '';
      assert.equal(dialog, '', 'the editor asked to confirm the deploy');
      assert.equal(
        await page.locator('.red-ui-notification-error').count(),
        0,
        await page
          .locator('.red-ui-notification')
          .allInnerTexts()
          .then((t) => t.join('\n')),
      );
      assert.equal(
        await page.locator('.red-ui-notification-warning').count(),
        0,
        await page
          .locator('.red-ui-notification')
          .allInnerTexts()
          .then((t) => t.join('\n')),
      );
      // Give the flow a moment to start, then no runtime error may have been logged for it.
      await new Promise((r) => setTimeout(r, 2000));
      const logged = server.red.log().slice(logFrom);
      assert.deepEqual(
        logged.split('\n').filter((l) => /\[error\]/.test(l)),
        [],
        'errors logged after the deploy',
      );

      if (file === 'cumulocity-basic.json') {
        // The flow for the README: connected to the simulator, statuses green.
        await sim.waitFor(() => sim.measurements.length >= 1, 30_000, 'a measurement from the example');
        // The editor's own record of the statuses (the SVG classes differ between Node-RED 4 and 5).
        await page.waitForFunction(
          () => {
            let green = 0;
            (window as unknown as { RED: RedApi }).RED.nodes.eachNode((n) => {
              if ((n as { status?: { fill?: string } }).status?.fill === 'green') green += 1;
            });
            return green > 0;
          },
          undefined,
          { timeout: 30_000 },
        );
        await page.evaluate(() => {
          document.querySelectorAll('.red-ui-notification').forEach((e) => e.remove());
          (window as unknown as { RED: { menu: { setSelected(id: string, on: boolean): void } } }).RED.menu.setSelected(
            'menu-item-sidebar',
            false,
          );
          const chart = document.getElementById('red-ui-workspace-chart');
          if (chart) chart.scrollTo(0, 0);
        });
        await page.screenshot({ path: screenshotPath('editor-flow.png') });
      }
    });
  }

  it('speaks German to a German browser: palette, dialog and help', async () => {
    const de = await launchBrowser({ locale: 'de-DE' });
    try {
      await editorReady(de.page, server.url);
      const label = await de.page.locator('#red-ui-palette .red-ui-palette-node[data-palette-type="device-agent-measurement"]').innerText();
      assert.equal(label.trim(), 'Messwert');
      await de.page.evaluate(() => (window as unknown as { RED: RedApi }).RED.editor.editConfig('', 'device-agent-connection', 'add'));
      await de.page.waitForSelector('#da-test-button', { state: 'visible' });
      assert.match(await de.page.locator('#da-test-button').innerText(), /Verbindung testen/);
      await closeTray(de.page);
      await de.page.evaluate(() => (window as unknown as { RED: RedApi }).RED.sidebar.help.show('device-agent-measurement'));
      await de.page.waitForFunction(
        (s: string) =>
          Array.from(document.querySelectorAll<HTMLElement>('.red-ui-help')).some((e) => e.innerText.replace(/\s+/g, ' ').includes(s)),
        helpSummary('de', 'measurement'),
        { timeout: 15_000 },
      );
    } finally {
      await de.close();
    }
  });
});

/** The few editor functions the test calls (Node-RED's editor has no published typings). */
interface RedApi {
  editor: { edit(node: object): void; editConfig(name: string, type: string, id: string): void };
  view: { importNodes(nodes: object[]): void };
  workspaces: { active(): string; show(id: string): void };
  nodes: { node(id: string): object | undefined; eachNode(cb: (n: object) => void): void; eachConfig(cb: (n: object) => void): void };
  sidebar: { help: { show(type: string): void } };
  tray: { close(): void };
}
