/**
 * Editor texts come from the locale catalogues, in every language we ship: each key the editor
 * .html or the runtime uses exists in en-US and de, both catalogues have the same keys, the help
 * follows Node-RED's help style guide, and the dialogs hold no hard-coded English.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

const ROOT = path.join(__dirname, '..', '..', '..');
const LANGS = ['en-US', 'de'];
/** The nodes covered here; a new node joins this list with its de catalogue and help. */
const NODES = [
  'connection',
  'measurement',
  'event',
  'alarm',
  'operation',
  'operation-status',
  'sense-hat-in',
  'sense-hat-out',
  'joystick',
  'system-info',
  'software-update',
  'remote-access',
  'log-upload',
  'gateway-discovery',
  'attribute',
  'location',
  'file-transfer',
];

type Catalogue = Record<string, unknown>;

function catalogue(lang: string, node: string): Catalogue {
  return JSON.parse(fs.readFileSync(path.join(ROOT, 'locales', lang, `${node}.json`), 'utf8')) as Catalogue;
}

function keys(o: unknown, prefix = ''): string[] {
  if (typeof o !== 'object' || o === null) return [prefix];
  return Object.entries(o as Record<string, unknown>).flatMap(([k, v]) => keys(v, prefix ? `${prefix}.${k}` : k));
}

function has(cat: Catalogue, key: string): boolean {
  let o: unknown = cat;
  for (const part of key.split('.')) {
    if (typeof o !== 'object' || o === null || !(part in o)) return false;
    o = (o as Record<string, unknown>)[part];
  }
  return typeof o === 'string';
}

const read = (...p: string[]): string => fs.readFileSync(path.join(ROOT, ...p), 'utf8');

/** Keys the editor .html uses: data-i18n attributes and literal this._('…') / _('…') calls. */
function editorKeys(html: string): string[] {
  const out = new Set<string>();
  for (const m of html.matchAll(/data-i18n="([^"]+)"/g)) {
    for (const part of (m[1] ?? '').split(';')) out.add(part.replace(/^\[[^\]]+\]/, ''));
  }
  for (const m of html.matchAll(/\b_\('([a-z-]+\.[\w.-]+)'/g)) out.add(m[1] ?? '');
  return [...out].filter((k) => k && !k.includes(':'));
}

/** Literal keys the runtime .ts passes to RED._ (template literals with ${…} are checked by their fixed part). */
function runtimeKeys(ts: string, ns: string): string[] {
  const out = new Set<string>();
  for (const m of ts.matchAll(/RED\._\(\s*'([^']+)'/g)) out.add(m[1] ?? '');
  for (const m of ts.matchAll(/\bt\(\s*'([^']+)'/g)) out.add(m[1] ?? '');
  return [...out].filter((k) => k.startsWith(`${ns}.`));
}

describe('locales', () => {
  it('connection: words every step code the Test connection endpoint can answer', () => {
    const src = read('nodes', 'connection-probe.ts') + read('nodes', 'connection-test-endpoint.ts');
    const codes = new Set(
      [...src.matchAll(/'((?:dns|tcp|tls|connack|mqtt)-[\w-]+|config-error|no-test|internal)'/g)].map((m) => m[1] ?? ''),
    );
    for (const kind of ['basic', 'stored', 'bootstrap', 'cert']) codes.add(`connack-0-${kind}`);
    assert.ok(codes.size > 25, `only ${codes.size} codes found`);
    for (const lang of LANGS) {
      const cat = catalogue(lang, 'connection');
      for (const c of codes) assert.ok(has(cat, `connection.test.${c}`), `connection.test.${c} missing in ${lang}`);
    }
  });

  for (const node of NODES) {
    it(`${node}: en-US and de have the same keys, and every key the editor and runtime use`, () => {
      const [en, de] = LANGS.map((l) => catalogue(l, node)) as [Catalogue, Catalogue];
      assert.deepEqual(keys(de).sort(), keys(en).sort(), 'de and en-US differ');
      const html = read('nodes', `${node}.html`);
      const ts = read('nodes', `${node}.ts`);
      for (const k of [...editorKeys(html), ...runtimeKeys(ts, node)]) {
        // 'ns.group.' + variable: the group must exist; its members are checked where they are made.
        const check = k.endsWith('.') ? (c: Catalogue, g: string): boolean => keys(c).some((x) => x.startsWith(g)) : has;
        assert.ok(check(en, k), `${k} missing in en-US/${node}.json`);
        assert.ok(check(de, k), `${k} missing in de/${node}.json`);
      }
    });

    it(`${node}: keeps placeholders (__name__) the same in every language`, () => {
      const en = catalogue('en-US', node);
      const de = catalogue('de', node);
      for (const k of keys(en)) {
        const get = (c: Catalogue): string => String(k.split('.').reduce<unknown>((o, p) => (o as Record<string, unknown>)[p], c));
        const vars = (s: string): string[] => [...s.matchAll(/__(\w+)__/g)].map((m) => m[1] ?? '').sort();
        assert.deepEqual(vars(get(de)), vars(get(en)), `${k}: placeholders differ`);
      }
    });

    it(`${node}: help in every language follows the help style guide`, () => {
      const type = `device-agent-${node}`;
      for (const lang of LANGS) {
        const help = read('locales', lang, `${node}.html`);
        assert.match(help, new RegExp(`^<script type="text/html" data-help-name="${type}">\\s*<p>`), `${lang}: starts with a summary <p>`);
        const headings = [...help.matchAll(/<h3>([^<]+)<\/h3>/g)].map((m) => m[1]);
        assert.ok(headings.length >= 2, `${lang}: sections`);
        assert.ok(headings.includes('Details'), `${lang}: a Details section`);
        assert.ok(headings.at(-1) === 'References' || headings.at(-1) === 'Referenzen', `${lang}: References last`);
        if (help.includes('message-properties')) assert.match(help, /<dt( class="optional")?>\w+ <span class="property-type">/);
      }
    });

    it(`${node}: the edit dialog has no hard-coded English`, () => {
      const html = read('nodes', `${node}.html`);
      const template = /<script type="text\/html" data-template-name="[^"]+">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
      assert.ok(template.length > 0, 'no edit template');
      const text = template
        .replace(/<[^>]+>/g, ' ')
        .split(/\s+/)
        .filter((w) => w && !/^(mqtts?|wss?)$/.test(w));
      assert.deepEqual(text, [], 'text outside the locale catalogue');
      // Placeholders and titles come from the catalogue too (the product names in connection are data).
      for (const m of template.matchAll(/\s(placeholder|title)="([^"]*)"/g)) {
        assert.ok(/^[\w.-]*$/.test(m[2] ?? ''), `literal ${m[1]}="${m[2]}"`);
      }
    });
  }
});
