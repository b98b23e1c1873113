// Debian's Chromium, driven by playwright-core, as every browser test here
// launches it. Without the background-networking flags Chromium tries to
// reach Google's hosts at start; tests stay on loopback.
import { chromium } from "playwright-core";

/** CHROMIUM_PATH overrides the browser binary. */
export const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

export function launchChromium(timeout) {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout });
}
