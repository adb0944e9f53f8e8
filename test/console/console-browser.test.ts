/**
 * The reviewer console in a real headless Chromium (Debian's, driven by playwright-core) against a real
 * server: sign in with a token, see a pending approval that a real /v1/decide call created, approve it
 * with the keyboard, see the caller's retry allowed and every record in the decision list; and a reader
 * who is not an approver gets no approve button and a 403 from the API. Screenshots of each page go to
 * test-results/console/ (git-ignored).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CONSOLE_DIR } from '../../src/server/console-routes';
import { startTestService, type TestService } from '../helpers/service';
import { codes, pipelineChange, tokens } from '../approvals/approval-fixtures';

const ROOT = path.resolve(__dirname, '..', '..');
const SHOTS = path.join(ROOT, 'test-results', 'console');

function run(script: string): string {
  const out = spawnSync(path.join(ROOT, 'scripts', script), { cwd: ROOT, encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`${script} failed: ${out.stderr}`);
  return out.stdout.trim().split('\n').pop()!;
}

describe('the reviewer console in Chromium', () => {
  let svc: TestService;
  let browser: Browser;
  let t: ReturnType<typeof tokens>;
  const foreignRequests: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    const executablePath = run('ensure-chromium.sh');
    if (!existsSync(path.join(CONSOLE_DIR, 'index.html'))) run('build-console.sh');
    mkdirSync(SHOTS, { recursive: true });
    svc = await startTestService();
    t = tokens(svc);
    const root = process.getuid?.() === 0;
    browser = await chromium.launch({ executablePath, args: root ? ['--no-sandbox'] : [] });
  }, 600_000);
  afterAll(async () => {
    await browser?.close();
    await svc?.close();
  });

  async function openConsole(token: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('request', (req) => {
      if (!req.url().startsWith(svc.url)) foreignRequests.push(req.url());
    });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => {
      // The non-approver's refused POST is logged by Chromium as a failed resource: that one is expected.
      if (msg.type() === 'error' && !msg.text().includes('status of 403')) pageErrors.push(msg.text());
    });
    await page.goto(`${svc.url}/console/`);
    await page.getByLabel('Access token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).press('Enter');
    return page;
  }

  it('serves the page under a strict Content-Security-Policy', async () => {
    const reply = await fetch(`${svc.url}/console/`);
    expect(reply.status).toBe(200);
    const csp = reply.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(reply.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await reply.text()).toContain('<script type="module" src="app.js"></script>');
  });

  it('an approver signs in, approves a pending request, and sees the allowed retry in the decision list', async () => {
    const change = pipelineChange({
      payload: { messages: [{ role: 'user', content: 'Raise the deploy timeout' }] },
    });
    const asked = await svc.post('/v1/decide', change, t.requester);
    expect(codes(asked.body)).toEqual(['approval_required']);
    const approvalId = (asked.body.approval as { id: string }).id;

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('request', (req) => {
      if (!req.url().startsWith(svc.url)) foreignRequests.push(req.url());
    });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(`${svc.url}/console/`);
    await page.getByLabel('Access token').waitFor();
    await page.screenshot({ path: path.join(SHOTS, '1-sign-in.png') });
    await page.close();

    const console = await openConsole(t.approver);
    const card = console.locator(`[data-approval="${approvalId}"]`);
    await card.waitFor();
    expect(await console.evaluate('sessionStorage.length')).toBe(1);
    expect(await console.evaluate('localStorage.length')).toBe(0);
    await expect(card.textContent()).resolves.toContain(
      'changes to deployment pipelines need a human approval',
    );
    // Where the change would run: the approver sees the request's context.
    await expect(card.locator('[data-field="context"] li').allTextContents()).resolves.toEqual([
      'environment: staging',
      'repository: corp/webapp',
    ]);
    await console.screenshot({ path: path.join(SHOTS, '2-approvals-pending.png'), fullPage: true });

    // Keyboard only: focus the comment, type, Tab to Approve, press Enter.
    await card.getByLabel('Comment (recorded in the audit log)').focus();
    await console.keyboard.type('reviewed: timeout change only');
    await console.keyboard.press('Tab');
    expect(await console.evaluate('document.activeElement?.textContent')).toBe('Approve');
    await console.keyboard.press('Enter');
    await console.getByRole('status').filter({ hasText: 'Approved the request' }).waitFor();
    await console.screenshot({ path: path.join(SHOTS, '3-approved.png'), fullPage: true });

    const retry = await svc.post('/v1/decide', { ...change, approval_id: approvalId }, t.requester);
    expect(retry.body.allow).toBe(true);
    const retryId = retry.body.decision_id as string;

    await console.getByRole('link', { name: 'Decisions' }).click();
    await console.locator(`tr[data-decision="${retryId}"]`).waitFor();
    const rows = await console.locator('tbody tr').allTextContents();
    expect(rows.some((r) => r.includes(`/v1/approvals/${approvalId}/approve`))).toBe(true);
    expect(rows.some((r) => r.includes(`/v1/approvals/${approvalId}/use`))).toBe(true);
    expect(rows.some((r) => r.includes(`/v1/approvals/${approvalId}/requested`))).toBe(true);
    expect(await console.locator(`tr[data-decision="${retryId}"]`).textContent()).toContain('allowed');
    await console.screenshot({ path: path.join(SHOTS, '4-decisions.png'), fullPage: true });

    await console.getByLabel('Outcome').selectOption('denied');
    await console.getByLabel('Reason code').fill('approval_required');
    await console.getByRole('button', { name: 'Apply' }).click();
    // The unfiltered rows stay until the filtered page arrives: wait for the list to shrink, then check it.
    await console.locator('tbody tr').nth(1).waitFor({ state: 'detached' });
    await console.locator(`tr[data-decision="${asked.body.decision_id as string}"]`).waitFor();
    expect(await console.locator('tbody tr').count()).toBe(1);
    await console.screenshot({ path: path.join(SHOTS, '5-decisions-filtered.png'), fullPage: true });

    await console.goto(`${svc.url}/console/#/decisions/${retryId}`);
    await console.getByText('Chain position').waitFor();
    const facts = await console.locator('dl.facts').textContent();
    expect(facts).toContain('modelgate @ rego-');
    expect(facts).toMatch(/seq \d+/);
    await console.screenshot({ path: path.join(SHOTS, '6-decision-detail.png'), fullPage: true });

    await console.getByRole('link', { name: 'Charts' }).click();
    await console.locator('.chart canvas').first().waitFor();
    expect(await console.locator('.chart').count()).toBe(2);
    await console.screenshot({ path: path.join(SHOTS, '7-charts.png'), fullPage: true });

    await console.getByRole('link', { name: 'Audit chain' }).click();
    await console.getByText(/Intact: \d+ records verified/).waitFor();
    await console.screenshot({ path: path.join(SHOTS, '8-chain.png'), fullPage: true });
    await console.close();
  });

  it('a reader who is not an approver sees the request without an approve button, and the API refuses with 403', async () => {
    const change = pipelineChange({
      payload: { messages: [{ role: 'user', content: 'Pin the base image' }] },
    });
    const asked = await svc.post('/v1/decide', change, t.requester);
    const approvalId = (asked.body.approval as { id: string }).id;

    const console = await openConsole(t.auditorOnly);
    const card = console.locator(`[data-approval="${approvalId}"]`);
    await card.waitFor();
    expect(await card.getByRole('button', { name: 'Approve' }).count()).toBe(0);
    await expect(card.textContent()).resolves.toContain('You may not decide this request.');
    await console.screenshot({ path: path.join(SHOTS, '9-non-approver.png'), fullPage: true });

    // From inside the page, with the token the console holds (code run in the browser, hence a string).
    const status = (await console.evaluate(`(async () => {
      const res = await fetch('/v1/approvals/${approvalId}/approve', {
        method: 'POST',
        headers: { authorization: 'Bearer ' + sessionStorage.getItem('modelgate.token'), 'content-type': 'application/json' },
        body: '{}',
      });
      return { status: res.status, body: await res.json() };
    })()`)) as { status: number; body: { reasons: { code: string }[] } };
    expect(status.status).toBe(403);
    expect(status.body.reasons[0]!.code).toBe('scope_missing');
    await console.close();
  });

  it('a double-click on Approve decides that request only, not the one that would move under the pointer', async () => {
    // Two requests of the same shape, so their cards are alike: the older one is listed right below the newer.
    const ask = async (content: string) => {
      const asked = await svc.post(
        '/v1/decide',
        pipelineChange({ payload: { messages: [{ role: 'user', content }] } }),
        t.requester,
      );
      return (asked.body.approval as { id: string }).id;
    };
    const below = await ask('Delete the production pipeline');
    const clicked = await ask('Fix a typo in the pipeline name');

    const console = await openConsole(t.approver);
    const approveOf = (id: string) =>
      console.locator(`[data-approval="${id}"]`).getByRole('button', { name: 'Approve' });
    await approveOf(below).waitFor();
    const box = (await approveOf(clicked).boundingBox())!;
    const next = (await approveOf(below).boundingBox())!;
    expect(next.y).toBeGreaterThan(box.y + box.height); // the precondition: the other card is below

    const [x, y] = [box.x + box.width / 2, box.y + box.height / 2];
    await console.mouse.click(x, y);
    await console.getByRole('status').filter({ hasText: 'Approved the request' }).waitFor();
    // The second click of a slow double-click, after the first one's verdict has arrived.
    await console.mouse.click(x, y);
    await console.waitForTimeout(300);
    await console.screenshot({ path: path.join(SHOTS, '10-after-double-click.png'), fullPage: true });

    const status = async (id: string) =>
      ((await svc.get(`/v1/approvals/${id}`, t.approver)).body.approval as { status: string }).status;
    expect(await status(clicked)).toBe('approved');
    expect(await status(below)).toBe('pending');
    // The decided card stays in place and says so, without buttons, until the reviewer refreshes.
    const card = console.locator(`[data-approval="${clicked}"]`);
    await expect(card.textContent()).resolves.toContain('approved by user:alice@corp');
    expect(await card.getByRole('button').count()).toBe(0);
    await console.close();
  });

  it('shows what a requester typed as it is: controls spelled out, each value on its own, long ones wrapped', async () => {
    // A right-to-left override in one value reversed the rest of the line ("environment: staging" read
    // backwards, and a reversed fake read forwards), and a long value pushed the entries after it off the page.
    const rlo = '\u202E';
    const long = `corp/${'a'.repeat(1500)}`;
    const change = {
      ...pipelineChange({ payload: { messages: [{ role: 'user', content: 'Rename the pipeline' }] } }),
      context: { note: `${rlo}dorp :tnemnorivne`, repository: long, environment: 'staging' },
    };
    const asked = await svc.post('/v1/decide', change, t.requester);
    expect(codes(asked.body)).toEqual(['approval_required']);
    const approvalId = (asked.body.approval as { id: string }).id;
    // Through the Data API a caller names any model, and the decision list shows it.
    const data = await svc.post(
      '/v1/data/modelgate/decision',
      { input: { invocation: { model: `claude${rlo}tpg`, operation: 'chat' } } },
      t.requester,
    );
    expect(data.status).toBe(200);

    const console = await openConsole(t.approver);
    const card = console.locator(`[data-approval="${approvalId}"]`);
    await card.waitFor();
    await console.screenshot({ path: path.join(SHOTS, '11-untrusted-text.png') });
    const entries = card.locator('[data-field="context"] li');
    expect(await entries.allTextContents()).toEqual([
      'note: ⟨U+202E⟩dorp :tnemnorivne',
      `repository: ${long}`,
      'environment: staging',
    ]);
    expect(await card.locator('[data-field="context"] bdi').count()).toBe(6);
    // Nothing runs off the page: the last entry is on screen.
    expect(await console.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(1280);
    const last = (await entries.nth(2).boundingBox())!;
    expect(last.x + last.width).toBeLessThanOrEqual(1280);

    await console.getByRole('link', { name: 'Decisions' }).click();
    const row = console.locator(`tr[data-decision="${data.body.decision_id as string}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain('claude⟨U+202E⟩tpg');
    await console.close();
  });

  it('shows no words of a link as a sign-in error: a login this tab did not start is refused in its own words', async () => {
    // Anyone can send a reviewer a link to the real console; its ?error= was shown in the console's own alert.
    const lure = 'your session expired: sign in at https://modelgate-sso.example/console instead';
    const page = await browser.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(`${svc.url}/console/?error=${encodeURIComponent(lure)}&state=x`);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toBe('Sign-in failed: the login response does not match this tab');
    expect(page.url()).toBe(`${svc.url}/console/#/approvals`);
    await page.close();
  });

  // Last but one. Each request is denied at once: a subject may have 20 pending (approvals.max_pending_per_subject).
  it('lists approvals older than the first page of 50 on "Load older approvals"', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 51; i += 1) {
      const change = pipelineChange({
        payload: { messages: [{ role: 'user', content: `Rename stage ${i}` }] },
      });
      const id = ((await svc.post('/v1/decide', change, t.requester)).body.approval as { id: string }).id;
      expect((await svc.post(`/v1/approvals/${id}/deny`, {}, t.approver)).status).toBe(200);
      ids.push(id);
    }
    const console = await openConsole(t.approver);
    await console.getByLabel('Show').selectOption('denied');
    await console.locator(`[data-approval="${ids[50]!}"]`).waitFor();
    const oldest = console.locator(`[data-approval="${ids[0]!}"]`);
    expect(await oldest.count()).toBe(0);
    await console.getByRole('button', { name: 'Load older approvals' }).click();
    await oldest.waitFor();
    // The newest is still listed once, above the older page.
    expect(await console.locator(`[data-approval="${ids[50]!}"]`).count()).toBe(1);
    await console.close();
  });

  it('loaded nothing from outside the service and raised no page errors (CSP violations included)', () => {
    expect(foreignRequests).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
