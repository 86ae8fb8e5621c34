/** Malformed or hostile links: each loads the app with defaults or clamped values and a notice, and no page error. */
import { expect, test } from './fixtures';

const LINKS: [string, string][] = [
  ['huge steps', 'v=2&s=1e12'],
  ['negative batch', 'v=2&b=-5'],
  ['negative rank', 'v=2&r=-8'],
  ['NaN learning rate', 'v=2&lr=NaN'],
  ['Infinity temperature', 'v=2&t=Infinity'],
  ['hex number', 'v=2&s=0x10'],
  ['unknown keys', 'v=2&foo=1&__proto__=x&constructor=y'],
  ['script in a value', 'v=2&m=%3Cscript%3Ealert(1)%3C%2Fscript%3E'],
  ['script in a key', 'v=2&%3Cimg%20src=x%20onerror=alert(1)%3E=1'],
  ['bad percent-encoding', 'v=2&s=%E0%A4%A'],
  ['10 KB hash', `v=2&s=5&${'x'.repeat(10 * 1024)}`],
  ['future version', 'v=3&s=5'],
  ['garbage version', 'v=abc&s=5'],
  ['no version', 's=7'],
  ['path in preset', 'v=2&p=../../etc/passwd'],
  ['unknown method', 'v=2&m=magic'],
  ['bad LoRA targets', 'v=2&lt=q,zz,q'],
  ['bad divergence', 'v=2&d=kl2'],
  ['bad backend', 'v=2&be=tpu'],
  ['bad hide flag', 'v=2&hide=everything'],
  ['tauMin above tau0', 'v=2&tm=raw&t0=0.5&tmin=3'],
  ['duplicate keys', 'v=2&s=5&s=9'],
  ['bad view and paper-table budget', 'v=2&view=%3Cscript%3E&pks=999&pts=-1'],
];

for (const [what, hash] of LINKS) {
  test(`link with ${what}`, async ({ page }) => {
    let dialogs = 0;
    page.on('dialog', async (d) => {
      dialogs++;
      await d.dismiss();
    });
    await page.goto(`/#${hash}`);
    await expect(page.getByTestId('url-notices')).toBeVisible();
    await expect(page.getByTestId('run-status')).toBeVisible();
    expect(dialogs, 'no script ran').toBe(0);
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    const steps = Number(await page.getByTestId('knob-steps').inputValue());
    expect(steps >= 1 && steps <= 100000).toBe(true);
  });
}
