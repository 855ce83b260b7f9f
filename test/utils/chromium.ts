/** The browser the checkout tests drive: Debian's Chromium (no browser download exists here). jest.config.js reads the same variable. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
