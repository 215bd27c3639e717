// Messengers in Chromium (CLOUD-2, CLOUD-3): the owner's Messengers page with Telegram and
// WhatsApp connected, an agent linking their Telegram from My account, the Team Messenger
// showing a WhatsApp conversation's channel and reply window, and a room's guest page in
// Russian offering the hotel's messengers with links that carry the room. Each on a phone
// (390×844) and a desktop (1280×900), nothing wider than the window, screenshots kept.
// Usage: node messengers.mjs HUB_URL OWNER_EMAIL OWNER_PASSWORD AGENT_EMAIL AGENT_PASSWORD
//        ROOM_SLUG SCREENSHOT_DIR
import { mkdirSync } from 'node:fs';
import { launch, signIn } from './launch.mjs';

const [hub, ownerEmail, ownerPassword, agentEmail, agentPassword, slug, shots] = process.argv.slice(2);
const dir = shots || '.';
mkdirSync(dir, { recursive: true });
const check = (ok, what) => { if (!ok) throw new Error(what); };
const SIZES = [{ name: 'phone', width: 390, height: 844 }, { name: 'desktop', width: 1280, height: 900 }];
const fits = (page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

const browser = await launch();
try {
  for (const size of SIZES) {
    const context = await browser.newContext({ viewport: { width: size.width, height: size.height },
      isMobile: size.name === 'phone', hasTouch: size.name === 'phone' });
    const page = await context.newPage();
    page.setDefaultTimeout(20000);

    // The owner's Messengers page.
    await signIn(page, hub, '/admin/#messengers', ownerEmail, ownerPassword);
    await page.locator('#telegram-name').waitFor();
    check((await page.locator('#telegram-name').textContent()) === '@AuroraHotelBot', 'the bot is named');
    await page.locator('#whatsapp-card .copyable code').first().waitFor();
    const callback = await page.locator('#whatsapp-card .copyable code').first().textContent();
    check(callback.endsWith('/hooks/whatsapp'), `Meta's callback URL is shown: ${callback}`);
    check(await page.locator('#viber-card .badge.vacant').isVisible(), 'Viber is not connected');
    check(await fits(page), `the Messengers page fits the ${size.name}`);
    await page.screenshot({ path: `${dir}/messengers-admin-${size.name}.png`, fullPage: true });
    // The check names the bot without saving.
    await page.click('#telegram-card details summary');
    await page.fill('#telegram-token', '7001234567:AAH-test-token_for-the-stand-in');
    await page.click('#telegram-test');
    await page.locator('#telegram-result:has-text("@AuroraHotelBot")').waitFor();
    await context.close();

    // An agent links their Telegram from My account.
    const agentContext = await browser.newContext({ viewport: { width: size.width, height: size.height },
      isMobile: size.name === 'phone', hasTouch: size.name === 'phone' });
    const agent = await agentContext.newPage();
    agent.setDefaultTimeout(20000);
    await signIn(agent, hub, '/admin/#account', agentEmail, agentPassword);
    await agent.locator('#notices').waitFor();
    await agent.click('#link-telegram');
    const href = await agent.locator('#link-open').getAttribute('href');
    check(/^https:\/\/t\.me\/AuroraHotelBot\?start=s-[A-Za-z0-9]+$/.test(href), `a one-time Telegram link: ${href}`);
    check(await fits(agent), `My account fits the ${size.name}`);
    await agent.screenshot({ path: `${dir}/messengers-account-${size.name}.png`, fullPage: true });

    // The Team Messenger: a WhatsApp conversation says where it is and how long replies go.
    await agent.goto(`${hub}/messenger/`);
    await agent.locator('#views').waitFor();
    await agent.click('#views a[data-view="unassigned"]');
    await agent.click('#list .item:has-text("João Silva")');
    await agent.locator('.pill.channel:has-text("via WhatsApp")').waitFor();
    await agent.locator('.window-line:has-text("WhatsApp delivers your replies until")').waitFor();
    // The guest's card says where they write from, not a web page's details.
    if (size.name === 'phone') await agent.click('.card-toggle');
    await agent.locator('.visitor-card dd:has-text("WhatsApp")').waitFor();
    await agent.locator('.visitor-card dd.room:has-text("not given yet")').waitFor();
    check(!(await agent.locator('.visitor-card dd.ip').count()), 'no IP line for a messenger guest');
    if (size.name === 'phone') await agent.click('.card-toggle');
    check(await fits(agent), `the conversation fits the ${size.name}`);
    await agent.screenshot({ path: `${dir}/messengers-conversation-${size.name}.png` });
    await agentContext.close();

    // A guest's room page, in Russian.
    const guest = await browser.newContext({ viewport: { width: size.width, height: size.height },
      isMobile: size.name === 'phone', locale: 'ru-RU' });
    const room = await guest.newPage();
    await room.goto(`${hub}/r/${slug}?lang=ru`);
    await room.locator('text=Или напишите в мессенджере:').waitFor();
    const links = await room.locator('.channels a.channel').evaluateAll((as) => as.map((a) => [a.textContent, a.href]));
    check(links.some(([l, h]) => l === 'Telegram' && h === `https://t.me/AuroraHotelBot?start=r-${slug}`), `Telegram carries the room: ${links}`);
    check(links.some(([l, h]) => l === 'WhatsApp' && h.startsWith('https://wa.me/351912345678?text=') && decodeURIComponent(h).includes(`[r-${slug}]`)),
      `WhatsApp fills in the room: ${links}`);
    check(await fits(room), `the guest page fits the ${size.name}`);
    await room.locator('.channels').scrollIntoViewIfNeeded();
    await room.screenshot({ path: `${dir}/messengers-guest-page-${size.name}.png` });
    await guest.close();
  }
  console.log('messengers ok');
} finally {
  await browser.close();
}
