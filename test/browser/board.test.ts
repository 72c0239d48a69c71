/**
 * The board in a real browser (Debian's Chromium, driven by playwright-core): it asks for credentials, then shows
 * both queues and a completed `connect` job, and never a secret. Leaves a screenshot in test-results/.
 */
import { mkdirSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOARD_PASSWORD, BOARD_USER, startOps } from '../ops/support.js';
import { providerConnector } from '../support/connectors.js';
import { type Harness, startHarness } from '../support/harness.js';

const CHROMIUM = '/usr/bin/chromium';
/** What a person sees on the page. */
// biome-ignore lint/performance/useDomNodeTextContent: playwright's innerText, not the DOM property
const bodyText = (page: Page) => page.locator('body').innerText();
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const SECRET = 'browser-secret-Qw7pZ2';

let h: Harness;
let ops: Awaited<ReturnType<typeof startOps>>;
let browser: Browser;

beforeAll(async () => {
  h = await startHarness();
  h.provider.registerClient({ clientId: 'client-1', clientSecret: SECRET, lifetimeSeconds: 3600 });
  await h.applyConnector(providerConnector(h.provider.url));
  ops = await startOps(h.runtime);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
});
afterAll(async () => {
  await browser?.close();
  await ops?.server.close();
  await h?.close();
});

describe('Bull Board in Chromium', () => {
  it('without credentials, the board answers 401', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${ops.server.url}/healthz`);
    const fromPage = await page.evaluate(async () => {
      const paths = ['/admin/queues', '/admin/queues/api/queues', '/admin/queues/static/favicon-32x32.png'];
      return Promise.all(paths.map(async (path) => (await fetch(path, { credentials: 'omit' })).status));
    });
    expect(fromPage).toEqual([401, 401, 401]);
    // Navigating there, Chromium gets the Basic challenge, has no credentials to answer it, and fails the page.
    await expect(page.goto(ops.server.boardUrl)).rejects.toThrow(/ERR_INVALID_AUTH_CREDENTIALS/);
    await context.close();
  });

  it('with credentials, it shows both queues and the completed connect job, and no secret', async () => {
    const { connectionId } = await h.client.connect({
      owner: 'ws-1',
      connector: 'acme',
      fields: { client_id: 'client-1', client_secret: SECRET },
    });
    await h.client.call({ owner: 'ws-1', connectionId, url: 'echo' });
    const context = await browser.newContext({
      httpCredentials: { username: BOARD_USER, password: BOARD_PASSWORD },
      viewport: { width: 1400, height: 1000 },
    });
    const page = await context.newPage();
    expect((await page.goto(ops.server.boardUrl))?.status()).toBe(200);
    await expect
      .poll(() => bodyText(page), { timeout: 15_000 })
      .toMatch(/connections[\s\S]*calls|calls[\s\S]*connections/);

    await page.goto(`${ops.server.boardUrl}/queue/connections?status=completed`);
    await expect.poll(() => bodyText(page), { timeout: 15_000 }).toMatch(/\bconnect\b/);
    await expect.poll(() => bodyText(page)).toContain('[sealed]');
    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/board-connections.png', fullPage: true });

    const texts = [await bodyText(page), await page.content()];
    await page.goto(`${ops.server.boardUrl}/queue/calls?status=completed`);
    await expect.poll(() => bodyText(page), { timeout: 15_000 }).toMatch(/\bcall\b/);
    texts.push(await bodyText(page), await page.content());
    for (const secret of [SECRET, ...h.provider.issuedTokens()]) {
      for (const text of texts) expect(text).not.toContain(secret);
    }
    await context.close();
  });
});
